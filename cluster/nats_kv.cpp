// JetStream key-value buckets over cnats: creating a bucket, reading a key from the stream's
// leader, create and compare-and-set update (Exists, Conflict), and every key with its entry.
#include <nats/nats.h>

#include <cstring>

#include "cluster/nats.h"
#include "cluster/nats_link.h"

namespace eventsd::nats {

using namespace detail;

namespace {

using EntryPtr = std::unique_ptr<kvEntry, Deleter<kvEntry, kvEntry_Destroy>>;
using WatcherPtr = std::unique_ptr<kvWatcher, Deleter<kvWatcher, kvWatcher_Destroy>>;

// When the server stored the entry: cnats gives nanoseconds since the epoch, UTC.
std::chrono::system_clock::time_point written(kvEntry* entry) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(kvEntry_Created(entry))));
}

bool wrong_last_sequence_error() {
  const char* text = nats_GetLastError(nullptr);
  return text && std::strstr(text, "wrong last sequence") != nullptr;
}

}  // namespace

void Connection::ensure_bucket(const std::string& bucket, int replicas) {
  Link& l = *impl_->link;
  kvConfig cfg;
  kvConfig_Init(&cfg);
  cfg.Bucket = bucket.c_str();
  cfg.History = 1;
  cfg.StorageType = js_FileStorage;
  cfg.Replicas = replicas;
  kvStore* kv = nullptr;
  const natsStatus s = js_CreateKeyValue(&kv, l.js, &cfg);
  if (s != NATS_OK) fail(s, "creating key-value bucket " + bucket);
  std::lock_guard lock(l.kv_mu);
  if (!l.buckets.emplace(bucket, kv).second) kvStore_Destroy(kv);
}

std::optional<KvEntry> Connection::kv_get(const std::string& bucket, const std::string& key) {
  Link& l = *impl_->link;
  l.bucket(bucket);  // the bucket must exist
  // Not kvStore_Get: it reads with JetStream's direct get, which any replica answers, so a
  // follower behind the leader answers with a value older than a write already acknowledged.
  // The stream's leader answers $JS.API.STREAM.MSG.GET.
  const std::string stream = "KV_" + bucket;
  const std::string subject = "$KV." + bucket + "." + key;
  jsOptions jo = l.api_options();
  natsMsg* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetLastMsg(&raw, l.js, stream.c_str(), subject.c_str(), &jo, &code);
  MsgPtr msg(raw);
  if (code == JSNoMessageFoundErr || (s == NATS_NOT_FOUND && code != JSStreamNotFoundErr)) return std::nullopt;
  if (s != NATS_OK) fail(s, "reading key " + key + " of bucket " + bucket, code);
  const char* operation = nullptr;
  if (natsMsgHeader_Get(msg.get(), "KV-Operation", &operation) == NATS_OK && operation &&
      (std::strcmp(operation, "DEL") == 0 || std::strcmp(operation, "PURGE") == 0)) {
    return std::nullopt;  // deleted
  }
  const char* data = natsMsg_GetData(msg.get());
  return KvEntry{std::string(data ? data : "", static_cast<std::size_t>(natsMsg_GetDataLength(msg.get()))),
                 natsMsg_GetSequence(msg.get()),
                 std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
                     std::chrono::nanoseconds(natsMsg_GetTime(msg.get()))))};
}

KvWrite Connection::kv_create(const std::string& bucket, const std::string& key, std::string_view value) {
  kvStore* kv = impl_->link->bucket(bucket);
  std::uint64_t revision = 0;
  const natsStatus s = kvStore_Create(&revision, kv, key.c_str(), value.data(), static_cast<int>(value.size()));
  if (s == NATS_OK) return revision;
  // kvStore_Create does not pass JetStream's error code on; the text is JetStream's.
  if (s == NATS_ERR && wrong_last_sequence_error()) return Exists{};
  fail(s, "creating key " + key + " of bucket " + bucket);
}

KvWrite Connection::kv_update(const std::string& bucket, const std::string& key, std::string_view value,
                              std::uint64_t revision) {
  kvStore* kv = impl_->link->bucket(bucket);
  std::uint64_t new_revision = 0;
  const natsStatus s =
      kvStore_Update(&new_revision, kv, key.c_str(), value.data(), static_cast<int>(value.size()), revision);
  if (s == NATS_OK) return new_revision;
  if (s == NATS_ERR && wrong_last_sequence_error()) return Conflict{};
  fail(s, "updating key " + key + " of bucket " + bucket);
}

std::map<std::string, KvEntry> Connection::kv_all(const std::string& bucket) {
  Link& l = *impl_->link;
  kvStore* kv = l.bucket(bucket);
  // A watcher of every key delivers each key's latest entry and then a null entry (cnats'
  // kvStore_Keys does the same without the values).
  kvWatchOptions wo;
  kvWatchOptions_Init(&wo);
  wo.IgnoreDeletes = true;
  kvWatcher* raw = nullptr;
  check(kvStore_WatchAll(&raw, kv, &wo), "reading bucket " + bucket);
  WatcherPtr watcher(raw);
  std::map<std::string, KvEntry> all;
  const auto deadline = std::chrono::steady_clock::now() + l.timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw Unavailable("reading bucket " + bucket + ": timed out");
    kvEntry* e_raw = nullptr;
    const natsStatus s = kvWatcher_Next(&e_raw, watcher.get(), left.count());
    EntryPtr entry(e_raw);
    check(s, "reading bucket " + bucket);
    if (!entry) break;  // the initial state is complete
    if (kvEntry_Operation(entry.get()) != kvOp_Put) continue;
    const auto* value = static_cast<const char*>(kvEntry_Value(entry.get()));
    all[kvEntry_Key(entry.get())] =
        KvEntry{std::string(value ? value : "", static_cast<std::size_t>(kvEntry_ValueLen(entry.get()))),
                kvEntry_Revision(entry.get()), written(entry.get())};
  }
  return all;
}

}  // namespace eventsd::nats
