// The workspace dialect (seed 004; docs/api.md, "Workspace dialect"): GET and POST /api/workspaces/{workspaceId}/events.
// The workspace id is the tenant id; a token of another tenant is told the workspace does not
// exist.
//
// An event shows the fields the seed's POST body takes beside metadata (pageUrl, referrer,
// sessionId, utmSource, utmMedium, utmCampaign) inside `metadata`, as the seed's list example
// does, unless the client's metadata has that key itself; its contact carries the lead score
// (`leadScore`). Event types are the seed's (form.submitted for the stored form_submit, ...),
// translated both ways by http/api/event_names.h. docs/api.md, "Workspace dialect".
#include <algorithm>
#include <map>

#include "common/json_reader.h"
#include "http/api/event_names.h"
#include "http/api/render.h"
#include "projections/contacts.h"
#include "projections/event_queries.h"
#include "http/api/router.h"
#include "http/dialects/routes.h"
#include "http/api/submit.h"
#include "http/api/view.h"

namespace eventsd::http {

namespace asio = boost::asio;

namespace {

void check_workspace(const Request& req) {
  if (req.captures.at(0) != req.principal.tenant) {
    throw ApiError(404, "not_found", "no such workspace");
  }
}

// Contacts as this dialect shows them, each looked up once per snapshot.
class ContactCards {
 public:
  // `tno`: the tenant's number in the snapshot (none: the tenant has no contacts yet).
  ContactCards(const ReadView& view, std::optional<std::uint32_t> tno) : view_(view), tno_(tno) {}
  // Null when the contact has neither a profile nor an unsuppressed event (then: no names, score 0).
  const std::optional<Lead>& lookup(const std::string& contact_id) {
    auto it = cache_.find(contact_id);
    if (it == cache_.end()) {
      it = cache_.emplace(contact_id, tno_ ? find_lead(view_, *tno_, contact_id) : std::nullopt).first;
    }
    return it->second;
  }

 private:
  const ReadView& view_;
  std::optional<std::uint32_t> tno_;
  std::map<std::string, std::optional<Lead>, std::less<>> cache_;
};

// The event's data, with the seed's top-level fields added where the data does not name them.
void write_metadata(JsonWriter& w, const StoredEvent& e) {
  const std::pair<std::string_view, const std::optional<std::string>*> fields[] = {
      {"pageUrl", &e.url},         {"referrer", &e.referrer},   {"sessionId", &e.session_id},
      {"utmSource", &e.utm_source}, {"utmMedium", &e.utm_medium}, {"utmCampaign", &e.utm_campaign}};
  if (std::none_of(std::begin(fields), std::end(fields), [](const auto& f) { return f.second->has_value(); })) {
    w.raw(e.data);
    return;
  }
  auto parsed = parse_json(e.data);
  const JsonValue* data = std::get_if<JsonValue>(&parsed);
  // The stored data as it is (its numbers as sent), then the fields it lacks.
  std::string out(e.data, 0, e.data.size() - 1);
  bool first = out.size() == 1;
  for (const auto& [name, value] : fields) {
    if (!value->has_value() || (data && data->find(name))) continue;
    if (!std::exchange(first, false)) out.push_back(',');
    append_json_string(out, name);
    out.push_back(':');
    append_json_string(out, **value);
  }
  out.push_back('}');
  w.raw(out);
}

// `created`, when given: whether the request that answers with it recorded the event, or found
// it stored already (an idempotent retry).
void write_workspace_event(JsonWriter& w, const StoredEvent& e, ContactCards& contacts,
                           std::optional<bool> created = std::nullopt) {
  w.begin_object();
  w.key("id").string(e.id);
  w.key("type").string(shown_event_name(Dialect::workspace, e.event));
  w.key("metadata");
  write_metadata(w, e);
  w.key("timestamp").string(format_iso8601_ms(e.timestamp));
  w.key("contact");
  if (!e.contact_id) {
    w.null();
  } else {
    const auto& lead = contacts.lookup(*e.contact_id);
    const ContactProfile* profile = lead && lead->has_profile ? &lead->profile : nullptr;
    w.begin_object().key("id").string(*e.contact_id);
    w.key("email").optional_string(profile ? profile->email : std::nullopt);
    w.key("firstName").optional_string(profile ? profile->firstname : std::nullopt);
    w.key("lastName").optional_string(profile ? profile->lastname : std::nullopt);
    w.key("leadScore").number(lead ? lead->score : 0);
    w.end_object();
  }
  if (created) w.key("created").boolean(*created);
  w.end_object();
}

asio::awaitable<Reply> list(App& app, Request& req) {
  check_workspace(req);
  const auto& q = req.query;
  q.only({"contactId", "type", "limit"});
  ListRequest lr;
  lr.filter.contact_id = text_param(q, "contactId", 128);
  if (auto type = text_param(q, "type", 128)) lr.filter.event_type = stored_event_name(Dialect::workspace, *type);
  lr.limit = static_cast<std::uint32_t>(int_param(q, "limit", 1, 200).value_or(50));
  lr.count_total = false;
  std::string body;
  JsonWriter w(body);
  w.begin_array();
  TenantView view(app, req.principal.tenant);
  if (auto tno = view.tno()) {
    ContactCards contacts(view.read(), tno);
    for (const auto& e : list_events(view.read(), *tno, lr).events) {
      write_workspace_event(w, e, contacts);
    }
  }
  w.end_array();
  co_return json_response(200, std::move(body));
}

asio::awaitable<Reply> create(App& app, Request& req) {
  check_workspace(req);
  req.query.only({});
  const auto body = json_body(req);
  if (body.find("batch")) {
    throw bad_param("batch", "this endpoint takes one event");
  }
  auto parsed = parse_ingest(body, kWorkspaceFieldNames, req.received_at);
  if (auto* ingest = std::get_if<IngestEvents>(&parsed)) {
    ingest->echo = true;
    for (auto& e : ingest->events) e.event = stored_event_name(Dialect::workspace, e.event);
  }
  auto result = co_await submit<Ingested>(app, req, std::move(parsed));
  // The event as the writer decided it; only its contact's card comes from a snapshot (which
  // always has an answer: a contact without a profile shows nulls).
  const StoredEvent& event = result.events.at(0);
  std::string out;
  JsonWriter w(out);
  TenantView view(app, req.principal.tenant);
  ContactCards contacts(view.read(), view.tno());
  write_workspace_event(w, event, contacts, result.created.at(0));
  co_return with_position(json_response(201, std::move(out)), result.position);
}

}  // namespace

void add_workspace_routes(Router& r) {
  r.add(bhttp::verb::get, "/api/workspaces/{workspaceId}/events", Dialect::workspace, "events:read", list);
  r.add_log_write(bhttp::verb::post, "/api/workspaces/{workspaceId}/events", Dialect::workspace, "events:write", create);
}

}  // namespace eventsd::http
