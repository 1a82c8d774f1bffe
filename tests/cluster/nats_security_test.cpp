// Cluster mode over secured NATS (docs/cluster.md, "Securing NATS"): real nats-server processes
// configured as the sample configuration is — TLS for clients and routes with certificates
// verified both ways, an account whose users may use eventsd's subjects only, no anonymous access —
// joined by eventsd nodes and eventctl with the flags operators give them, a large stream read
// through the permissions; and what the servers and eventsd refuse: a client without the
// certificate, of another CA, with a wrong password or nkey, without credentials, or for a host
// the servers' certificate does not name; a subject outside the permissions (said on stderr); a
// plain server where TLS is wanted; a missing or malformed file.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cluster/nats.h"
#include "cluster/nkey.h"
#include "common/random.h"
#include "tests/support/cluster_key.h"
#include "tests/support/cluster_nodes.h"
#include "tests/support/eventually.h"
#include "tests/support/nats_cluster.h"
#include "tests/support/nats_pki.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace eventsd::test {
namespace {

using namespace std::chrono_literals;

// The account of docs/cluster.md's sample configuration: eventsd's subjects and nothing else, for
// a user with a password and a user with an nkey.
std::string accounts(const std::string& password, const std::string& nkey) {
  return R"(
EVENTSD_NODE = {
  publish: {
    allow: ["eventsd.>", "$KV.eventsd_cluster.>", "$KV.eventsd_owners.>", "$KV.eventsd_nodes.>",
            "$JS.API.>", "$JS.FC.>", "_INBOX.>"]
  }
  subscribe: {
    allow: ["eventsd.>", "_INBOX.>"]
  }
}
accounts {
  EVENTSD: {
    jetstream: enabled
    users: [
      { user: eventsd, password: ")" + password + R"(", permissions: $EVENTSD_NODE }
      { nkey: )" + nkey + R"(, permissions: $EVENTSD_NODE }
    ]
  }
}
)";
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A command's exit status and everything it printed (stdout and stderr).
RunResult run_with_stderr(std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1"});
  return run_command(argv);
}

class SecuredNatsTest : public ::testing::Test {
 protected:
  SecuredNatsTest() {
    // The servers' certificate names 127.0.0.1, where the tests reach them, and not localhost.
    servers_ = pki_.issue("nats-servers", "IP:127.0.0.1", "serverAuth,clientAuth");
    client_ = pki_.issue("eventsd-node", "DNS:eventsd-node", "clientAuth");
    write_file(file("user"), "eventsd\n" + password_ + "\n");
    // An nkey as operators make one: the seed in a file, the public key for the configuration.
    const auto made = eventctl({"cluster", "nkey", "--seed-file", file("nkey.seed").string()});
    EXPECT_EQ(made.status, 0);
    nkey_public_ = made.out.substr(0, made.out.find('\n'));
  }

  std::filesystem::path file(const std::string& name) const { return files_.path() / name; }

  // What eventsd nodes present: the CA, their certificate and their user file.
  nats::Security node_security() const {
    return nats::Security{.user_file = file("user").string(), .ca_file = pki_.ca().string(),
                          .cert_file = client_.cert.string(), .key_file = client_.key.string()};
  }
  SecuredNats secured() const {
    return SecuredNats{pki_.ca(), servers_.cert, servers_.key, accounts(password_, nkey_public_),
                       node_security()};
  }

  // Connecting to `urls` with `security` fails at once with an Error (not Unavailable: it is
  // not worth another try) whose message has `says`.
  static void expect_refused(const std::vector<std::string>& urls, const nats::Security& security,
                             const std::string& says) {
    try {
      nats::Connection c(nats::ConnectOptions{urls, "refused", 5s, security});
      ADD_FAILURE() << "connected; expected a refusal saying '" << says << "'";
    } catch (const nats::Unavailable& e) {
      ADD_FAILURE() << "Unavailable (" << e.what() << "); expected an Error saying '" << says << "'";
    } catch (const nats::Error& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  }

  NatsPki pki_;
  TempDir files_;
  NatsPki::Pair servers_, client_;
  std::string password_ = random_hex(16);
  std::string nkey_public_;
};

TEST_F(SecuredNatsTest, NodesWithTheirCertificateAndPasswordJoinServeWritesAndAreReported) {
  NatsCluster nats(3, secured());
  const std::string token = cluster_token(nats, "t1");
  ASSERT_FALSE(token.empty());
  Node a(nats, "a"), b(nats, "b");
  ASSERT_TRUE(eventually([&] {
    const auto owners = a.owners();
    return owners.size() == 4 && std::all_of(owners.begin(), owners.end(), [](auto& o) { return !o.empty(); }) &&
           owners == b.owners();
  })) << "shards not owned";
  // Through either node (one of them forwards to the tenant's shard's owner), read on the other.
  for (Node* via : {&a, &b}) {
    Node* other = via == &a ? &b : &a;
    const std::string marker = "via-" + via->name();
    auto w = via->client(token).post("/v1/events", R"({"event":"view","data":{"marker":")" + marker + R"("}})");
    ASSERT_EQ(w.status, 201) << w.body;
    auto r = other->client(token).get("/v1/events?min_position=" + w.header("Eventsd-Position"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find(marker), std::string::npos) << r.body;
  }
  // eventctl reaches the cluster with the same flags, and every node answers it.
  std::vector<std::string> status{eventctl_binary(), "cluster", "status", "--nats", joined(nats.urls()),
                                  "--cluster-key-file", cluster_key_file(), "--json"};
  const auto flags = nats.client_flags();
  status.insert(status.end(), flags.begin(), flags.end());
  const auto shown = run_command(status);
  EXPECT_EQ(shown.status, 0) << shown.out;
  EXPECT_NE(shown.out.find(R"("node":"a","address")"), std::string::npos) << shown.out;
  EXPECT_EQ(shown.out.find(R"("answering":false)"), std::string::npos) << shown.out;
  // The account's permissions allowed everything eventsd did: no server refused a subject (it
  // logs "Publish Violation" or "Subscription Violation").
  for (int i = 0; i < nats.size(); ++i) {
    const std::string log = read_file(nats.log_file(i));
    EXPECT_EQ(log.find(" Violation - "), std::string::npos) << nats.name(i) << ":\n" << log;
  }
}

TEST_F(SecuredNatsTest, TheServersRefuseClientsWithoutTheRightCertificateOrCredentials) {
  NatsCluster nats(1, secured());
  // The node's own security connects (and may use JetStream).
  nats::Connection node(nats::ConnectOptions{nats.urls(), "node", 5s, node_security()});
  EXPECT_TRUE(node.connected());
  EXPECT_EQ(node.request("$JS.API.INFO", "", 5s).data.find("\"error\""), std::string::npos);

  nats::Security no_certificate = node_security();
  no_certificate.cert_file.clear();
  no_certificate.key_file.clear();
  expect_refused(nats.urls(), no_certificate, "none was given");
  // The server says why in its log (written as it closes the connection, maybe after the client
  // has given up).
  auto logged = [&](const std::string& why) {
    return eventually([&] { return read_file(nats.log_file(0)).find(why) != std::string::npos; }, 10s);
  };
  EXPECT_TRUE(logged("client didn't provide a certificate")) << read_file(nats.log_file(0));

  const auto stranger = pki_.issue("stranger", "DNS:stranger", "clientAuth", /*trusted=*/false);
  nats::Security other_ca = node_security();
  other_ca.cert_file = stranger.cert.string();
  other_ca.key_file = stranger.key.string();
  expect_refused(nats.urls(), other_ca, "may not accept the client certificate");
  EXPECT_TRUE(logged("certificate signed by unknown authority")) << read_file(nats.log_file(0));

  write_file(file("wrong-user"), "eventsd\nnot-" + password_ + "\n");
  nats::Security wrong_password = node_security();
  wrong_password.user_file = file("wrong-user").string();
  expect_refused(nats.urls(), wrong_password, "Authorization Violation");

  // eventsd refused so stops at once (it retries only servers that do not answer).
  TempDir data;
  const auto started = std::chrono::steady_clock::now();
  const auto refused = run_with_stderr({eventsd_binary(), "--data", data.path().string(), "--nats", nats.url(0),
                                        "--cluster-key-file", cluster_key_file(), "--node", "n1", "--nats-ca", pki_.ca().string(), "--nats-cert",
                                        client_.cert.string(), "--nats-key", client_.key.string(),
                                        "--nats-user-file", file("wrong-user").string()});
  EXPECT_EQ(refused.status, 1) << refused.out;
  EXPECT_NE(refused.out.find("Authorization Violation"), std::string::npos) << refused.out;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s) << "eventsd retried a refusal";

  nats::Security anonymous = node_security();
  anonymous.user_file.clear();
  expect_refused(nats.urls(), anonymous, "Authorization Violation");

  // Without a CA the client checks the servers against the system's CAs, which do not know ours.
  nats::Security system_cas = node_security();
  system_cas.ca_file.clear();
  expect_refused(nats.urls(), system_cas, "unable to get local issuer certificate");

  // The server's certificate must name the host connected to: it names 127.0.0.1, not localhost.
  std::string by_name = nats.url(0);
  by_name.replace(by_name.find("127.0.0.1"), 9, "localhost");
  expect_refused({by_name}, node_security(), "hostname mismatch");
}

TEST_F(SecuredNatsTest, AUserWithTheNkeyConnectsAndAnotherNkeyIsRefused) {
  NatsCluster nats(1, secured());
  nats::Security with_nkey = node_security();
  with_nkey.user_file.clear();
  with_nkey.nkey_seed_file = file("nkey.seed").string();
  nats::Connection c(nats::ConnectOptions{nats.urls(), "nkey", 5s, with_nkey});
  EXPECT_EQ(c.request("$JS.API.INFO", "", 5s).data.find("\"error\""), std::string::npos);

  // A seed is never overwritten.
  const std::string seed = read_file(file("nkey.seed"));
  const auto again = eventctl({"cluster", "nkey", "--seed-file", file("nkey.seed").string()});
  EXPECT_EQ(again.status, 2);
  EXPECT_EQ(read_file(file("nkey.seed")), seed);
  EXPECT_EQ(std::filesystem::status(file("nkey.seed")).permissions(),
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  write_file(file("other.seed"), nats::new_user_nkey().seed + "\n");
  with_nkey.nkey_seed_file = file("other.seed").string();
  expect_refused(nats.urls(), with_nkey, "Authorization Violation");
}

TEST_F(SecuredNatsTest, ANodeReadsALargeStreamThroughItsPermissions) {
  // A node catching up on a shard reads megabytes through an ordered consumer, which the server
  // paces with flow-control requests the client answers on $JS.FC.>: without that permission the
  // read stalls after a message or two.
  NatsCluster nats(1, secured());
  nats::Connection c(nats::ConnectOptions{nats.urls(), "reader", 5s, node_security()});
  c.ensure_stream(nats::StreamConfig{"EVENTSD_S99", {"eventsd.log.99"}, 1, 120s});
  const std::string mebibyte(1 << 20, 'x');
  constexpr int kMessages = 8;
  for (int i = 0; i < kMessages; ++i) {
    auto r = c.publish("eventsd.log.99", {}, mebibyte, static_cast<std::uint64_t>(i), "", 10s);
    ASSERT_TRUE(std::holds_alternative<nats::Published>(r));
  }
  auto reader = c.read("EVENTSD_S99", "eventsd.log.99", 1);
  for (int i = 1; i <= kMessages; ++i) {
    auto m = reader->next(10s);
    ASSERT_TRUE(m) << "the read stalled before message " << i << ":\n" << read_file(nats.log_file(0));
    EXPECT_EQ(m->seq, static_cast<std::uint64_t>(i));
  }
  EXPECT_EQ(read_file(nats.log_file(0)).find(" Violation - "), std::string::npos) << read_file(nats.log_file(0));
}

TEST_F(SecuredNatsTest, ASubjectThePermissionsRefuseIsNamedOnStderr) {
  // Without eventsd's own subjects, the system stream cannot be published to: the publish times
  // out, and what the server said is on stderr.
  SecuredNats narrow = secured();
  const std::string own = R"("eventsd.>", )";
  narrow.accounts.erase(narrow.accounts.find(own), own.size());
  NatsCluster nats(1, narrow);
  std::vector<std::string> argv{eventctl_binary(), "token", "create", "--nats", nats.url(0),
                                "--cluster-key-file", cluster_key_file(), "--replicas", "1",
                                "--tenant", "t", "--scopes", "admin"};
  const auto flags = nats.client_flags();
  argv.insert(argv.end(), flags.begin(), flags.end());
  const auto r = run_with_stderr(argv);
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find(R"(NATS refused: Permissions Violation for Publish to "eventsd.system")"), std::string::npos)
      << r.out;
}

TEST(NatsSecurity, TlsWantedIsNotTalkedOutOfByAPlainServer) {
  NatsCluster plain(1);
  auto url = plain.url(0);
  url.replace(0, url.find("://"), "tls");
  try {
    nats::Connection c(nats::ConnectOptions{{url}, "plain", 5s});
    ADD_FAILURE() << "connected without TLS to " << url;
  } catch (const nats::Unavailable& e) {
    ADD_FAILURE() << "Unavailable: " << e.what();
  } catch (const nats::Error& e) {
    EXPECT_NE(std::string(e.what()).find("ecure"), std::string::npos) << e.what();
  }
}

TEST(NatsSecurity, MalformedFilesAreErrorsBeforeAnyServerIsTried) {
  TempDir dir;
  auto connect = [](const nats::Security& security) {
    // Port 1: nothing listens there; a file's error comes before any connection is tried.
    nats::Connection c(nats::ConnectOptions{{"nats://127.0.0.1:1"}, "files", 1s, security});
  };
  auto error_of = [&](const nats::Security& security) -> std::string {
    try {
      connect(security);
    } catch (const nats::Unavailable& e) {
      return std::string("Unavailable: ") + e.what();
    } catch (const nats::Error& e) {
      return e.what();
    }
    return "no error";
  };
  write_file(dir.path() / "one-line", "eventsd:secret\n");
  write_file(dir.path() / "not-creds", "user: eventsd\n");
  write_file(dir.path() / "bad-seed", "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3XX\n");
  EXPECT_NE(error_of({.user_file = (dir.path() / "one-line").string()}).find("must hold two lines"),
            std::string::npos);
  EXPECT_NE(error_of({.creds_file = (dir.path() / "not-creds").string()}).find("holds no user JWT"),
            std::string::npos);
  EXPECT_NE(error_of({.nkey_seed_file = (dir.path() / "bad-seed").string()}).find("checksum"), std::string::npos);
  EXPECT_NE(error_of({.creds_file = (dir.path() / "missing").string()}).find("No such file"), std::string::npos);
  EXPECT_NE(error_of({.ca_file = (dir.path() / "missing").string()}).find("cannot read the NATS CA file"),
            std::string::npos);
  EXPECT_NE(error_of({.ca_file = (dir.path() / "not-creds").string()}).find("CA file"), std::string::npos);
}

TEST(NatsSecurity, EventsdWithAMissingOrMalformedCredentialsFileExitsAtOnceSayingWhy) {
  TempDir dir;
  // Missing: the command line is refused (nothing is opened, no server is tried).
  const auto missing = run_with_stderr({eventsd_binary(), "--data", (dir.path() / "data").string(), "--nats",
                                        "nats://127.0.0.1:1", "--cluster-key-file", cluster_key_file(), "--node",
                                        "n1", "--nats-creds",
                                        (dir.path() / "missing.creds").string()});
  EXPECT_EQ(missing.status, 2) << missing.out;
  EXPECT_NE(missing.out.find("--nats-creds: cannot read " + (dir.path() / "missing.creds").string() +
                             ": No such file or directory"),
            std::string::npos)
      << missing.out;
  // There but not credentials: eventsd stops before trying a server (which would be retried for a
  // minute), naming the file and what it lacks.
  write_file(dir.path() / "node.creds", "not a credentials file\n");
  const auto started = std::chrono::steady_clock::now();
  const auto malformed = run_with_stderr({eventsd_binary(), "--data", (dir.path() / "data").string(), "--nats",
                                          "nats://127.0.0.1:1", "--cluster-key-file", cluster_key_file(), "--node",
                                        "n1", "--nats-creds",
                                          (dir.path() / "node.creds").string()});
  EXPECT_EQ(malformed.status, 1) << malformed.out;
  EXPECT_NE(malformed.out.find("the NATS credentials file " + (dir.path() / "node.creds").string() +
                               " holds no user JWT"),
            std::string::npos)
      << malformed.out;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s) << "eventsd retried instead of stopping";
  // A password is never taken on the command line.
  const auto in_url = run_with_stderr({eventsd_binary(), "--data", (dir.path() / "data").string(), "--nats",
                                       "nats://eventsd:secret@127.0.0.1:4222", "--cluster-key-file",
                                       cluster_key_file(), "--node", "n1"});
  EXPECT_EQ(in_url.status, 2) << in_url.out;
  EXPECT_EQ(in_url.out.find("secret"), std::string::npos) << in_url.out;
  EXPECT_NE(in_url.out.find("--nats-user-file"), std::string::npos) << in_url.out;
}

}  // namespace
}  // namespace eventsd::test
