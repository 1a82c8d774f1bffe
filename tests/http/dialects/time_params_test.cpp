// Time parameters and timestamps in every dialect take ISO 8601's other forms besides RFC 3339 —
// hour-only offsets, the basic format — and refuse what is ambiguous or invalid with a 400 naming
// the parameter (docs/api.md, "Time formats"; common/time.h is the one parser).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>

#include "tests/support/answers.h"
#include "tests/support/api_test.h"

namespace eventsd {
namespace {

namespace json = boost::json;
using test::ApiTest;
using test::expect_native_error;
using test::expect_plain_error;

// Three events an hour apart, 2026-11-29T10:00Z..12:00Z (within the campaign retention of the
// fixture's clock, 2026-12-01), one campaign's.
void three_events(test::Client& c) {
  ASSERT_EQ(c.post("/v1/events", R"({"batch":[
      {"id":"a","event":"opened","campaign_id":"cmp_1","contact_id":"ct_1","timestamp":"2026-11-29T10:00:00Z"},
      {"id":"b","event":"opened","campaign_id":"cmp_1","contact_id":"ct_1","timestamp":"2026-11-29T11:00:00Z"},
      {"id":"c","event":"opened","campaign_id":"cmp_1","contact_id":"ct_1","timestamp":"2026-11-29T12:00:00Z"}]})").status,
            201);
}

std::int64_t native_count(test::Client& c, const std::string& query) {
  auto r = c.get("/v1/events?count_only=true&" + query);
  EXPECT_EQ(r.status, 200) << query << ": " << r.body;
  return r.status == 200 ? r.json().at("count").as_int64() : -1;
}

// 11:00Z written every way a client may: each bound picks b and c (after) or a and b (before).
constexpr const char* kElevenUtc[] = {
    "2026-11-29T11:00:00Z",   "2026-11-29T13:00:00%2B02:00", "2026-11-29T13:00:00%2B02",
    "2026-11-29T13:00:00+02", "2026-11-29T09:00:00-02",      "20261129T110000Z",
    "20261129T130000%2B0200", "20261129T130000%2B02",        "20261129T1100Z"};

TEST_F(ApiTest, NativeTimeParametersTakeHourOffsetsAndTheBasicFormat) {
  auto c = client();
  three_events(c);
  for (const char* t : kElevenUtc) {
    EXPECT_EQ(native_count(c, std::string("date_after=") + t), 2) << t;
    EXPECT_EQ(native_count(c, std::string("date_before=") + t), 2) << t;
    auto stats = c.get(std::string("/v1/events/stats?date_after=") + t);
    ASSERT_EQ(stats.status, 200) << t << ": " << stats.body;
    EXPECT_EQ(stats.json().at("stats").at("total"), 2) << t;
  }
  // The aggregate's JSON body goes through the same parser.
  auto agg = c.post("/v1/aggregate", R"({"filters":{"date_after":"20261129T130000+02"}})");
  ASSERT_EQ(agg.status, 200) << agg.body;
  EXPECT_EQ(agg.json().at("rows").at(0).at("count"), 2);
  for (const char* bad : {"2026-11-29T110000Z", "20261129T11:00:00Z", "2026-11-29T11", "2026-11-29T13:00:00%2B2",
                          "20261129T130000%2B02:00", "2026-11"}) {
    expect_native_error(c.get(std::string("/v1/events?date_after=") + bad), 400, "invalid_request", "date_after");
    expect_native_error(c.get(std::string("/v1/events?date_before=") + bad), 400, "invalid_request", "date_before");
  }
  expect_native_error(c.post("/v1/aggregate", R"({"filters":{"date_before":"2026-11-29T13:00+2"}})"), 400,
                      "invalid_request", "filters.date_before");
}

TEST_F(ApiTest, CampaignTimeParametersTakeHourOffsetsAndTheBasicFormat) {
  auto c = client();
  three_events(c);
  for (const char* t : kElevenUtc) {
    auto after = c.get(std::string("/v1/campaigns/cmp_1/events?from_date=") + t);
    ASSERT_EQ(after.status, 200) << t << ": " << after.body;
    EXPECT_EQ(after.json().at("meta").at("total"), 2) << t;
    EXPECT_EQ(c.get(std::string("/v1/campaigns/cmp_1/events?to_date=") + t).json().at("meta").at("total"), 2) << t;
  }
  auto bad = c.get("/v1/campaigns/cmp_1/events?to_date=20261129T11:00Z");
  expect_plain_error(bad, 400, "invalid_request");
  EXPECT_EQ(bad.json().at("error").at("field"), "to_date");
}

// The organizational-unit and workspace dialects take instants in their bodies (created_at,
// timestamp): the same forms, each answered as the instant it names.
TEST_F(ApiTest, OrgUnitAndWorkspaceTimestampsTakeHourOffsetsAndTheBasicFormat) {
  auto c = client();
  ASSERT_EQ(c.post("/ingest", R"({"id":"ou","event_type":"x","lead_id":"ld_1","created_at":"20261129T130000+02"})").status, 201);
  EXPECT_EQ(c.get("/events").json().at("events").at(0).at("created_at"), "2026-11-29T11:00:00Z");
  auto ws = c.post("/api/workspaces/acme/events", R"({"id":"ws","type":"x","timestamp":"2026-11-29T13:00:00.5+02"})");
  ASSERT_EQ(ws.status, 201) << ws.body;
  EXPECT_EQ(ws.json().at("timestamp"), "2026-11-29T11:00:00.500Z");

  auto ou_bad = c.post("/ingest", R"({"event_type":"x","created_at":"20261129T13:00:00+02"})");
  expect_plain_error(ou_bad, 400, "invalid_request");
  EXPECT_EQ(ou_bad.json().at("error").at("field"), "created_at");
  auto ws_bad = c.post("/api/workspaces/acme/events", R"({"type":"x","timestamp":"2026-11-29T1300"})");
  expect_plain_error(ws_bad, 400, "invalid_request");
  EXPECT_EQ(ws_bad.json().at("error").at("field"), "timestamp");
}

}  // namespace
}  // namespace eventsd
