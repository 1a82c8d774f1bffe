// Inside commands/write_model*.cpp: the keys and values of the write model's databases (their
// table is in write_model.h), shared by the files that write them (write_model_fold.cpp) and
// read them (write_model.cpp, write_model_queries.cpp). Not for use outside them.
//
// Thread safety: functions of their arguments only; the transactions passed in are the caller's.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/time.h"
#include "eventlog/keys.h"
#include "eventlog/lmdb.h"

namespace eventsd::write_model_layout {

// wm_meta's keys.
inline constexpr std::string_view kLayout = "layout";
inline constexpr std::string_view kCheckpoint = "checkpoint";
inline constexpr std::string_view kNextTenant = "next_tenant";
// wm_contact_events' value: the first byte's flags.
inline constexpr std::uint8_t kSuppressedFlag = 1;
// wm_rules' kinds.
inline constexpr std::uint8_t kSuppressionRules = 1, kScoringRules = 2;

// A u64 of wm_meta (0 when absent).
inline std::uint64_t meta_u64(const lmdb::Txn& txn, MDB_dbi meta, std::string_view key) {
  std::string_view v;
  return txn.get(meta, key, v) ? keys::load_native_u64(v) : 0;
}

inline void put_u64(lmdb::Txn& txn, MDB_dbi meta, std::string_view key, std::uint64_t value) {
  txn.put(meta, key, keys::native_u64(value));
}

// wm_contact_events' key: [tno][contact\0][ts][seq].
inline keys::Key contact_key(std::uint32_t tno, std::string_view contact, Millis ts, std::uint64_t seq) {
  return keys::Key().u32(tno).str(contact).i64(ts).u64(seq);
}

// A struct of a record, stored as a message of its own (so that it outlives the record's bytes).
template <class Reader>
std::string to_message(Reader reader) {
  capnp::MallocMessageBuilder message;
  message.setRoot(reader);
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

// Calls `use` with the root of a message to_message stored, and returns what it returns.
template <class T, class F>
auto from_message(std::string_view bytes, F&& use) {
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), words.size() * sizeof(capnp::word));
  capnp::FlatArrayMessageReader reader(words);
  return use(reader.getRoot<T>());
}

}  // namespace eventsd::write_model_layout
