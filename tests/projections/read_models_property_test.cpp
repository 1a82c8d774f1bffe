// The read models against a brute-force model of the same events: random facts go into the log
// and through ReadModels::apply (suppression reasons included, which live traffic gets from the
// suppression decider), then random queries must agree with counting and sorting the events in memory.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "eventlog/log.h"
#include "eventlog/store.h"
#include "projections/event_queries.h"
#include "projections/read_models.h"
#include "projections/stats.h"
#include "tests/support/append_record.h"
#include "tests/support/logged_event.h"
#include "tests/support/temp_dir.h"

namespace eventsd {
namespace {

struct Model : test::LoggedEvent {
  std::uint64_t seq = 0;
};

class PropertyTest : public ::testing::Test {
 protected:
  static constexpr Millis kBase = 1'780'000'000'000;  // mid 2026

  void SetUp() override {
    store_.emplace(dir_.path());
    log_.emplace(*store_);
    models_.emplace(*store_, *log_);
    std::mt19937 rng(20261123);
    const char* types[] = {"page_view", "Page View", "email_open", "form_submit", "a", "video"};
    int next_id = 0;
    for (int batch = 0; batch < 60; ++batch) {
      const int n = 1 + static_cast<int>(rng() % 80);
      append([&](schema::LogRecord::Builder r) {
        auto events = r.initFact().initEventsIngested().initEvents(n);
        for (int i = 0; i < n; ++i) {
          Model m;
          m.id = "e" + std::to_string(next_id++);
          m.type = types[rng() % 6];
          if (rng() % 3) m.contact = "ct_" + std::to_string(rng() % 30);
          if (rng() % 4) {
            m.domain = "d" + std::to_string(rng() % 5) + ".com";
            m.url = "https://" + *m.domain + "/Path" + std::to_string(rng() % 40);
          }
          // Timestamps over 120 days, many on the same millisecond to exercise tie-breaks.
          m.ts = kBase - static_cast<Millis>(rng() % (120 * kMillisPerDay)) / 1000 * 1000;
          m.created_at = kBase;
          m.suppressed = rng() % 10 == 0;
          test::set_event(events[i], m);
          m.seq = event_seq(log_->head().position + 1, i);
          live_.push_back(m);
        }
      });
      if (batch % 7 == 6) {  // delete a few live events
        std::vector<std::string> victims;
        for (int k = 0; k < 5 && !live_.empty(); ++k) {
          auto it = live_.begin() + static_cast<long>(rng() % live_.size());
          victims.push_back(it->id);
          live_.erase(it);
        }
        append([&](schema::LogRecord::Builder r) {
          auto ids = r.initFact().initEventsDeleted().initIds(static_cast<unsigned>(victims.size()));
          for (unsigned k = 0; k < victims.size(); ++k) ids.set(k, victims[k]);
        });
      }
    }
  }

  template <class Fill>
  void append(Fill fill) {
    test::append_record(*store_, *log_, *models_, fill);
  }

  std::uint32_t tno() {
    auto r = store_->read();
    return *models_->tenant_no(r.txn(), "t");
  }

  test::TempDir dir_;
  std::optional<Store> store_;
  std::optional<Log> log_;
  std::optional<ReadModels> models_;
  std::vector<Model> live_;
};

bool icontains(const std::string& hay, const std::string& needle) {
  auto lower = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  return lower(hay).find(lower(needle)) != std::string::npos;
}

bool matches(const Model& m, const EventFilter& f) {
  if (f.event_type && m.type != *f.event_type) return false;
  if (f.contact_id && m.contact != f.contact_id) return false;
  if (f.domain && m.domain != f.domain) return false;
  if (f.after && m.ts < *f.after) return false;
  if (f.before && m.ts > *f.before) return false;
  if (f.identified_only && !m.contact) return false;
  if (f.suppressed == SuppressedFilter::exclude && m.suppressed) return false;
  if (f.suppressed == SuppressedFilter::only && !m.suppressed) return false;
  if (f.url_contains && (!m.url || m.url->find(*f.url_contains) == std::string::npos)) return false;
  if (f.search && !(icontains(m.type, *f.search) || (m.url && icontains(*m.url, *f.search)) ||
                    (m.domain && icontains(*m.domain, *f.search)))) {
    return false;
  }
  return true;
}

TEST_F(PropertyTest, ListsAndCountsAgreeWithBruteForce) {
  std::mt19937 rng(7);
  const auto t = tno();
  for (int round = 0; round < 300; ++round) {
    EventFilter f;
    if (rng() % 3 == 0) f.event_type = live_[rng() % live_.size()].type;
    if (rng() % 3 == 0) f.contact_id = "ct_" + std::to_string(rng() % 30);
    if (rng() % 4 == 0) f.domain = "d" + std::to_string(rng() % 5) + ".com";
    if (rng() % 3 == 0) f.after = kBase - static_cast<Millis>(rng() % (120 * kMillisPerDay));
    if (rng() % 3 == 0) f.before = kBase - static_cast<Millis>(rng() % (120 * kMillisPerDay));
    if (rng() % 5 == 0) f.url_contains = "/Path" + std::to_string(rng() % 10);
    if (rng() % 6 == 0) f.search = rng() % 2 ? "PAGE" : "d2";
    f.identified_only = rng() % 4 == 0;
    f.suppressed = static_cast<SuppressedFilter>(rng() % 3);
    ListRequest r;
    r.filter = f;
    r.sort_by = static_cast<SortBy>(rng() % 3);
    r.descending = rng() % 2;
    r.limit = 1 + static_cast<std::uint32_t>(rng() % 40);

    std::vector<Model> expected;
    for (const auto& m : live_) {
      if (matches(m, f)) expected.push_back(m);
    }
    std::sort(expected.begin(), expected.end(), [&](const Model& a, const Model& b) {
      auto key = [&](const Model& m) {
        return r.sort_by == SortBy::event       ? std::make_tuple(m.type, m.ts, m.seq)
               : r.sort_by == SortBy::timestamp ? std::make_tuple(std::string(), m.ts, m.seq)
                                                : std::make_tuple(std::string(), Millis(0), m.seq);
      };
      return r.descending ? key(b) < key(a) : key(a) < key(b);
    });

    auto reader = store_->read();
    SCOPED_TRACE("round " + std::to_string(round));
    EXPECT_EQ(count_events({*models_, reader.txn(), reader.txn()}, t, f), expected.size());
    // Walk every page with the cursor; also check one offset page.
    std::vector<std::string> got;
    ListResult page;
    int pages = 0;
    do {
      page = list_events({*models_, reader.txn(), reader.txn()}, t, r);
      EXPECT_EQ(page.total, expected.size());
      for (const auto& e : page.events) got.push_back(e.id);
      r.after = page.next;
      ASSERT_LT(++pages, 5000);
    } while (page.next);
    std::vector<std::string> want;
    for (const auto& m : expected) want.push_back(m.id);
    ASSERT_EQ(got, want);
    ListRequest offset = r;
    offset.after.reset();
    offset.offset = rng() % (expected.size() + 2);
    // A page near the end is walked from the end; one past it is empty; a page too far from
    // both ends for max_skip is refused, never answered wrong.
    if (rng() % 2) offset.max_skip = rng() % 30;
    auto middle = list_events({*models_, reader.txn(), reader.txn()}, t, offset);
    EXPECT_EQ(middle.total, expected.size());
    if (middle.too_deep) {
      EXPECT_TRUE(middle.events.empty());
      const std::uint64_t remaining = expected.size() - offset.offset;
      const std::uint64_t take = std::min<std::uint64_t>(offset.limit, remaining);
      EXPECT_GT(std::min<std::uint64_t>(offset.offset, remaining - take), offset.max_skip);
    } else {
      const std::size_t take = offset.offset >= want.size()
                                   ? 0 : std::min<std::size_t>(offset.limit, want.size() - offset.offset);
      ASSERT_EQ(middle.events.size(), take);
      for (std::size_t i = 0; i < take; ++i) EXPECT_EQ(middle.events[i].id, want[offset.offset + i]);
      // The next page (by cursor) goes on right after this one.
      if (offset.offset + take < want.size()) {
        ASSERT_TRUE(middle.next.has_value());
        ListRequest next = r;
        next.after = middle.next;
        next.offset = 0;
        auto after = list_events({*models_, reader.txn(), reader.txn()}, t, next);
        ASSERT_FALSE(after.events.empty());
        EXPECT_EQ(after.events[0].id, want[offset.offset + take]);
      } else {
        EXPECT_FALSE(middle.next.has_value());
      }
    }
  }
}

TEST_F(PropertyTest, StatsAndTypesAgreeWithBruteForce) {
  std::mt19937 rng(11);
  const auto t = tno();
  {
    std::set<std::string> types;
    for (const auto& m : live_) types.insert(m.type);
    auto reader = store_->read();
    EXPECT_EQ(event_types({*models_, reader.txn(), reader.txn()}, t), std::vector<std::string>(types.begin(), types.end()));
  }
  for (int round = 0; round < 400; ++round) {
    StatsQuery q;
    if (rng() % 3 == 0) q.event_type = live_[rng() % live_.size()].type;
    if (rng() % 3 == 0) q.domain = "d" + std::to_string(rng() % 5) + ".com";
    auto random_time = [&] {
      const Millis t0 = kBase - static_cast<Millis>(rng() % (125 * kMillisPerDay));
      switch (rng() % 3) {
        case 0: return day_start(t0);                       // a day boundary
        case 1: return day_start(t0) + kMillisPerDay - 1;   // the end of a day
        default: return t0;                                 // inside a day
      }
    };
    if (rng() % 2) q.after = random_time();
    if (rng() % 2) q.before = random_time();
    q.identified_only = rng() % 3 == 0;
    // "Today" anywhere from the newest events to 60 days later: the by_day window is calendar
    // days ending today, whether or not they have events.
    q.now = kBase + static_cast<Millis>(rng() % (60 * kMillisPerDay));
    const Millis last_day = day_start(q.before ? std::min(*q.before, q.now) : q.now);
    const Millis first_day = last_day - static_cast<Millis>(kStatsDays - 1) * kMillisPerDay;

    std::uint64_t total = 0, suppressed = 0;
    std::map<std::string, std::uint64_t> by_type, by_domain;
    std::map<Millis, std::uint64_t> by_day;
    for (const auto& m : live_) {
      if (q.event_type && m.type != *q.event_type) continue;
      if (q.domain && m.domain != q.domain) continue;
      if (q.after && m.ts < *q.after) continue;
      if (q.before && m.ts > *q.before) continue;
      if (q.identified_only && !m.contact) continue;
      if (m.suppressed) {
        ++suppressed;
        continue;
      }
      ++total;
      ++by_type[m.type];
      if (m.domain) ++by_domain[*m.domain];
      if (day_start(m.ts) >= first_day && day_start(m.ts) <= last_day) ++by_day[day_start(m.ts)];
    }
    auto ranked = [](const std::map<std::string, std::uint64_t>& m) {
      std::vector<std::pair<std::string, std::uint64_t>> v(m.begin(), m.end());
      std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
      if (v.size() > kStatsTopN) v.resize(kStatsTopN);
      return v;
    };
    std::vector<std::pair<Millis, std::uint64_t>> days(by_day.rbegin(), by_day.rend());

    auto reader = store_->read();
    const Stats s = compute_stats({*models_, reader.txn(), reader.txn()}, t, q);
    SCOPED_TRACE("round " + std::to_string(round));
    EXPECT_EQ(s.total, total);
    EXPECT_EQ(s.suppressed, suppressed);
    EXPECT_EQ(s.by_type, ranked(by_type));
    EXPECT_EQ(s.by_domain, ranked(by_domain));
    EXPECT_EQ(s.by_day, days);
  }
}

}  // namespace
}  // namespace eventsd
