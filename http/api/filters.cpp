#include "http/api/filters.h"

#include <algorithm>

namespace eventsd::http {

void narrow(EventFilter& f, std::optional<Millis> from, std::optional<Millis> to) {
  if (from) f.after = f.after ? std::max(*f.after, *from) : *from;
  if (to) f.before = f.before ? std::min(*f.before, *to) : *to;
}

ApiError too_deep(std::string field) {
  return bad_param(std::move(field),
                   "this page lies more than 10,000,000 events from either end of the listing; "
                   "narrow the filter, or page with cursor where the route has one");
}

void parse_list_filter(const Request& req, EventFilter& f) {
  const auto& q = req.query;
  f.event_type = text_param(q, "event_type", 128);
  f.contact_id = text_param(q, "contact_id", 128);
  f.domain = text_param(q, "domain", 253);
  f.url_contains = text_param(q, "url_contains", 2048);
  f.search = text_param(q, "search", 256);
  narrow(f, time_param(q, "date_after"), time_param(q, "date_before"));
  if (auto range = q.get("range")) apply_range("range", *range, req, f);
  f.identified_only = bool_param(q, "identified_only").value_or(false);
  if (auto v = q.get("suppressed")) {
    if (*v == "include") f.suppressed = SuppressedFilter::include;
    else if (*v == "exclude") f.suppressed = SuppressedFilter::exclude;
    else if (*v == "only") f.suppressed = SuppressedFilter::only;
    else throw bad_param("suppressed", "suppressed must be one of include, exclude, only");
  }
}

void apply_range(std::string_view param, std::string_view range, const Request& req, EventFilter& f) {
  if (range == "today" || range == "yesterday") {
    const Millis today = day_start(req.now(kMillisPerDay));
    if (range == "today") return narrow(f, today, today + kMillisPerDay - 1);
    return narrow(f, today - kMillisPerDay, today - 1);
  }
  for (auto [name, days] : {std::pair{"last_7d", 7}, {"last_30d", 30}, {"last_90d", 90}}) {
    if (range == name) return narrow(f, req.now() - days * kMillisPerDay, req.now());
  }
  throw bad_param(std::string(param),
                  std::string(param) + " must be one of today, yesterday, last_7d, last_30d, last_90d");
}

}  // namespace eventsd::http
