// The sessions read model against brute force: random ingests, deletes, merges, regroupings
// (suppression after the fact) and campaign retention go through ReadModels::apply, and after
// every record each subject's sessions must equal splitting its unsuppressed events, sorted by
// time, wherever more than 30 minutes pass.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "eventlog/log.h"
#include "eventlog/store.h"
#include "projections/read_models.h"
#include "projections/visitor_sessions.h"
#include "tests/support/append_record.h"
#include "tests/support/logged_event.h"
#include "tests/support/temp_dir.h"

namespace eventsd {
namespace {

struct Model : test::LoggedEvent {
  std::uint64_t seq = 0;
};

class SessionsPropertyTest : public ::testing::Test {
 protected:
  static constexpr Millis kBase = 1'780'000'000'000;

  void SetUp() override {
    store_.emplace(dir_.path());
    log_.emplace(*store_);
    models_.emplace(*store_, *log_);
  }

  template <class Fill>
  void append(Fill fill) {
    test::append_record(*store_, *log_, *models_, fill);
  }

  // Each subject's sessions by brute force: (kind, subject) -> [(start, end, events)], oldest first.
  std::map<std::pair<char, std::string>, std::vector<Session>> expected() const {
    std::map<std::pair<char, std::string>, std::vector<Model>> by_subject;
    for (const auto& m : live_) {
      if (m.suppressed) continue;
      if (m.contact) by_subject[{'c', *m.contact}].push_back(m);
      else if (m.session_id) by_subject[{'s', *m.session_id}].push_back(m);
    }
    std::map<std::pair<char, std::string>, std::vector<Session>> out;
    for (auto& [subject, events] : by_subject) {
      std::sort(events.begin(), events.end(),
                [](const Model& a, const Model& b) { return std::tie(a.ts, a.seq) < std::tie(b.ts, b.seq); });
      auto& sessions = out[subject];
      for (const auto& e : events) {
        if (sessions.empty() || e.ts - sessions.back().ended_at > kSessionGap) {
          sessions.push_back({e.ts, e.ts, 0});
        }
        sessions.back().ended_at = e.ts;
        ++sessions.back().event_count;
      }
    }
    return out;
  }

  void check(std::mt19937& rng) {
    auto reader = store_->read();
    const ReadView view{*models_, reader.txn(), reader.txn()};
    const auto tno = *models_->tenant_no(reader.txn(), "t");
    const auto want = expected();
    for (int c = 0; c < kContacts; ++c) {
      const std::string contact = "ct_" + std::to_string(c);
      auto it = want.find({'c', contact});
      std::vector<Session> sessions = it == want.end() ? std::vector<Session>{} : it->second;
      std::reverse(sessions.begin(), sessions.end());  // newest first
      SCOPED_TRACE(contact);
      EXPECT_EQ(count_contact_sessions(view, tno, contact), sessions.size());
      const SessionPage page = contact_sessions(view, tno, contact, 0, 1000);
      ASSERT_EQ(page.total, sessions.size());
      ASSERT_EQ(page.sessions.size(), sessions.size());
      for (std::size_t i = 0; i < sessions.size(); ++i) {
        EXPECT_EQ(page.sessions[i].started_at, sessions[i].started_at) << i;
        EXPECT_EQ(page.sessions[i].ended_at, sessions[i].ended_at) << i;
        EXPECT_EQ(page.sessions[i].event_count, sessions[i].event_count) << i;
      }
      const std::uint64_t offset = rng() % (sessions.size() + 2);
      const SessionPage part = contact_sessions(view, tno, contact, offset, 2);
      for (std::size_t i = 0; i < part.sessions.size(); ++i) {
        EXPECT_EQ(part.sessions[i].started_at, sessions[offset + i].started_at);
      }
    }
    for (int round = 0; round < 20; ++round) {
      std::optional<Millis> after, before;
      auto random_time = [&] {
        const Millis t = kBase - static_cast<Millis>(rng() % (5 * kMillisPerDay));
        return rng() % 3 == 0 ? day_start(t) : t;
      };
      if (rng() % 2) after = random_time();
      if (rng() % 2) before = random_time();
      const bool identified_only = rng() % 2;
      std::uint64_t n = 0;
      for (const auto& [subject, sessions] : want) {
        if (identified_only && subject.first != 'c') continue;
        for (const auto& s : sessions) {
          if ((!after || s.started_at >= *after) && (!before || s.started_at <= *before)) ++n;
        }
      }
      EXPECT_EQ(count_sessions(view, tno, after, before, identified_only), n);
    }
  }

  static constexpr int kContacts = 6;
  test::TempDir dir_;
  std::optional<Store> store_;
  std::optional<Log> log_;
  std::optional<ReadModels> models_;
  std::vector<Model> live_;
};

TEST_F(SessionsPropertyTest, SessionsAgreeWithBruteForceThroughEveryKindOfChange) {
  std::mt19937 rng(20261127);
  int next_id = 0;
  auto live_ids = [&](std::size_t k) {
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < k && !live_.empty(); ++i) ids.push_back(live_[rng() % live_.size()].id);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
  };
  for (int step = 0; step < 120; ++step) {
    const unsigned action = rng() % 10;
    if (action < 6 || live_.size() < 10) {
      const int n = 1 + static_cast<int>(rng() % 12);
      append([&](schema::LogRecord::Builder r) {
        auto events = r.initFact().initEventsIngested().initEvents(n);
        for (int i = 0; i < n; ++i) {
          Model m;
          m.id = "e" + std::to_string(next_id++);
          const unsigned who = rng() % 10;
          if (who < 7) m.contact = "ct_" + std::to_string(rng() % kContacts);
          else if (who < 9) m.session_id = "sess_" + std::to_string(rng() % 3);
          // Minutes over about a day, so gaps fall on both sides of 30 minutes.
          m.ts = kBase - static_cast<Millis>(rng() % 1500) * 60'000 - (rng() % 2) * 30 * 60'000;
          if (rng() % 5 == 0) m.campaign = "cmp_1";
          m.suppressed = rng() % 8 == 0;
          m.type = "page_view";
          m.created_at = kBase;
          test::set_event(events[i], m);
          m.seq = event_seq(log_->head().position + 1, static_cast<std::uint32_t>(i));
          live_.push_back(m);
        }
      });
    } else if (action == 6) {  // delete
      const auto victims = live_ids(1 + rng() % 6);
      std::erase_if(live_, [&](const Model& m) { return std::count(victims.begin(), victims.end(), m.id); });
      append([&](schema::LogRecord::Builder r) {
        auto ids = r.initFact().initEventsDeleted().initIds(static_cast<unsigned>(victims.size()));
        for (unsigned k = 0; k < victims.size(); ++k) ids.set(k, victims[k]);
      });
    } else if (action == 7) {  // merge one contact into another: its events move
      const std::string from = "ct_" + std::to_string(rng() % kContacts);
      const std::string into = "ct_" + std::to_string(rng() % kContacts);
      if (from == into) continue;
      std::vector<std::string> moved;
      for (auto& m : live_) {
        if (m.contact == from) {
          m.contact = into;
          moved.push_back(m.id);
        }
      }
      append([&](schema::LogRecord::Builder r) {
        auto merged = r.initFact().initContactsMerged();
        merged.setFrom(from);
        merged.setInto(into);
        auto ids = merged.initMoved(static_cast<unsigned>(moved.size()));
        for (unsigned k = 0; k < moved.size(); ++k) ids.set(k, moved[k]);
      });
    } else if (action == 8) {  // a later burst suppresses earlier events
      const auto regrouped = live_ids(1 + rng() % 5);
      for (auto& m : live_) {
        if (std::count(regrouped.begin(), regrouped.end(), m.id)) m.suppressed = true;
      }
      append([&](schema::LogRecord::Builder r) {
        auto ingested = r.initFact().initEventsIngested();
        ingested.initEvents(0);
        auto ids = ingested.initRegrouped(static_cast<unsigned>(regrouped.size()));
        for (unsigned k = 0; k < regrouped.size(); ++k) ids.set(k, regrouped[k]);
      });
    } else {  // campaign retention
      const Millis cutoff = kBase - static_cast<Millis>(1000 + rng() % 600) * 60'000;
      std::erase_if(live_, [&](const Model& m) { return m.campaign && m.ts < cutoff; });
      append([&](schema::LogRecord::Builder r) {
        r.initFact().initRetentionApplied().setCampaignCutoff(cutoff);
      });
    }
    SCOPED_TRACE("step " + std::to_string(step));
    check(rng);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace eventsd
