#include "http/filters.h"

#include <algorithm>

namespace eventsd::http {

void narrow(EventFilter& f, std::optional<Millis> from, std::optional<Millis> to) {
  if (from) f.after = f.after ? std::max(*f.after, *from) : *from;
  if (to) f.before = f.before ? std::min(*f.before, *to) : *to;
}

void apply_range(std::string_view param, std::string_view range, Millis now, EventFilter& f) {
  const Millis today = day_start(now);
  if (range == "today") return narrow(f, today, today + kMillisPerDay - 1);
  if (range == "yesterday") return narrow(f, today - kMillisPerDay, today - 1);
  for (auto [name, days] : {std::pair{"last_7d", 7}, {"last_30d", 30}, {"last_90d", 90}}) {
    if (range == name) return narrow(f, now - days * kMillisPerDay, now);
  }
  throw bad_param(std::string(param),
                  std::string(param) + " must be one of today, yesterday, last_7d, last_30d, last_90d");
}

}  // namespace eventsd::http
