// The one place where nats::Security (cluster/nats.h) becomes cnats options: credentials, nkeys,
// user and password, TLS, and the report of what the servers refuse later. Each file is read and
// checked here, when a Connection is made, so a missing or malformed one is an Error at start
// that names it, not a failed (re)connect later.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cluster/nats_link.h"
#include "cluster/nkey.h"

namespace eventsd::nats::detail {

namespace {

std::string read_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read the NATS " + what + " " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error("cannot read the NATS " + what + " " + path + ": " + std::strerror(errno));
  return text.str();
}

// The lines of `text`, each without its end of line ("\n" or "\r\n") and the spaces around it.
std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto begin = line.find_first_not_of(" \t\r");
    const auto end = line.find_last_not_of(" \t\r");
    out.push_back(begin == std::string::npos ? "" : line.substr(begin, end - begin + 1));
  }
  return out;
}

// The first line that is a user's nkey seed ("SU..."), as cnats looks for it; "" when none is.
std::string seed_line(const std::vector<std::string>& all) {
  for (const auto& line : all) {
    if (line.starts_with("SU")) return line;
  }
  return "";
}

// The public key of the seed in `path` (what the server lists); throws Error saying what is wrong.
std::string checked_seed(const std::vector<std::string>& all, const std::string& path, const std::string& what) {
  const std::string seed = seed_line(all);
  if (seed.empty()) throw Error("the NATS " + what + " " + path + " holds no user nkey seed (a line SU...)");
  try {
    return nkey_public_key(seed);
  } catch (const std::invalid_argument& e) {
    throw Error("the NATS " + what + " " + path + ": " + e.what());
  }
}

// A user's JWT and seed, as nsc writes them: "-----BEGIN NATS USER JWT-----", the JWT, "------END
// NATS USER JWT------", then the seed's block the same way.
void check_creds(const std::string& path) {
  const auto all = lines(read_file(path, "credentials file"));
  bool jwt = false;
  for (std::size_t i = 0; i + 1 < all.size(); ++i) {
    if (all[i].find("BEGIN NATS USER JWT") != std::string::npos) {
      const std::string& token = all[i + 1];
      jwt = std::count(token.begin(), token.end(), '.') == 2;
      break;
    }
  }
  if (!jwt) {
    throw Error("the NATS credentials file " + path + " holds no user JWT (a -----BEGIN NATS USER JWT----- block)");
  }
  checked_seed(all, path, "credentials file");
}

struct UserPassword {
  std::string user, password;
};

// The user name on the first line, the password on the second; nothing else but empty lines.
UserPassword read_user_file(const std::string& path) {
  auto all = lines(read_file(path, "user file"));
  while (!all.empty() && all.back().empty()) all.pop_back();
  if (all.size() != 2 || all[0].empty() || all[1].empty()) {
    throw Error("the NATS user file " + path + " must hold two lines: the user name, then the password");
  }
  return {all[0], all[1]};
}

// Refusals the servers send after the connection is made: a subject this user's permissions do
// not allow (the publish or request itself only times out), and a login refused on reconnecting
// (the user removed, a rotated credential wrong). Said on stderr, as nobody else would say them.
void report_refusal(natsConnection* nc, natsSubscription*, natsStatus err, void*) {
  if (err != NATS_NOT_PERMITTED && err != NATS_CONNECTION_AUTH_FAILED) return;
  const char* text = nullptr;
  natsConnection_GetLastError(nc, &text);
  std::fprintf(stderr, "NATS refused: %s\n", text && *text ? text : natsStatus_GetText(err));
}

}  // namespace

bool wants_tls(const ConnectOptions& options) {
  const Security& s = options.security;
  if (!s.ca_file.empty() || !s.cert_file.empty()) return true;
  for (const auto& url : options.urls) {
    if (url.starts_with("tls://")) return true;
  }
  return false;
}

void apply_security(natsOptions* opts, const ConnectOptions& options) {
  const Security& s = options.security;
  check(natsOptions_SetErrorHandler(opts, report_refusal, nullptr), "NATS error handler");
  const int identities = !s.creds_file.empty() + !s.user_file.empty() + !s.nkey_seed_file.empty();
  if (identities > 1) throw Error("NATS: give one of a credentials file, a user file and an nkey seed file");
  if (s.cert_file.empty() != s.key_file.empty()) {
    throw Error("NATS: a client certificate needs its key, and a key its certificate");
  }

  if (!s.creds_file.empty()) {
    check_creds(s.creds_file);
    check(natsOptions_SetUserCredentialsFromFiles(opts, s.creds_file.c_str(), nullptr), "NATS credentials file");
  }
  if (!s.nkey_seed_file.empty()) {
    const std::string public_key =
        checked_seed(lines(read_file(s.nkey_seed_file, "nkey seed file")), s.nkey_seed_file, "nkey seed file");
    check(natsOptions_SetNKeyFromSeed(opts, public_key.c_str(), s.nkey_seed_file.c_str()), "NATS nkey seed file");
  }
  if (!s.user_file.empty()) {
    const UserPassword login = read_user_file(s.user_file);
    check(natsOptions_SetUserInfo(opts, login.user.c_str(), login.password.c_str()), "NATS user file");
  }

  if (!wants_tls(options)) return;
  // Secure: a server that does not offer TLS is refused (cnats' "secure connection wanted").
  check(natsOptions_SetSecure(opts, true), "NATS TLS");
  if (!s.ca_file.empty()) {
    read_file(s.ca_file, "CA file");  // a clear message for a missing file; cnats parses it
    check(natsOptions_LoadCATrustedCertificates(opts, s.ca_file.c_str()), "NATS CA file " + s.ca_file);
  }
  if (!s.cert_file.empty()) {
    read_file(s.cert_file, "client certificate");
    read_file(s.key_file, "client key");
    check(natsOptions_LoadCertificatesChain(opts, s.cert_file.c_str(), s.key_file.c_str()),
          "NATS client certificate " + s.cert_file + " and key " + s.key_file);
  }
}

}  // namespace eventsd::nats::detail
