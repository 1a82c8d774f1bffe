// eventctl token create|import|list|revoke|check
#include <stdlib.h>

#include <filesystem>
#include <iostream>
#include <sstream>

#include "cluster/nats.h"
#include "eventlog/store.h"
#include "cluster/system_log.h"
#include "common/time.h"
#include "accounts/tokens.h"
#include "tools/cli.h"

namespace eventsd::cli {

namespace {

// token create's work in the caller's write transaction: a publishable key or a token with scopes.
std::string create_token(TokenStore& tokens, lmdb::Txn& txn, const Args& args) {
  try {
    if (args.get("publishable")) {
      if (args.get("scopes")) throw Usage("a publishable key has the events:write scope only; drop --scopes");
      PublishableSpec spec;
      spec.origins = split_commas(args.need("origins"));
      auto rate = [&](const char* name) {
        auto v = args.get(name);
        if (!v) return 0.0;
        std::size_t used = 0;
        double d = -1;
        try {
          d = std::stod(*v, &used);
        } catch (const std::exception&) {
        }
        if (used != v->size() || !(d >= 0)) throw Usage(std::string("--") + name + " needs a number >= 0");
        return d;
      };
      spec.rate = rate("rate");
      spec.address_rate = rate("address-rate");
      return tokens.create_publishable(txn, args.need("tenant"), spec);
    }
    return tokens.create(txn, args.need("tenant"), split_commas(args.need("scopes")));
  } catch (const Usage&) {
    throw;
  } catch (const std::invalid_argument& e) {
    throw Usage(e.what());
  }
}

// A directory of its own under the temporary directory, removed with what it holds.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "eventctl-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot make a temporary directory");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// token create --nats: the token is published to the cluster's system stream (docs/cluster.md),
// which every node applies, so no data directory is needed (the first token of a new cluster).
// The change is recorded against an empty scratch environment: a new token's key is the hash of
// a fresh secret, so nothing a node holds could change what it is.
int create_in_cluster(const Args& args) {
  if (args.get("data") || args.get("create")) throw Usage("token create --nats writes to the cluster: drop --data");
  SystemLogOptions options;
  if (auto r = args.get("replicas")) {
    if (*r != "1" && *r != "3" && *r != "5") throw Usage("--replicas must be 1, 3 or 5");
    options.replicas = std::stoi(*r);
  }
  nats::Connection connection(nats::ConnectOptions{split_commas(args.need("nats")), "eventctl"});
  ScratchDir scratch;
  StoreOptions scratch_options;
  scratch_options.map_size = std::size_t{64} << 20;
  scratch_options.durable = false;
  Store store(scratch.path(), scratch_options);
  TokenStore tokens(store);
  SystemLog system(connection, store, options);
  std::string secret;
  system.publish([&](lmdb::Txn& txn) { secret = create_token(tokens, txn, args); });
  std::cout << secret << "\n";
  return kOk;
}

}  // namespace

int tokens(const std::string& verb, const Args& args) {
  args.only({"data", "tenant", "scopes", "create", "publishable", "origins", "rate", "address-rate", "key", "nats",
             "replicas"});
  if (args.get("nats") || args.get("replicas")) {
    if (verb != "create") throw Usage("--nats is for token create only");
    return create_in_cluster(args);
  }
  const bool writes = verb == "create" || verb == "import" || verb == "revoke";
  auto store_ptr = open_log_store(args.need("data"), writes, verb == "create" && args.get("create").has_value());
  Store& store = *store_ptr;
  TokenStore tokens(store);
  if (verb == "create") {
    std::string secret;
    store.write([&](lmdb::Txn& txn) { secret = create_token(tokens, txn, args); });
    std::cout << secret << "\n";
    return kOk;
  }
  if (verb == "import") {
    // "--key -" reads the key from the first line of stdin, keeping it out of the process list
    // and the shell's history.
    std::string key = args.need("key");
    if (key == "-" && !std::getline(std::cin, key)) throw Usage("--key -: no key on stdin");
    if (!key.empty() && key.back() == '\r') key.pop_back();
    try {
      std::cout << tokens.import(args.need("tenant"), split_commas(args.need("scopes")), key) << "\n";
    } catch (const std::invalid_argument& e) {
      throw Usage(e.what());
    }
    return kOk;
  }
  if (verb == "list") {
    for (const auto& t : tokens.list()) {
      std::string scopes;
      for (const auto& s : t.scopes) scopes += (scopes.empty() ? "" : ",") + s;
      std::cout << t.id << "\t" << t.tenant << "\t" << scopes << "\t" << format_iso8601_s(t.created_at);
      if (t.publishable) {
        std::string origins;
        for (const auto& o : t.origins) origins += (origins.empty() ? "" : ",") + o;
        std::cout << "\tpublishable\t" << origins;
      }
      std::cout << "\n";
    }
    return kOk;
  }
  if (verb == "revoke" || verb == "check") {
    if (args.positional.size() != 1) throw Usage("token " + verb + " takes one argument");
    if (verb == "revoke") {
      if (!tokens.revoke(args.positional[0])) {
        std::cerr << "eventctl: no token " << args.positional[0] << "\n";
        return kFailed;
      }
      return kOk;
    }
    auto reader = store.read();
    auto info = tokens.find(reader.txn(), args.positional[0]);
    if (!info) return kFailed;
    std::cout << info->id << "\t" << info->tenant << "\n";
    return kOk;
  }
  throw Usage("unknown token command: " + verb);
}

}  // namespace eventsd::cli
