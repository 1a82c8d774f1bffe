// The bulk fold against the record-by-record fold: on random logs (ingest with client ids and
// duplicates, deletes, merges, suppression and scoring rule changes that regroup recorded events,
// contact profiles, retention, several tenants), a generation filled by bulk_fold must equal, byte
// for byte, one folded record by record — and the projector's live one.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "common/encoding.h"
#include "projections/bulk_fold.h"
#include "projections/digest.h"
#include "projections/fold.h"
#include "tests/support/in_process.h"
#include "tests/support/temp_dir.h"

namespace eventsd {
namespace {

using test::event;
using test::ingest_command;

// "name:hex digest" of every read-model database, one per line.
std::string digests(Generation& g) {
  auto reader = g.store().read();
  std::string out;
  const auto& dbs = g.models().all_dbs();
  for (std::size_t i = 0; i < dbs.size(); ++i) {
    const Sha256 d = digest_db(reader.txn(), dbs[i]);
    out += g.models().db_names()[i] + ":" + to_hex(as_view(d)) + "\n";
  }
  return out;
}

void fold_rest(Generation& g, const Store& store, const Log& log) {
  while (!fold_step(g, store, log, {777, 5'000}).at_end) {
  }
}

// A random history through the real writer, so that every decision is one the service makes.
void random_history(test::InProcess& p, std::uint32_t seed, int rounds) {
  std::mt19937 rng(seed);
  const char* tenants[] = {"t1", "t2", "t3"};
  const char* names[] = {"view", "click", "open", "Page View", "signup"};
  std::vector<std::pair<std::string, std::string>> ids;  // (tenant, id)
  std::vector<std::pair<std::string, std::string>> client_ids;  // never deleted: retried at will
  std::set<std::pair<std::string, std::string>> deleted;
  int next_id = 0;
  for (int round = 0; round < rounds; ++round) {
    const std::string tenant = tenants[rng() % 3];
    switch (rng() % 10) {
      case 0: {
        SetSuppressionRules cmd;
        cmd.rules.velocity.push_back({1 + static_cast<std::uint32_t>(rng() % 4), 60, std::nullopt, rng() % 2 == 0});
        if (rng() % 2) cmd.rules.velocity.push_back({2, 30, std::string("view"), false});
        if (rng() % 2) cmd.rules.metadata.push_back({"bot", "true", std::nullopt});
        p.submit(Command{tenant, "test", cmd});
        break;
      }
      case 1:
        p.submit(Command{tenant, "test", SetScoringRules{{{"view", static_cast<std::int32_t>(rng() % 5)}, {"click", 3}}}});
        break;
      case 2: {
        if (ids.empty()) break;
        std::vector<std::string> victims;
        std::string t = ids[rng() % ids.size()].first;
        for (int k = 0; k < 3; ++k) {
          const auto& [vt, id] = ids[rng() % ids.size()];
          // (A client id deleted and used again would name two events: see the test below.)
          if (vt == t && !id.starts_with("c")) victims.push_back(id);
        }
        std::sort(victims.begin(), victims.end());
        victims.erase(std::unique(victims.begin(), victims.end()), victims.end());
        if (!victims.empty()) p.submit(Command{t, "test", DeleteEvents{victims}});
        break;
      }
      case 3:
        p.submit(Command{tenant, "test", MergeContacts{"ct_" + std::to_string(rng() % 8), "ct_" + std::to_string(rng() % 8), {}}});
        break;
      case 4: {
        UpsertContact u;
        u.contact_id = "ct_" + std::to_string(rng() % 8);
        u.firstname = "F" + std::to_string(rng() % 3);
        if (rng() % 2) u.company_name = "Co" + std::to_string(rng() % 2);
        p.submit(Command{tenant, "test", u});
        break;
      }
      case 5:
        p.submit(Command{"", "test", ApplyRetention{1'000'000 + static_cast<Millis>(rng() % 200) * 1000}});
        break;
      default: {
        std::vector<EventInput> batch;
        const int n = 1 + static_cast<int>(rng() % 40);
        for (int i = 0; i < n; ++i) {
          auto e = event(names[rng() % 5], 1'000'000 + static_cast<Millis>(rng() % 400) * 1000,
                         rng() % 4 ? std::optional<std::string>("ct_" + std::to_string(rng() % 8)) : std::nullopt);
          if (rng() % 3 == 0) {
            if (rng() % 3 || client_ids.empty()) {
              e.id = "c" + std::to_string(next_id++);
              client_ids.emplace_back(tenant, *e.id);
            } else {
              e.id = client_ids[rng() % client_ids.size()].second;  // a retry (in any tenant)
            }
          }
          if (rng() % 2) {
            e.domain = "d" + std::to_string(rng() % 3) + ".com";
            e.url = "https://" + *e.domain + "/x";
          }
          if (rng() % 6 == 0) e.campaign_id = "cmp" + std::to_string(rng() % 2);
          if (!e.contact_id && rng() % 2) e.session_id = "s" + std::to_string(rng() % 4);
          if (rng() % 9 == 0) e.data = R"({"bot":true})";
          batch.push_back(std::move(e));
        }
        auto outcome = p.submit(ingest_command(tenant, std::move(batch)));
        if (auto* in = std::get_if<Ingested>(&outcome)) {
          for (const auto& id : in->ids) ids.emplace_back(tenant, id);
        }
      }
    }
  }
}

// How many records of each kind that changes recorded events the log holds.
struct Kinds {
  int regroups = 0, merges = 0, purges = 0, deletes = 0;
};
Kinds kinds(test::InProcess& p) {
  Kinds k;
  auto reader = p.store.read();
  LogCursor cursor(reader.txn(), p.log);
  for (bool ok = cursor.seek(1); ok; ok = cursor.next()) {
    RecordView view(cursor.bytes());
    const auto fact = view.root().getFact();
    if (fact.isEventsIngested() && fact.getEventsIngested().getRegrouped().size() > 0) ++k.regroups;
    if (fact.isContactsMerged() && fact.getContactsMerged().getMoved().size() > 0) ++k.merges;
    if (fact.isRetentionApplied() && fact.getRetentionApplied().getEvents().size() > 0) ++k.purges;
    if (fact.isEventsDeleted()) ++k.deletes;
  }
  return k;
}

class BulkFold : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(BulkFold, EqualsTheRecordByRecordFold) {
  test::TempDir dir, a, b, c;
  test::InProcess p(dir.path());
  random_history(p, GetParam(), 300);
  p.writer.stop();
  const Kinds k = kinds(p);
  EXPECT_GT(k.regroups, 0);
  EXPECT_GT(k.merges, 0);
  EXPECT_GT(k.purges, 0);
  EXPECT_GT(k.deletes, 0);
  const auto live = digests(*p.projector.current());

  Generation incremental(a.path(), 1, p.log, true);
  fold_rest(incremental, p.store, p.log);
  Generation bulk(b.path(), 1, p.log, true);
  const Folded folded = bulk_fold(bulk, p.store, p.log);
  EXPECT_GT(folded.records, 0u) << "this history can be folded in bulk";
  EXPECT_TRUE(folded.at_end);
  EXPECT_EQ(digests(bulk), digests(incremental));
  EXPECT_EQ(digests(incremental), live);

  // A prefix in bulk (a memory bound), the rest record by record.
  Generation prefix(c.path(), 1, p.log, true);
  const Folded part = bulk_fold(prefix, p.store, p.log, BulkLimits{200});
  EXPECT_FALSE(part.at_end);
  fold_rest(prefix, p.store, p.log);
  EXPECT_EQ(digests(prefix), digests(incremental));
}

INSTANTIATE_TEST_SUITE_P(RandomLogs, BulkFold, ::testing::Values(1u, 2u, 3u, 4u, 5u, 6u));

TEST(BulkFoldIds, AnIdUsedAgainAfterItsDeletionNamesTheRightEventAtEveryPoint) {
  test::TempDir dir, a, b;
  test::InProcess p(dir.path());
  auto e = event("view", 1, "ct_1");
  e.id = "same";
  p.submit(ingest_command("t", {e}));
  p.submit(Command{"t", "test", DeleteEvents{{"same"}}});
  e.event = "click";
  p.submit(ingest_command("t", {e}));
  p.submit(Command{"t", "test", MergeContacts{"ct_1", "ct_2", {}}});
  p.submit(Command{"t", "test", DeleteEvents{{"same"}}});
  e.event = "open";
  p.submit(ingest_command("t", {e}));
  p.writer.stop();
  Generation incremental(a.path(), 1, p.log, true);
  fold_rest(incremental, p.store, p.log);
  Generation bulk(b.path(), 1, p.log, true);
  EXPECT_GT(bulk_fold(bulk, p.store, p.log).records, 0u);
  EXPECT_EQ(digests(bulk), digests(incremental));
}

}  // namespace
}  // namespace eventsd
