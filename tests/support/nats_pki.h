// Certificates for tests of NATS over TLS, made at test time with the openssl command the way
// docs/cluster.md ("Securing NATS") shows operators, in a temporary directory that lives as long
// as the object: nothing checked in, nothing that expires while a test runs (each is valid for a
// day). Two CAs: the one the servers trust, and another one that nobody trusts.
//
// Not thread-safe: use it from the test's main thread.
#pragma once

#include <filesystem>
#include <string>

#include "tests/support/temp_dir.h"

namespace eventsd::test {

class NatsPki {
 public:
  struct Pair {
    std::filesystem::path cert, key;  // PEM, the key unencrypted
  };
  // Makes both CAs (throws when openssl fails).
  NatsPki();

  // The CA the servers trust, and the clients trust the servers by.
  const std::filesystem::path& ca() const { return ca_.cert; }
  // A new certificate `name` (its subject's CN and its files' names) for `alt_names` (openssl's
  // subjectAltName, e.g. "IP:127.0.0.1,DNS:localhost"; none when empty) and `usage` (extendedKeyUsage:
  // "serverAuth", "clientAuth" or both), signed by the trusted CA, or by the other one.
  Pair issue(const std::string& name, const std::string& alt_names, const std::string& usage,
             bool trusted = true) const;

 private:
  TempDir dir_;
  Pair ca_, other_ca_;
};

}  // namespace eventsd::test
