// The "sessions" workload of bench/wrk/ingest.lua as commands' input, for the benchmarks that
// submit to the writer without HTTP: visits of 10 events, 40% of them anonymous and the others of
// a contact drawn from 100,000; 8 event types (page views the most), pages on 20 sites.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "commands/command.h"

namespace eventsd::bench {

// `size` events drawn from `rng`, each with its type, contact, URL and domain; `complete(e, n)`
// adds what the caller's events have besides, `n` being the event's own draw (which chose its
// type, site and page).
template <class Rng, class Complete>
std::vector<EventInput> sessions_batch(Rng& rng, int size, Complete&& complete) {
  static constexpr const char* kTypes[] = {"page_view",   "page_view",    "page_view",  "email_open",
                                           "form_submit", "button_click", "video_play", "email_click"};
  std::vector<EventInput> batch;
  std::optional<std::string> contact;
  for (int i = 0; i < size; ++i) {
    if (i % 10 == 0) {
      contact = rng() % 10 < 4 ? std::nullopt
                               : std::optional<std::string>("ct_" + std::to_string(rng() % 100000));
    }
    const std::uint64_t n = rng();
    EventInput e;
    e.event = kTypes[n % 8];
    e.contact_id = contact;
    e.domain = "site" + std::to_string(n % 20) + ".example.com";
    e.url = "https://" + *e.domain + "/p/" + std::to_string(n % 500);
    complete(e, n);
    batch.push_back(std::move(e));
  }
  return batch;
}

}  // namespace eventsd::bench
