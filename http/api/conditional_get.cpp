// Conditional GET: entity tags of answers, and If-None-Match against them.
#include "http/api/conditional_get.h"

#include <boost/beast/http/field.hpp>

#include <string>
#include <string_view>

#include "common/encoding.h"
#include "common/hash.h"
#include "http/api/view.h"

namespace eventsd::http {

namespace {

// The entity tag of an answer: the read models' position, how the answer depends on the clock
// ('-': not at all, 'd': by the UTC day), then a digest of what else it depends on.
std::string entity_tag(std::uint64_t checkpoint, char clock, Millis now, const Request& req) {
  std::string identity = req.principal.tenant;
  identity.push_back('\0');
  identity.append(req.raw.target());
  identity.push_back('\0');
  if (auto it = req.raw.find(bhttp::field::accept_encoding); it != req.raw.end()) {
    identity.append(it->value());  // a compressed answer is another representation
  }
  identity.push_back('\0');
  if (clock == 'd') identity.append(std::to_string(day_start(now)));
  std::string tag = std::to_string(checkpoint);
  tag.insert(tag.begin(), '"');
  tag.push_back(clock);
  tag.append(to_hex(sha256(identity)), 0, 20);
  tag.push_back('"');
  return tag;
}

// Whether an If-None-Match value names `tag` (weak comparison, RFC 9110 §13.1.2).
bool none_match_hits(std::string_view header, std::string_view tag) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  };
  if (trim(header) == "*") return true;
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view item = trim(header.substr(0, comma));
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item == tag) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

// The clock code of a tag this server issued ('-' or 'd'), if it is one.
std::optional<char> tag_clock(std::string_view header) {
  const auto quote = header.find('"');
  if (quote == std::string_view::npos) return std::nullopt;
  for (std::size_t i = quote + 1; i < header.size(); ++i) {
    if (header[i] >= '0' && header[i] <= '9') continue;
    if (header[i] == '-' || header[i] == 'd') return header[i];
    break;
  }
  return std::nullopt;
}

std::uint64_t read_models_position(const App& app, const Request& request) {
  TenantView view(app, request.principal.tenant);
  return view.models().checkpoint(view.txn());
}

}  // namespace

ConditionalGet::ConditionalGet(const App& app, const Request& request)
    : request_(request), checkpoint_(read_models_position(app, request)) {}

std::optional<Response> ConditionalGet::not_modified() const {
  const RawRequest& raw = request_.raw;
  auto inm = raw.find(bhttp::field::if_none_match);
  // "*" asks whether the answer exists at all: only the handler can tell.
  if (inm == raw.end() || inm->value().find('"') == std::string_view::npos) return std::nullopt;
  // The clock code of the tag the client holds says how this answer depends on the clock: the
  // same route and target read it the same way.
  const char clock = tag_clock(inm->value()).value_or('-');
  const std::string tag = entity_tag(checkpoint_, clock, request_.received_at, request_);
  if (!none_match_hits(inm->value(), tag)) return std::nullopt;
  Response res{bhttp::status::not_modified, 11};
  res.set(bhttp::field::etag, tag);
  return res;
}

void ConditionalGet::tag(Reply& reply) const {
  if (reply.chunks || reply.response.result() != bhttp::status::ok) return;
  const Millis g = request_.clock_granularity;
  if (g != 0 && g != kMillisPerDay) return;
  const std::string tag = entity_tag(checkpoint_, g == 0 ? '-' : 'd', request_.received_at, request_);
  if (auto inm = request_.raw.find(bhttp::field::if_none_match);
      inm != request_.raw.end() && none_match_hits(inm->value(), tag)) {
    reply = Reply(Response{bhttp::status::not_modified, 11});
  }
  reply.response.set(bhttp::field::etag, tag);
}

}  // namespace eventsd::http
