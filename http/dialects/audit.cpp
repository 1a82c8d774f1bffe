// GET /v1/audit/events/{id} (scope admin): every log record that touched an event, oldest first
// — the same records as `eventctl audit --event`.
#include "common/json_writer.h"
#include "http/api/router.h"
#include "http/dialects/routes.h"
#include "projections/audit.h"
#include "projections/fact_json.h"
#include "projections/stored_event.h"
#include "http/api/view.h"

namespace eventsd::http {

namespace {

boost::asio::awaitable<Reply> audit_event_route(App& app, Request& req) {
  req.query.only({});
  const std::string& id = path_id(req, "event_not_found", "no event with this id");
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("status").string("success").key("event_id").string(id).key("history").begin_array();
  std::size_t found = 0;
  {
    TenantView view(app, req.principal.tenant);
    if (auto tno = view.tno()) {
      found = audit_event(view.read(), *tno, id,
                          [&](std::uint64_t position, schema::LogRecord::Reader record) {
                            write_record_json(w, position, record, [&](schema::Event::Reader e) {
                              return text_view(e.getId()) == id;
                            });
                          });
    }
  }
  if (found == 0) throw ApiError(404, "event_not_found", "no record of an event with this id");
  w.end_array().end_object();
  co_return json_response(200, std::move(body));
}

}  // namespace

void add_audit_routes(Router& r) {
  r.add(bhttp::verb::get, "/v1/audit/events/{id}", Dialect::native, "admin", audit_event_route);
}

}  // namespace eventsd::http
