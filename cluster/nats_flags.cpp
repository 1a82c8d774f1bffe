#include "cluster/nats_flags.h"

#include "common/flags.h"

namespace eventsd::nats {

void add_security_flags(CLI::App& app, Security& into, CLI::Option* servers, const std::string& group) {
  auto add = [&](const char* name, std::string& file, const char* what) {
    auto* flag = app.add_option(name, file, what)->type_name("FILE")->check(flags::readable_file())->needs(servers);
    if (!group.empty()) flag->group(group);
    return flag;
  };
  auto* creds = add("--nats-creds", into.creds_file,
                    "NATS credentials: a user's JWT and nkey seed, as nsc writes them (a .creds file)");
  auto* user = add("--nats-user-file", into.user_file,
                   "NATS user and password: a file with the user name on its first line and the password on "
                   "the second (never on the command line, which ps shows)");
  auto* nkey = add("--nats-nkey-seed", into.nkey_seed_file,
                   "NATS nkey: a file holding a user's nkey seed (SU...), whose public key the servers list");
  creds->excludes(user)->excludes(nkey);
  user->excludes(nkey);
  add("--nats-ca", into.ca_file,
      "TLS to NATS, verifying the servers' certificates against these CA certificates (PEM); TLS is also on "
      "with --nats-cert or tls:// URLs (then against the system's CAs)");
  auto* cert = add("--nats-cert", into.cert_file,
                   "TLS client certificate for NATS servers that verify clients (PEM, with --nats-key)");
  auto* key = add("--nats-key", into.key_file, "the private key of --nats-cert (PEM, unencrypted)");
  cert->needs(key);
  key->needs(cert);
}

}  // namespace eventsd::nats
