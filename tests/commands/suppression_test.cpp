// The suppression decider on tables of event sequences (docs/suppression.md).
#include <gtest/gtest.h>

#include "commands/suppression.h"

namespace eventsd {
namespace {

using R = Reason;
constexpr R none = R::NONE, inorganic = R::INORGANIC, grouped = R::INORGANIC_GROUPED,
            metadata = R::METADATA_FILTER;

struct In {
  Millis seconds;                 // timestamp, in seconds
  std::string contact = "c1";     // "" = anonymous
  std::string event = "page_view";
  std::string data = "{}";
};

// A tenant's recorded events, ingested command by command as the writer would.
class Sim {
 public:
  explicit Sim(SuppressionRules rules) : rules_(std::move(rules)) {}

  // Ingests one command; returns the reasons its events were recorded with.
  std::vector<R> ingest(const std::vector<In>& batch) {
    SuppressionDecider decider(rules_, [this](std::string_view contact, Millis from, Millis to,
                                              const std::function<bool(const WindowEvent&)>& visit) {
      std::vector<const Rec*> hits;
      for (const auto& r : recorded_) {
        if (r.contact == contact && r.ts >= from && r.ts <= to) hits.push_back(&r);
      }
      std::stable_sort(hits.begin(), hits.end(), [](auto* a, auto* b) { return a->ts < b->ts; });
      for (auto* r : hits) {
        if (!visit({r->ts, r->seq, r->reason != none, r->event})) return;
      }
    });
    for (const auto& in : batch) {
      std::optional<std::string_view> contact;
      if (!in.contact.empty()) contact = in.contact;
      decider.decide({in.event, contact, in.seconds * 1000, in.data});
    }
    for (auto seq : decider.regrouped()) {
      EXPECT_EQ(recorded_[seq].reason, none) << "only unsuppressed events are regrouped";
      recorded_[seq].reason = grouped;
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      recorded_.push_back({batch[i].contact, batch[i].event, batch[i].seconds * 1000,
                           recorded_.size(), decider.reasons()[i]});
    }
    return decider.reasons();
  }
  // One event per command.
  std::vector<R> one_by_one(const std::vector<In>& events) {
    std::vector<R> out;
    for (const auto& e : events) out.push_back(ingest({e}).at(0));
    return out;
  }
  // Every recorded event's reason now, in recording order.
  std::vector<R> now() const {
    std::vector<R> out;
    for (const auto& r : recorded_) out.push_back(r.reason);
    return out;
  }

 private:
  struct Rec {
    std::string contact, event;
    Millis ts;
    std::uint64_t seq;
    R reason;
  };
  SuppressionRules rules_;
  std::vector<Rec> recorded_;
};

SuppressionRules velocity(std::uint32_t max, std::uint32_t window, bool keep_first = false,
                          std::optional<std::string> event = std::nullopt) {
  SuppressionRules r;
  r.velocity.push_back({max, window, std::move(event), keep_first});
  return r;
}

TEST(Velocity, ExactlyMaxEventsIsStillOrganic) {
  Sim sim(velocity(3, 60));
  EXPECT_EQ(sim.one_by_one({{0}, {10}, {20}, {30}, {61}, {200}}),
            (std::vector<R>{none, none, none, inorganic, inorganic, none}));
  // At 61 s the window (1 s, 61 s] holds 10, 20, 30 and the new event: four.
}

TEST(Velocity, WindowIsHalfOpen) {
  Sim sim(velocity(1, 10));
  // An event exactly one window later is outside the earlier one's window; one ms later is not.
  EXPECT_EQ(sim.one_by_one({{0}, {10}}), (std::vector<R>{none, none}));
  Sim edge(velocity(1, 10));
  EXPECT_EQ(edge.ingest({{0}}), std::vector<R>{none});
  std::vector<R> just_inside = edge.ingest({{9}});
  EXPECT_EQ(just_inside, std::vector<R>{inorganic});
}

TEST(Velocity, SuppressedEventsCountTowardTheWindow) {
  SuppressionRules rules = velocity(1, 60);
  rules.metadata.push_back({"user_agent", std::nullopt, "bot"});
  Sim sim(rules);
  EXPECT_EQ(sim.one_by_one({{0, "c1", "page_view", R"({"user_agent":"SomeBot/1"})"}, {1}}),
            (std::vector<R>{metadata, inorganic}));
}

TEST(Velocity, PerContactAndPerEventName) {
  Sim sim(velocity(1, 60, false, "page_view"));
  EXPECT_EQ(sim.one_by_one({{0, "c1"}, {1, "c2"}, {2, "c1", "click"}, {3, "c1"}, {4, ""}, {5, ""}}),
            (std::vector<R>{none, none, none, inorganic, none, none}));
  // Clicks are not counted (the rule names page_view); anonymous events are never velocity-checked.
}

TEST(Velocity, ARuleForOneNameStepsOverABoundedNumberOfOtherEvents) {
  // Page views fill the window's start; the rule for form_submit must step over them to find the
  // earlier form_submit. Up to the bound it does; beyond it, it counts what it saw.
  for (const std::uint64_t views : {SuppressionDecider::kMaxSkipped - 1, SuppressionDecider::kMaxSkipped}) {
    SCOPED_TRACE(views);
    Sim sim(velocity(1, 30 * 86400, false, "form_submit"));
    std::vector<In> flood;
    for (std::uint64_t i = 0; i < views; ++i) flood.push_back({static_cast<Millis>(i)});
    sim.ingest(flood);
    const Millis later = static_cast<Millis>(views) + 10;
    EXPECT_EQ(sim.ingest({{later, "c1", "form_submit"}}), std::vector<R>{none});
    const R second = sim.ingest({{later + 1, "c1", "form_submit"}}).at(0);
    EXPECT_EQ(second, views < SuppressionDecider::kMaxSkipped ? inorganic : none);
  }
}

TEST(Velocity, OutOfOrderEventsAreJudgedByTheirOwnWindow) {
  Sim sim(velocity(2, 60));
  // 100 s and 110 s, then a late event at 50 s: its window (-10 s, 50 s] is empty.
  EXPECT_EQ(sim.one_by_one({{100}, {110}, {50}}), (std::vector<R>{none, none, none}));
  // 105 s: (45 s, 105 s] holds 50 s and 100 s; with itself, three. 110 s came later in the log
  // but is after 105 s, so it is not in the window.
  EXPECT_EQ(sim.ingest({{105}}), std::vector<R>{inorganic});
  // Earlier decisions never change for lack of keep_first.
  EXPECT_EQ(sim.now(), (std::vector<R>{none, none, none, inorganic}));
}

TEST(KeepFirst, TheBurstsFirstEventStaysTheRestAreGrouped) {
  Sim sim(velocity(2, 60, true));
  EXPECT_EQ(sim.one_by_one({{0}, {1}, {2}, {3}}), (std::vector<R>{none, none, grouped, grouped}));
  // The event at 1 s was regrouped when the burst went over the threshold.
  EXPECT_EQ(sim.now(), (std::vector<R>{none, grouped, grouped, grouped}));
  // After the window, a new burst starts with an unsuppressed first event... whose window still
  // holds grouped events: 62 s sees (2 s, 62 s] = {3 s} + itself = 2, not over.
  EXPECT_EQ(sim.ingest({{62}}), std::vector<R>{none});
}

TEST(KeepFirst, BurstInsideOneCommand) {
  Sim sim(velocity(2, 60, true));
  EXPECT_EQ(sim.ingest({{0}, {1}, {2}, {3}}), (std::vector<R>{none, grouped, grouped, grouped}));
}

TEST(KeepFirst, LateEventOlderThanTheBurstBecomesItsFirst) {
  Sim sim(velocity(2, 60, true));
  sim.one_by_one({{10}, {20}});
  // 5 s arrives late: its window (-55 s, 5 s] holds nothing recorded.
  EXPECT_EQ(sim.ingest({{5}}), std::vector<R>{none});
  // 30 s: (-30 s, 30 s] holds 5, 10, 20: four with itself. The first is 5 s; 10 and 20 regroup.
  EXPECT_EQ(sim.ingest({{30}}), std::vector<R>{grouped});
  EXPECT_EQ(sim.now(), (std::vector<R>{grouped, grouped, none, grouped}));
}

TEST(KeepFirst, AnIncomingEventOlderThanItsWindowsMembersKeepsThemAndStays) {
  Sim sim(velocity(1, 60, true));
  sim.one_by_one({{30}});
  // 0 s: window (-60 s, 0 s] does not reach 30 s: organic, nothing regrouped.
  EXPECT_EQ(sim.ingest({{0}}), std::vector<R>{none});
  EXPECT_EQ(sim.now(), (std::vector<R>{none, none}));
}

TEST(Metadata, EqualsAndContains) {
  SuppressionRules rules;
  rules.metadata.push_back({"internal", "true", std::nullopt});
  rules.metadata.push_back({"user_agent", std::nullopt, "BOT"});
  rules.metadata.push_back({"plan", R"("free")", std::nullopt});
  Sim sim(rules);
  EXPECT_EQ(sim.one_by_one({{0, "c1", "e", R"({"internal":true})"},
                            {0, "c1", "e", R"({"internal":"true"})"},  // a string is not true
                            {0, "c1", "e", R"({"user_agent":"Googlebot/2.1"})"},
                            {0, "c1", "e", R"({"user_agent":42})"},    // contains needs a string
                            {0, "c1", "e", R"({"plan":"free"})"},
                            {0, "c1", "e", R"({"other":"bot"})"},
                            {0, "", "e", R"({"internal":true})"}}),    // anonymous events too
            (std::vector<R>{metadata, none, metadata, none, metadata, none, metadata}));
}

TEST(Rules, MetadataComesFirstThenVelocityRulesInOrder) {
  SuppressionRules rules = velocity(1, 60, true);
  rules.velocity.push_back({1, 60, std::nullopt, false});
  rules.metadata.push_back({"bot", "true", std::nullopt});
  Sim sim(rules);
  // The keep_first rule fires first for the second event; the bot event is metadata_filter even
  // though it also goes over both velocity rules.
  EXPECT_EQ(sim.one_by_one({{0}, {1}, {2, "c1", "e", R"({"bot":true})"}}),
            (std::vector<R>{none, grouped, metadata}));
}

}  // namespace
}  // namespace eventsd
