// Suppression, merges and leads through the router (seed 002; docs/suppression.md; docs/api.md, "Contacts").
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tests/support/api_test.h"

namespace eventsd {
namespace {

namespace json = boost::json;
using test::ApiTest;

std::vector<std::string> reasons(const json::value& events, const char* id_key) {
  std::vector<std::string> out;
  for (const auto& e : events.as_array()) {
    const auto& r = e.at("suppression_reason");
    out.push_back(std::string(e.at(id_key).as_string()) + "=" + (r.is_null() ? "null" : std::string(r.as_string())));
  }
  return out;
}

TEST_F(ApiTest, SuppressionThroughNativeAndOrgUnitDialects) {
  auto c = client();
  auto rules = c.put("/v1/suppression/rules", R"({"rules":[
      {"kind":"velocity","max_events":2,"window_seconds":60,"event":"page_view","keep_first":true},
      {"kind":"velocity","max_events":5,"window_seconds":3600},
      {"kind":"metadata","key":"user_agent","contains":"bot"},
      {"kind":"metadata","key":"internal","equals":true}]})");
  ASSERT_EQ(rules.status, 200) << rules.body;
  EXPECT_EQ(rules.json().at("rules").as_array().size(), 4u);
  EXPECT_EQ(c.get("/v1/suppression/rules").json(), rules.json());
  ASSERT_EQ(c.put("/v1/scoring/rules", R"({"rules":[{"event":"page_view","points":1},{"event":"form_submit","points":10}]})").status, 200);

  ASSERT_EQ(c.post("/v1/events", R"({"batch":[
      {"id":"p1","event":"page_view","contact_id":"ld_1","timestamp":"2026-03-01T10:00:00Z"},
      {"id":"p2","event":"page_view","contact_id":"ld_1","timestamp":"2026-03-01T10:00:10Z"},
      {"id":"p3","event":"page_view","contact_id":"ld_1","timestamp":"2026-03-01T10:00:20Z"},
      {"id":"f1","event":"form_submit","contact_id":"ld_1","timestamp":"2026-03-01T10:01:30Z"},
      {"id":"b1","event":"form_submit","contact_id":"ld_2","data":{"user_agent":"Googlebot"},"timestamp":"2026-03-01T11:00:00Z"},
      {"id":"i1","event":"form_submit","contact_id":"ld_3","data":{"internal":true},"timestamp":"2026-03-01T12:00:00Z"}
    ]})").status, 201);
  // Two more of ld_1 inside the hour: the 6th event in an hour is inorganic.
  ASSERT_EQ(c.post("/v1/events", R"({"id":"f2","event":"form_submit","contact_id":"ld_1","timestamp":"2026-03-01T10:30:00Z"})").status, 201);
  ASSERT_EQ(c.post("/v1/events", R"({"id":"f3","event":"form_submit","contact_id":"ld_1","timestamp":"2026-03-01T10:40:00Z"})").status, 201);

  auto native = c.get("/v1/events?sort_by=createdAt&sort_dir=asc").json().at("events");
  EXPECT_EQ(reasons(native, "_id"),
            (std::vector<std::string>{"p1=null", "p2=inorganic_grouped", "p3=inorganic_grouped", "f1=null",
                                      "b1=metadata_filter", "i1=metadata_filter", "f2=null", "f3=inorganic"}));
  auto ou = c.get("/events?lead_id=ld_1").json().at("events");
  EXPECT_EQ(ou.at(0).at("id"), "f3");  // newest first
  EXPECT_EQ(ou.at(0).at("suppression_reason"), "inorganic");
  EXPECT_TRUE(ou.at(1).at("suppression_reason").is_null());
  EXPECT_EQ(reasons(c.get("/leads/ld_2/events").json().at("events"), "id"), std::vector<std::string>{"b1=metadata_filter"});

  // The suppressed filter and the stats.
  EXPECT_EQ(c.get("/v1/events?count_only=true&suppressed=only").json().at("count"), 5);
  EXPECT_EQ(c.get("/v1/events?count_only=true&suppressed=exclude").json().at("count"), 3);
  auto stats = c.get("/v1/events/stats").json().at("stats");
  EXPECT_EQ(stats.at("total"), 3);
  EXPECT_EQ(stats.at("suppressed"), 5);
  auto sup = c.get("/v1/suppression/stats").json().at("stats");
  EXPECT_EQ(sup.at("total"), 5);
  EXPECT_EQ(sup.at("inorganic"), 1);
  EXPECT_EQ(sup.at("inorganic_grouped"), 2);
  EXPECT_EQ(sup.at("metadata_filter"), 2);
  EXPECT_EQ(sup.at("by_day"), json::parse(R"([{"date":"2026-03-01","total":5,"inorganic":1,
                                             "inorganic_grouped":2,"metadata_filter":2}])"));

  // Leads: suppressed events add nothing, and do not make a lead.
  auto lead = c.get("/v1/contacts/ld_1").json().at("contact");
  EXPECT_EQ(lead.at("score"), 1 + 10 + 10);  // p1, f1, f2
  EXPECT_EQ(lead.at("event_count"), 3);
  EXPECT_EQ(lead.at("first_seen"), "2026-03-01T10:00:00.000Z");
  EXPECT_EQ(lead.at("last_seen"), "2026-03-01T10:30:00.000Z");
  EXPECT_EQ(c.get("/v1/contacts/ld_2").status, 404);
  EXPECT_EQ(c.get("/v1/contacts/ld_3").status, 404);

  // Rules apply to events ingested after they are set: clearing them changes nothing recorded.
  ASSERT_EQ(c.put("/v1/suppression/rules", R"({"rules":[]})").status, 200);
  EXPECT_EQ(c.get("/v1/events?count_only=true&suppressed=only").json().at("count"), 5);
  ASSERT_EQ(c.post("/v1/events", R"({"event":"form_submit","contact_id":"ld_2","data":{"user_agent":"bot"}})").status, 201);
  EXPECT_EQ(c.get("/v1/contacts/ld_2").json().at("contact").at("score"), 10);
}

TEST_F(ApiTest, RuleBodiesAreValidatedAndNeedAdmin) {
  auto c = client();
  const std::pair<std::string, std::string> bad[] = {
      {R"({"rules":{}})", "rules"},
      {R"({"rules":[{"kind":"speed"}]})", "rules[0].kind"},
      {R"({"rules":[{"kind":"velocity","max_events":0,"window_seconds":5}]})", "rules[0].max_events"},
      {R"({"rules":[{"kind":"velocity","max_events":5,"window_seconds":9999999}]})", "rules[0].window_seconds"},
      {R"({"rules":[{"kind":"velocity","max_events":5,"window_seconds":5,"keep_first":"yes"}]})", "rules[0].keep_first"},
      {R"({"rules":[{"kind":"velocity","max_events":5,"window_seconds":5,"extra":1}]})", "rules[0].extra"},
      {R"({"rules":[{"kind":"metadata","key":"a"}]})", "rules[0]"},
      {R"({"rules":[{"kind":"metadata","key":"a","equals":1,"contains":"x"}]})", "rules[0]"},
      {R"({"rules":[{"kind":"metadata","key":"","equals":1}]})", "rules[0].key"},
      {R"({"rules":[{"kind":"metadata","key":"a","equals":[1e400]}]})", "rules[0].equals[0]"},
  };
  for (const auto& [body, field] : bad) {
    auto r = c.put("/v1/suppression/rules", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(r.json().at("error").at("field"), field.c_str()) << body;
  }
  EXPECT_EQ(c.put("/v1/scoring/rules", R"({"rules":[{"event":"a","points":1},{"event":"a","points":2}]})").status, 400);
  EXPECT_EQ(c.put("/v1/scoring/rules", R"({"rules":[{"event":"a","points":1.5}]})").status, 400);
  auto writer = client(token("acme", "events:read,events:write"));
  EXPECT_EQ(writer.put("/v1/suppression/rules", R"({"rules":[]})").status, 403);
  EXPECT_EQ(writer.get("/v1/scoring/rules").status, 403);
  EXPECT_EQ(c.get("/v1/suppression/rules").json(), json::parse(R"({"status":"success","rules":[]})"));
}

TEST_F(ApiTest, MergeChainsResolveToTheFinalContact) {
  auto c = client();
  ASSERT_EQ(c.put("/v1/scoring/rules", R"({"rules":[{"event":"visit","points":3}]})").status, 200);
  ASSERT_EQ(c.post("/v1/events", R"({"batch":[
      {"id":"a1","event":"visit","contact_id":"a","timestamp":"2026-01-01T00:00:00Z"},
      {"id":"a2","event":"visit","contact_id":"a","timestamp":"2026-01-02T00:00:00Z"},
      {"id":"b1","event":"visit","contact_id":"b","timestamp":"2026-01-03T00:00:00Z"},
      {"id":"c1","event":"visit","contact_id":"c","timestamp":"2026-01-04T00:00:00Z"}]})").status, 201);

  auto ab = c.post("/v1/contacts/merge", R"({"from":"a","into":"b"})");
  ASSERT_EQ(ab.status, 200) << ab.body;
  EXPECT_EQ(ab.json().at("status"), "success");
  EXPECT_EQ(ab.json().at("into"), "b");
  EXPECT_EQ(ab.json().at("moved"), 2);
  // The log position the merge reached: a read with min_position sees it.
  const auto position = ab.json().at("position").as_int64();
  EXPECT_EQ(ab.header("Eventsd-Position"), std::to_string(position));
  EXPECT_EQ(c.get("/v1/contacts/b?min_position=" + std::to_string(position)).json().at("contact").at("event_count"), 3);
  auto bc = c.post("/v1/contacts/merge", R"({"from":"b","into":"c"})");
  ASSERT_EQ(bc.status, 200);
  EXPECT_EQ(bc.json().at("moved"), 3);

  auto events = c.get("/v1/events?sort_dir=asc").json().at("events").as_array();
  ASSERT_EQ(events.size(), 4u);
  for (const auto& e : events) EXPECT_EQ(e.at("internal_contact_id"), "c");
  EXPECT_EQ(events[0].at("original_contact_id"), "a");  // the contact it was first recorded for
  EXPECT_EQ(events[2].at("original_contact_id"), "b");
  EXPECT_TRUE(events[3].at("original_contact_id").is_null());
  auto ou = c.get("/leads/c/events").json();
  EXPECT_EQ(ou.at("total"), 4);
  EXPECT_EQ(ou.at("events").at(3).at("original_lead_id"), "a");

  auto lead = c.get("/v1/contacts/c").json().at("contact");
  EXPECT_EQ(lead.at("score"), 12);
  EXPECT_EQ(lead.at("event_count"), 4);
  EXPECT_EQ(lead.at("merged_from"), json::parse(R"(["a","b"])"));
  // An alias answers as the contact it was merged into.
  EXPECT_EQ(c.get("/v1/contacts/a").json().at("contact").at("id"), "c");
  EXPECT_EQ(c.get("/v1/events?count_only=true&contact_id=a").json().at("count"), 0);

  // Events ingested later for an alias land on the final contact.
  ASSERT_EQ(c.post("/v1/events", R"({"id":"late","event":"visit","contact_id":"a"})").status, 201);
  auto late = c.get("/v1/events/late").json().at("event");
  EXPECT_EQ(late.at("internal_contact_id"), "c");
  EXPECT_EQ(late.at("original_contact_id"), "a");
  EXPECT_EQ(c.get("/v1/contacts/c").json().at("contact").at("score"), 15);
  // So does a profile written for an alias.
  auto profile = c.put("/v1/contacts/a", R"({"firstname":"Ada"})");
  ASSERT_EQ(profile.status, 200) << profile.body;
  EXPECT_EQ(profile.json().at("contact").at("id"), "c");
  EXPECT_EQ(c.get("/v1/contacts/c").json().at("contact").at("firstname"), "Ada");

  // Refused: itself, a cycle, an alias as `from`.
  auto self = c.post("/v1/contacts/merge", R"({"from":"c","into":"c"})");
  EXPECT_EQ(self.status, 400);
  auto cycle = c.post("/v1/contacts/merge", R"({"from":"c","into":"a"})");
  EXPECT_EQ(cycle.status, 400);
  EXPECT_EQ(cycle.json().at("error").at("field"), "into");
  EXPECT_EQ(c.post("/v1/contacts/merge", R"({"from":"a","into":"z"})").status, 400);
  EXPECT_EQ(c.post("/v1/contacts/merge", R"({"from":"a"})").status, 400);
  EXPECT_EQ(c.post("/v1/contacts/merge", R"({"from":"x","into":"y","why":1})").status, 400);
  // A merge into an alias goes to the end of its chain.
  ASSERT_EQ(c.post("/v1/events", R"({"id":"d1","event":"visit","contact_id":"d"})").status, 201);
  auto da = c.post("/v1/contacts/merge", R"({"from":"d","into":"a"})");
  EXPECT_EQ(da.json().at("into"), "c");
  EXPECT_EQ(c.get("/v1/contacts/c").json().at("contact").at("merged_from"), json::parse(R"(["a","b","d"])"));
}

}  // namespace
}  // namespace eventsd
