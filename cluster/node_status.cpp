#include "cluster/node_status.h"

#include <boost/json.hpp>
#include <stdexcept>

#include "common/json_writer.h"

namespace eventsd {

namespace json = boost::json;

std::string node_status_subject(std::string_view node) {
  return "eventsd.node." + std::string(node) + ".status";
}

void write_shard_status(JsonWriter& w, const NodeShardStatus& s) {
  w.key("shard").number(s.shard)
      .key("owns").boolean(s.owns)
      .key("epoch").number(s.epoch)
      .key("applied_seq").number(s.applied_seq)
      .key("log_position").number(s.log_position)
      .key("read_position").number(s.read_position);
}

std::string encode_node_status(const NodeStatus& status) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().key("node").string(status.node).key("shards").begin_array();
  for (const auto& s : status.shards) {
    w.begin_object();
    write_shard_status(w, s);
    w.end_object();
  }
  w.end_array().end_object();
  return out;
}

namespace {

const json::value& member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) throw std::runtime_error("node status: no \"" + std::string(key) + "\"");
  return *v;
}

std::uint64_t unsigned_member(const json::object& o, std::string_view key) {
  const json::value& v = member(o, key);
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
  throw std::runtime_error("node status: \"" + std::string(key) + "\" is not an unsigned integer");
}

}  // namespace

NodeStatus decode_node_status(std::string_view text) {
  boost::system::error_code ec;
  const json::value doc = json::parse(text, ec);
  if (ec || !doc.is_object()) throw std::runtime_error("node status: not a JSON object");
  const auto& o = doc.get_object();
  NodeStatus status;
  const json::value& node = member(o, "node");
  if (!node.is_string()) throw std::runtime_error("node status: \"node\" is not a string");
  status.node = std::string(node.get_string());
  const json::value& shards = member(o, "shards");
  if (!shards.is_array()) throw std::runtime_error("node status: \"shards\" is not an array");
  for (const auto& item : shards.get_array()) {
    if (!item.is_object()) throw std::runtime_error("node status: a shard is not an object");
    const auto& s = item.get_object();
    const json::value& owns = member(s, "owns");
    if (!owns.is_bool()) throw std::runtime_error("node status: \"owns\" is not a boolean");
    const std::uint64_t shard = unsigned_member(s, "shard");
    if (shard > UINT32_MAX) throw std::runtime_error("node status: shard out of range");
    status.shards.push_back(NodeShardStatus{
        .shard = static_cast<std::uint32_t>(shard),
        .owns = owns.get_bool(),
        .epoch = unsigned_member(s, "epoch"),
        .applied_seq = unsigned_member(s, "applied_seq"),
        .log_position = unsigned_member(s, "log_position"),
        .read_position = unsigned_member(s, "read_position"),
    });
  }
  return status;
}

}  // namespace eventsd
