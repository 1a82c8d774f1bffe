// eventctl token create|import|list|revoke|check

#include <chrono>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "accounts/tokens.h"
#include "cluster/nats.h"
#include "cluster/nats_flags.h"
#include "cluster/system_log.h"
#include "common/flags.h"
#include "common/temp_dir.h"
#include "common/time.h"
#include "eventlog/store.h"
#include "tools/commands.h"
#include "tools/data_option.h"
#include "tools/exit_status.h"
#include "tools/terminal_text.h"
#include "tools/validators.h"

namespace eventsd::cli {

namespace {

using flags::split_commas;

struct CreateOptions {
  std::string data, nats, tenant, scopes, origins, key_file;
  nats::Security security;
  bool create = false, publishable = false, is_operator = false;
  double rate = 0, address_rate = 0;
  int replicas = 3;
};

// token create's work in the caller's write transaction: an operator's token, a publishable key
// or a tenant's token with scopes.
std::string create_token(TokenStore& tokens, lmdb::Txn& txn, const CreateOptions& o) {
  try {
    if (o.is_operator) return tokens.create_operator(txn);
    if (o.publishable) {
      return tokens.create_publishable(txn, o.tenant, PublishableSpec{split_commas(o.origins), o.rate, o.address_rate});
    }
    return tokens.create(txn, o.tenant, split_commas(o.scopes));
  } catch (const std::invalid_argument& e) {
    throw Usage(e.what());
  }
}

// token create --nats: the token is published to the cluster's system stream (docs/cluster.md),
// which every node applies, so no data directory is needed (the first token of a new cluster).
// The change is recorded against an empty scratch environment: a new token's key is the hash of
// a fresh secret, so nothing a node holds could change what it is.
int create_in_cluster(const CreateOptions& o) {
  SystemLogOptions options;
  options.replicas = o.replicas;
  if (o.key_file.empty()) throw Usage("--nats needs --cluster-key-file: the system stream takes only sealed changes");
  const ClusterKey key = ClusterKey::from_file(o.key_file, system_clock());
  nats::Connection connection(
      nats::ConnectOptions{split_commas(o.nats), "eventctl", std::chrono::seconds(5), o.security});
  TempDir scratch("eventctl-");
  StoreOptions scratch_options;
  scratch_options.map_size = std::size_t{64} << 20;
  scratch_options.durable = false;
  Store store(scratch.path(), scratch_options);
  TokenStore tokens(store);
  SystemLog system(connection, store, key, "eventctl", options);
  std::string secret;
  system.publish([&](lmdb::Txn& txn) { secret = create_token(tokens, txn, o); });
  std::cout << secret << "\n";
  return kOk;
}

int create(const CreateOptions& o) {
  if (o.data.empty() == o.nats.empty()) throw Usage("give --data DIR, or --nats URL,... for a cluster");
  if (!o.is_operator && o.tenant.empty()) throw Usage("give --tenant, or --operator");
  if (o.scopes.empty() && !o.publishable && !o.is_operator) {
    throw Usage("give --scopes, or --publishable with --origins, or --operator");
  }
  if (!o.nats.empty()) return create_in_cluster(o);
  auto store = open_log_store(o.data, true, o.create);
  TokenStore tokens(*store);
  std::string secret;
  store->write([&](lmdb::Txn& txn) { secret = create_token(tokens, txn, o); });
  std::cout << secret << "\n";
  return kOk;
}

struct ImportOptions {
  std::string data, tenant, scopes, key;
};

int import(const ImportOptions& o) {
  auto store = open_log_store(o.data, true);
  TokenStore tokens(*store);
  // "--key -" reads the key from the first line of stdin, keeping it out of the process list
  // and the shell's history.
  std::string key = o.key;
  if (key == "-" && !std::getline(std::cin, key)) throw Usage("--key -: no key on stdin");
  if (!key.empty() && key.back() == '\r') key.pop_back();
  try {
    std::cout << tokens.import(o.tenant, split_commas(o.scopes), key) << "\n";
  } catch (const std::invalid_argument& e) {
    throw Usage(e.what());
  }
  return kOk;
}

struct ListOptions {
  std::string data;
};

int list(const ListOptions& o) {
  auto store = open_log_store(o.data, false);
  TokenStore tokens(*store);
  for (const auto& t : tokens.list()) {
    std::string scopes;
    for (const auto& s : t.scopes) scopes += (scopes.empty() ? "" : ",") + s;
    // Stored text, escaped: an origin stored before origins were checked as strictly as now
    // (or written below the API) must not reach the terminal as controls.
    std::cout << printable(t.id) << "\t" << (t.is_operator() ? "-" : printable(t.tenant)) << "\t"
              << printable(scopes) << "\t" << format_iso8601_s(t.created_at);
    if (t.publishable) {
      std::string origins;
      for (const auto& origin : t.origins) origins += (origins.empty() ? "" : ",") + origin;
      std::cout << "\tpublishable\t" << printable(origins);
    }
    std::cout << "\n";
  }
  return kOk;
}

// token revoke's id, token check's secret.
struct TokenOptions {
  std::string data, token;
};

int revoke(const TokenOptions& o) {
  auto store = open_log_store(o.data, true);
  TokenStore tokens(*store);
  if (!tokens.revoke(o.token)) {
    std::cerr << "eventctl: no token " << o.token << "\n";
    return kFailed;
  }
  return kOk;
}

int check(const TokenOptions& o) {
  auto store = open_log_store(o.data, false);
  TokenStore tokens(*store);
  auto reader = store->read();
  auto info = tokens.find(reader.txn(), o.token);
  if (!info) return kFailed;
  std::cout << printable(info->id) << "\t" << (info->is_operator() ? "-" : printable(info->tenant)) << "\n";
  return kOk;
}

// Each origin as browsers send Origin (accounts/tokens.h: normalize_origin).
CLI::Validator origin_list() {
  return flags::list_of(
      [](const std::string& origin) -> std::string {
        if (normalize_origin(origin)) return {};
        return "'" + origin + "' is not scheme://host[:port] (http or https)";
      },
      "origins");
}

constexpr const char* kScopesHelp = "what the token may do: events:read, events:write, campaigns:read, admin";

void add_create(CLI::App& token, Run& run) {
  auto [create, o] = add_command(
      token, run, "create",
      "print a new token for a tenant with its scopes, with --publishable a key for the browser tracker, or "
      "with --operator an operator's token; with --nats instead of --data, publish it to a cluster's system "
      "stream (no data directory needed)",
      cli::create);
  auto* data = create->add_option("--data", o->data, "the data directory (eventsd's --data); or --nats")
                   ->type_name("DIR");
  auto* nats = create->add_option("--nats", o->nats, "a cluster's NATS servers, instead of --data: the token is "
                                                     "published to the cluster's system stream")
                   ->type_name("URL[,URL...]")
                   ->check(flags::nats_urls())
                   ->excludes(data);
  nats::add_security_flags(*create, o->security, nats);
  create->add_flag("--create", o->create, "make the data directory if it is new")->excludes(nats);
  auto* tenant = create->add_option("--tenant", o->tenant, "the tenant; or --operator")
                     ->type_name("T")
                     ->check(tenant_id());
  auto* scopes = create->add_option("--scopes", o->scopes, std::string(kScopesHelp) + "; or --publishable")
                     ->type_name("a,b,...")
                     ->check(scope_list());
  auto* operator_flag = create->add_flag("--operator", o->is_operator,
                                         "an operator's token instead: of no tenant, for what spans every tenant "
                                         "(rebuilding the read models, /healthz's positions and shards) and "
                                         "nothing else")
                            ->excludes(tenant)
                            ->excludes(scopes);
  auto* publishable = create->add_flag("--publishable", o->publishable,
                                       "a publishable key instead: it may only ingest events and identify "
                                       "contacts, from --origins")
                          ->excludes(scopes)
                          ->excludes(operator_flag);
  auto* origins = create->add_option("--origins", o->origins, "the web sites a publishable key is used from")
                      ->type_name("https://a.example,...")
                      ->check(origin_list())
                      ->needs(publishable);
  publishable->needs(origins);
  create->add_option("--rate", o->rate, "a publishable key's requests per second, 0.1-10000 (default 0: the "
                                        "server's default, 50)")
      ->type_name("RPS")
      ->check(key_rate())
      ->needs(publishable);
  create->add_option("--address-rate", o->address_rate, "a publishable key's requests per second from one "
                                                        "client address, 0.1-10000 (default 0: the server's "
                                                        "default, 10)")
      ->type_name("RPS")
      ->check(key_rate())
      ->needs(publishable);
  create->add_option("--replicas", o->replicas, "with --nats: replicas of the cluster's system stream if this "
                                                "creates it, 1, 3 or 5 (default 3)")
      ->type_name("N")
      ->check(CLI::IsMember({1, 3, 5}).description(""))
      ->needs(nats);
  create->add_option("--cluster-key-file", o->key_file, "with --nats: the cluster key the nodes hold (eventsd "
                                                        "--cluster-key-file), which seals the change")
      ->type_name("PATH")
      ->check(CLI::ExistingFile)
      ->needs(nats);
}

void add_import(CLI::App& token, Run& run) {
  auto [import, o] = add_data_command(token, run, "import",
                                      "store an API key a client already has (hashed) as a token of the tenant with "
                                      "the scopes; print the token's id",
                                      cli::import);
  import->add_option("--tenant", o->tenant, "the tenant")->type_name("T")->required()->check(tenant_id());
  import->add_option("--scopes", o->scopes, kScopesHelp)->type_name("a,b,...")->required()->check(scope_list());
  import->add_option("--key", o->key, "the key; - reads it from the first line of standard input")
      ->type_name("KEY|-")
      ->required();
}

}  // namespace

void add_token_commands(CLI::App& app, Run& run) {
  auto* token = add_group(app, "token", "API tokens and publishable keys");
  add_create(*token, run);
  add_import(*token, run);

  add_data_command(*token, run, "list",
                   "each token's id, tenant, scopes and creation time (never the secret), and a publishable "
                   "key's origins",
                   cli::list);

  auto [revoke, revoked] = add_data_command(*token, run, "revoke",
                                            "revoke a token by its id; a running eventsd refuses it at once",
                                            cli::revoke);
  revoke->add_option("TOKEN_ID", revoked->token, "the token's id (tok_...), as token list shows it")->required();

  auto [check, checked] = add_data_command(*token, run, "check",
                                           "print the id and tenant of a valid token; exit 1 if it is not valid",
                                           cli::check);
  check->add_option("TOKEN", checked->token, "the token's secret")->required();
}

}  // namespace eventsd::cli
