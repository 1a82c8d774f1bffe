// The native API (seed 001; docs/api.md, "Ingest", "Delete", "List"): /v1/events and friends.
#include "commands/event_input.h"
#include "http/api/filters.h"
#include "common/json_writer.h"
#include "http/api/render.h"
#include "http/api/router.h"
#include "http/dialects/routes.h"
#include "http/api/submit.h"
#include "http/api/view.h"

namespace eventsd::http {

namespace asio = boost::asio;

namespace {

asio::awaitable<Reply> ingest(App& app, Request& req) {
  co_return co_await ingest_events(app, req, kNativeFieldNames);
}

}  // namespace

asio::awaitable<Reply> ingest_events(App& app, Request& req, FieldNames names) {
  req.query.only({});
  const IdSpace ids = req.principal.publishable ? IdSpace::browser : IdSpace::server;
  auto result = co_await submit<Ingested>(app, req, parse_ingest(json_body(req), names, req.received_at, ids));
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("status").string("success").key("ids").begin_array();
  for (const auto& id : result.ids) w.string(id);
  // Per event, beside its id: recorded by this request (true) or an idempotent duplicate (false).
  w.end_array().key("created").begin_array();
  for (bool created : result.created) w.boolean(created);
  w.end_array().key("position").number(result.position).end_object();
  co_return with_position(json_response(201, std::move(body)), result.position);
}

namespace {

asio::awaitable<Reply> delete_batch(App& app, Request& req) {
  req.query.only({});
  auto result = co_await submit<Deleted>(app, req, parse_delete(json_body(req)));
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("status").string("success").key("deleted").number(result.deleted);
  w.key("not_found").begin_array();
  for (const auto& id : result.not_found) w.string(id);
  w.end_array().key("position").number(result.position).end_object();
  co_return with_position(json_response(200, std::move(body)), result.position);
}

SortBy parse_sort_by(const QueryParams& q) {
  auto v = q.get("sort_by");
  if (!v || *v == "timestamp") return SortBy::timestamp;
  if (*v == "event") return SortBy::event;
  if (*v == "createdAt") return SortBy::created_at;
  throw bad_param("sort_by", "sort_by must be one of timestamp, event, createdAt");
}

bool parse_descending(const QueryParams& q) {
  auto v = q.get("sort_dir");
  if (!v || *v == "desc") return true;
  if (*v == "asc") return false;
  throw bad_param("sort_dir", "sort_dir must be asc or desc");
}

asio::awaitable<Reply> list(App& app, Request& req) {
  const auto& q = req.query;
  q.only({"page", "limit", "event_type", "contact_id", "domain", "url_contains", "date_after",
          "date_before", "identified_only", "search", "sort_by", "sort_dir", "count_only", "fields",
          "range", "suppressed", "cursor"});
  ListRequest lr;
  parse_list_filter(req, lr.filter);
  lr.sort_by = parse_sort_by(q);
  lr.descending = parse_descending(q);
  const bool count_only = bool_param(q, "count_only").value_or(false);
  bool summary = false;
  if (auto fields = q.get("fields")) {
    if (*fields != "summary") throw bad_param("fields", "fields must be summary");
    summary = true;
  }
  const auto page = int_param(q, "page", 1, std::numeric_limits<std::int32_t>::max());
  lr.limit = static_cast<std::uint32_t>(int_param(q, "limit", 1, 100).value_or(20));
  if (auto cursor = q.get("cursor")) {
    if (page) throw bad_param("cursor", "give either page or cursor, not both");
    lr.after = decode_cursor(*cursor, lr.sort_by, lr.descending);
    if (!lr.after) throw bad_param("cursor", "cursor is not one this listing issued (same sort_by and sort_dir)");
  }
  lr.offset = (static_cast<std::uint64_t>(page.value_or(1)) - 1) * lr.limit;
  lr.max_skip = kMaxSkip;

  std::string body;
  JsonWriter w(body);
  TenantView view(app, req.principal.tenant);
  const auto tno = view.tno();
  if (count_only) {
    const std::uint64_t n = tno ? count_events(view.read(), *tno, lr.filter) : 0;
    w.begin_object().key("status").string("success").key("count").number(n).end_object();
    co_return json_response(200, std::move(body));
  }
  ListResult result;
  if (tno) result = list_events(view.read(), *tno, lr);
  if (result.too_deep) throw too_deep("page");
  Enricher enricher(view.read(), tno.value_or(0));
  w.begin_object().key("status").string("success").key("events").begin_array();
  for (const auto& e : result.events) {
    if (summary) write_summary_event(w, e);
    else write_native_event(w, e, &enricher, false);
  }
  w.end_array();
  w.key("pagination").begin_object();
  if (lr.after) w.key("page").null();
  else w.key("page").number(static_cast<std::int64_t>(page.value_or(1)));
  w.key("limit").number(lr.limit);
  w.key("total_pages").number((result.total + lr.limit - 1) / lr.limit);
  w.key("total_items").number(result.total);
  if (result.next) w.key("next_cursor").string(encode_cursor(lr.sort_by, lr.descending, *result.next));
  else w.key("next_cursor").null();
  w.end_object().end_object();
  co_return json_response(200, std::move(body));
}

asio::awaitable<Reply> get_one(App& app, Request& req) {
  req.query.only({});
  const std::string& id = path_id(req, "event_not_found", "no event with this id");
  TenantView view(app, req.principal.tenant);
  const auto tno = view.tno();
  std::optional<StoredEvent> event;
  if (tno) event = find_event(view.read(), *tno, id);
  if (!event) throw ApiError(404, "event_not_found", "no event with this id");
  Enricher enricher(view.read(), *tno);
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("status").string("success").key("event");
  write_native_event(w, *event, &enricher, true);
  w.end_object();
  co_return json_response(200, std::move(body));
}

}  // namespace

void add_native_routes(Router& r) {
  using V = bhttp::verb;
  r.add_log_write(V::post, "/v1/events", Dialect::native, "events:write", ingest);
  r.add(V::get, "/v1/events", Dialect::native, "events:read", list);
  r.add_log_write(V::delete_, "/v1/events/batch", Dialect::native, "events:write", delete_batch);
  r.add(V::get, "/v1/events/{id}", Dialect::native, "events:read", get_one);
  r.add_log_write(V::delete_, "/events/batch", Dialect::org_unit, "events:write", delete_batch);
}

}  // namespace eventsd::http
