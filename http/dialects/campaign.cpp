// The campaign event stream (seed 003; docs/api.md, "Campaign stream"): GET /v1/campaigns/{id}/events.
#include <array>

#include "http/api/filters.h"
#include "http/api/render.h"
#include "http/api/router.h"
#include "http/dialects/routes.h"
#include "http/api/view.h"

namespace eventsd::http {

namespace asio = boost::asio;

namespace {

constexpr std::array<std::string_view, 8> kCampaignTypes = {
    "sent", "delivered", "opened", "clicked", "replied", "bounced", "unsubscribed", "complained"};

void write_campaign_event(JsonWriter& w, const StoredEvent& e) {
  w.begin_object();
  w.key("id").string(e.id);
  w.key("type").string(e.event);
  w.key("contact_id").optional_string(e.contact_id);
  w.key("email").optional_string(e.email);
  w.key("step_id").optional_string(e.step_id);
  w.key("timestamp").string(format_iso8601_s(e.timestamp));
  w.key("metadata").raw(e.data);
  w.end_object();
}

asio::awaitable<Reply> campaign_events(App& app, Request& req) {
  const auto& q = req.query;
  q.only({"page", "per_page", "type", "contact_id", "from_date", "to_date"});
  const std::string& campaign = path_id(req, "campaign_not_found", "no campaign with this id");
  ListRequest lr;
  lr.filter.campaign_id = campaign;
  if (auto type = q.get("type")) {
    if (std::find(kCampaignTypes.begin(), kCampaignTypes.end(), *type) == kCampaignTypes.end()) {
      throw ApiError(400, "invalid_event_type",
                     "type must be one of sent, delivered, opened, clicked, replied, bounced, "
                     "unsubscribed, complained",
                     "type");
    }
    lr.filter.event_type = std::string(*type);
  }
  lr.filter.contact_id = text_param(q, "contact_id", 128);
  narrow(lr.filter, time_param(q, "from_date"), time_param(q, "to_date"));
  // Events older than the retention are never served, purged or not yet.
  if (app.options.campaign_retention_days > 0) {
    narrow(lr.filter, req.now() - app.options.campaign_retention_days * kMillisPerDay, std::nullopt);
  }
  const std::int64_t page = int_param(q, "page", 1, std::numeric_limits<std::int32_t>::max()).value_or(1);
  lr.limit = static_cast<std::uint32_t>(int_param(q, "per_page", 1, 100).value_or(50));
  lr.offset = static_cast<std::uint64_t>(page - 1) * lr.limit;
  lr.max_skip = kMaxSkip;
  // Oldest first, as the document's example stream is.
  lr.descending = false;

  ListResult result;
  {
    TenantView view(app, req.principal.tenant);
    const auto tno = view.tno();
    if (!tno || !view.models().campaign_exists(view.txn(), *tno, campaign)) {
      throw ApiError(404, "campaign_not_found", "no campaign with this id");
    }
    result = list_events(view.read(), *tno, lr);
  }
  if (result.too_deep) throw too_deep("page");
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("data").begin_object().key("events").begin_array();
  for (const auto& e : result.events) write_campaign_event(w, e);
  w.end_array().end_object();
  w.key("meta").begin_object();
  w.key("page").number(page).key("per_page").number(lr.limit).key("total").number(result.total);
  w.end_object().end_object();
  co_return json_response(200, std::move(body));
}

}  // namespace

void add_campaign_routes(Router& r) {
  r.add(bhttp::verb::get, "/v1/campaigns/{id}/events", Dialect::campaign, "campaigns:read", campaign_events);
}

}  // namespace eventsd::http
