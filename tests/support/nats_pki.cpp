#include "tests/support/nats_pki.h"

#include <stdexcept>
#include <vector>

#include "tests/support/server_process.h"

namespace eventsd::test {

namespace {

// openssl with `args`; throws with what it printed when it fails.
void openssl(std::vector<std::string> args) {
  args.insert(args.begin(), {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1", "openssl"});
  const RunResult r = run_command(args);
  if (r.status != 0) throw std::runtime_error("openssl failed (status " + std::to_string(r.status) + "): " + r.out);
}

// A new P-256 key, valid for a day: openssl req -x509's arguments before any signing CA.
std::vector<std::string> new_key_and_certificate(const NatsPki::Pair& files, const std::string& subject) {
  return {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
          "-subj", subject, "-keyout", files.key.string(), "-out", files.cert.string()};
}

}  // namespace

NatsPki::NatsPki() {
  ca_ = {dir_.path() / "ca.crt", dir_.path() / "ca.key"};
  other_ca_ = {dir_.path() / "other-ca.crt", dir_.path() / "other-ca.key"};
  openssl(new_key_and_certificate(ca_, "/CN=eventsd NATS CA"));
  openssl(new_key_and_certificate(other_ca_, "/CN=another CA"));
}

NatsPki::Pair NatsPki::issue(const std::string& name, const std::string& alt_names, const std::string& usage,
                             bool trusted) const {
  const Pair files{dir_.path() / (name + ".crt"), dir_.path() / (name + ".key")};
  const Pair& ca = trusted ? ca_ : other_ca_;
  auto args = new_key_and_certificate(files, "/CN=" + name);
  if (!alt_names.empty()) args.insert(args.end(), {"-addext", "subjectAltName=" + alt_names});
  args.insert(args.end(), {"-addext", "extendedKeyUsage=" + usage, "-addext", "basicConstraints=critical,CA:FALSE",
                           "-CA", ca.cert.string(), "-CAkey", ca.key.string()});
  openssl(args);
  return files;
}

}  // namespace eventsd::test
