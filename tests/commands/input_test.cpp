#include <gtest/gtest.h>

#include <set>

#include "commands/event_input.h"
#include "commands/ids.h"
#include "common/time.h"
#include "tests/support/bad_inputs.h"

namespace eventsd {
namespace {

std::variant<IngestEvents, FieldError> ingest(const std::string& body,
                                              FieldNames names = kNativeFieldNames) {
  auto v = parse_json(body);
  if (auto* e = std::get_if<JsonError>(&v)) return FieldError{e->field, "not JSON"};
  return parse_ingest(std::get<JsonValue>(v), names, 1000);
}

TEST(Validation, EveryBadInputIsRefusedNamingItsField) {
  for (const auto& bad : test::bad_ingest_bodies()) {
    auto r = ingest(bad.body);
    ASSERT_TRUE(std::holds_alternative<FieldError>(r)) << "accepted: " << bad.body.substr(0, 80);
    EXPECT_EQ(std::get<FieldError>(r).field, bad.field) << bad.body.substr(0, 80);
  }
}

// A publishable key's ids are a browser's: stored apart from every id a server can send.
TEST(Validation, ABrowsersIdsLiveInTheirOwnNamespace) {
  auto browser = [](const std::string& body) {
    return parse_ingest(std::get<JsonValue>(parse_json(body)), kNativeFieldNames, 1000, IdSpace::browser);
  };
  const std::string longest(kMaxBrowserEventId, 'w');
  auto ok = browser(R"({"batch":[{"id":"order-1001","event":"a"},{"id":")" + longest +
                    R"(","event":"b"},{"event":"c"}]})");
  ASSERT_TRUE(std::holds_alternative<IngestEvents>(ok));
  for (const auto& e : std::get<IngestEvents>(ok).events) EXPECT_EQ(e.id_space, IdSpace::browser);
  auto too_long = browser(R"({"batch":[{"event":"a"},{"id":")" + longest + R"(w","event":"b"}]})");
  ASSERT_TRUE(std::holds_alternative<FieldError>(too_long));
  EXPECT_EQ(std::get<FieldError>(too_long).field, "batch[1].id");
  // A server's ids keep the whole 128 characters, in the server's namespace.
  auto server = ingest(R"({"id":")" + longest + R"(wwwwwwww","event":"a"})");
  ASSERT_TRUE(std::holds_alternative<IngestEvents>(server));
  EXPECT_EQ(std::get<IngestEvents>(server).events.at(0).id_space, IdSpace::server);

  EXPECT_EQ(stored_event_id("order-1001", IdSpace::server), "order-1001");
  EXPECT_EQ(stored_event_id("order-1001", IdSpace::browser), "browser~order-1001");
  EXPECT_EQ(stored_event_id(longest, IdSpace::browser).size(), kMaxEventId);
  // No id a client may send is in the browser's namespace.
  EXPECT_FALSE(is_valid_event_id("browser~order-1001"));
}

TEST(Validation, AcceptsAFullEvent) {
  auto r = ingest(R"({"id":"evt-1","event":"Page View","contact_id":"ct_1",
    "timestamp":"2026-04-29T11:23:45.123+02:00","url":"https://WWW.Example.com:8443/p?q=1",
    "referrer":"https://google.com","session_id":"s1","utm_source":"news","utm_medium":"mail",
    "utm_campaign":"q1","campaign_id":"cmp_1","step_id":"step_1","email":"ada@example.com",
    "data":{"title":"Pricing","n":[1,2]}})");
  ASSERT_TRUE(std::holds_alternative<IngestEvents>(r));
  const auto& e = std::get<IngestEvents>(r).events.at(0);
  EXPECT_EQ(e.id, "evt-1");
  EXPECT_EQ(e.event, "Page View");
  EXPECT_EQ(e.domain, "www.example.com");
  EXPECT_EQ(e.timestamp, *parse_iso8601("2026-04-29T09:23:45.123Z"));
  EXPECT_EQ(e.data, R"({"title":"Pricing","n":[1,2]})");
}

TEST(Validation, NullAndEmptyFreeTextMeanAbsent) {
  auto r = ingest(R"({"event":"a","contact_id":null,"url":"","referrer":null,"data":null})");
  ASSERT_TRUE(std::holds_alternative<IngestEvents>(r));
  const auto& e = std::get<IngestEvents>(r).events.at(0);
  EXPECT_FALSE(e.contact_id);
  EXPECT_FALSE(e.url);
  EXPECT_FALSE(e.domain);
  EXPECT_EQ(e.data, "{}");
}

TEST(Validation, BatchOfAThousandIsAccepted) {
  std::string body = R"({"batch":[)";
  for (int i = 0; i < 1000; ++i) body += std::string(i ? "," : "") + R"({"event":"e"})";
  body += "]}";
  auto r = ingest(body);
  ASSERT_TRUE(std::holds_alternative<IngestEvents>(r));
  EXPECT_EQ(std::get<IngestEvents>(r).events.size(), 1000u);
}

TEST(Validation, DialectNamesMapToTheSameFields) {
  auto ou = ingest(R"({"event_type":"Email Open","lead_id":"ld_1","metadata":{"a":1},
                       "created_at":"2025-01-15T10:30:00Z"})", kOrgUnitFieldNames);
  ASSERT_TRUE(std::holds_alternative<IngestEvents>(ou));
  EXPECT_EQ(std::get<IngestEvents>(ou).events[0].contact_id, "ld_1");
  auto both = ingest(R"({"event_type":"a","event":"b"})", kOrgUnitFieldNames);
  ASSERT_TRUE(std::holds_alternative<FieldError>(both));

  auto ws = ingest(R"({"type":"purchase","contactId":"ct_abc123","pageUrl":"https://shop.example.com/x",
                       "utmSource":"email","metadata":{"amount":99.99}})", kWorkspaceFieldNames);
  ASSERT_TRUE(std::holds_alternative<IngestEvents>(ws));
  const auto& e = std::get<IngestEvents>(ws).events[0];
  EXPECT_EQ(e.event, "purchase");
  EXPECT_EQ(e.domain, "shop.example.com");
  EXPECT_EQ(e.utm_source, "email");
  // Native names are not workspace names.
  EXPECT_TRUE(std::holds_alternative<FieldError>(ingest(R"({"event":"a"})", kWorkspaceFieldNames)));
}

TEST(Validation, DeleteBodies) {
  auto parse = [](const std::string& body) { return parse_delete(std::get<JsonValue>(parse_json(body))); };
  auto ok = parse(R"({"event_ids":["a","b","a"]})");
  ASSERT_TRUE(std::holds_alternative<DeleteEvents>(ok));
  EXPECT_EQ(std::get<DeleteEvents>(ok).ids, (std::vector<std::string>{"a", "b"}));
  for (const char* bad : {R"({})", R"({"event_ids":[]})", R"({"event_ids":"a"})",
                          R"({"event_ids":[1]})", R"({"event_ids":[""]})", R"([])",
                          R"({"event_ids":["a"],"x":1})"}) {
    EXPECT_TRUE(std::holds_alternative<FieldError>(parse(bad))) << bad;
  }
}

TEST(Domain, DerivedFromAbsoluteUrlsOnly) {
  EXPECT_EQ(domain_of("https://Example.COM:8080/a"), "example.com");
  EXPECT_EQ(domain_of("http://example.com./"), "example.com");
  EXPECT_EQ(domain_of("/pricing"), std::nullopt);
  EXPECT_EQ(domain_of("not a url"), std::nullopt);
  EXPECT_EQ(domain_of("mailto:ada@example.com"), std::nullopt);
}

TEST(Ids, UniqueAndSortedInCreationOrder) {
  IdGenerator ids;
  std::vector<std::string> made;
  for (int i = 0; i < 10000; ++i) made.push_back(ids.next(1'700'000'000'000 + i / 100));
  // The clock going backwards must not break the order either.
  made.push_back(ids.next(1'600'000'000'000));
  std::set<std::string> distinct(made.begin(), made.end());
  EXPECT_EQ(distinct.size(), made.size());
  EXPECT_TRUE(std::is_sorted(made.begin(), made.end()));
  EXPECT_EQ(made[0].size(), 30u);
  EXPECT_EQ(made[0].rfind("evt_", 0), 0u);
}

}  // namespace
}  // namespace eventsd
