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

TEST(Time, ParsesIso8601) {
  EXPECT_EQ(parse_iso8601("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_iso8601("2026-04-29"), parse_iso8601("2026-04-29T00:00:00Z"));
  EXPECT_EQ(parse_iso8601("2026-04-29T11:23:45.5Z"), *parse_iso8601("2026-04-29T11:23:45Z") + 500);
  EXPECT_EQ(parse_iso8601("2026-04-29T11:23:45.123456789Z"), *parse_iso8601("2026-04-29T11:23:45Z") + 123);
  EXPECT_EQ(parse_iso8601("2026-04-29T13:23:45+0200"), parse_iso8601("2026-04-29T11:23:45Z"));
  EXPECT_EQ(parse_iso8601("2024-02-29T00:00"), parse_iso8601("2024-02-29T00:00:00Z"));
  for (const char* bad : {"", "2026", "2026-13-01", "2023-02-29", "2026-04-29T24:00:00Z",
                          "2026-04-29T11:23:45ZZ", "2026-04-29T11:23:45.Z", "1969-12-31",
                          "2026-04-29X11:23", "2026-04-29T11:23:45+25:00", "yesterday"}) {
    EXPECT_FALSE(parse_iso8601(bad)) << bad;
  }
}

TEST(Time, FormatsRoundTrip) {
  const Millis t = *parse_iso8601("2026-04-29T11:23:45.007Z");
  EXPECT_EQ(format_iso8601_ms(t), "2026-04-29T11:23:45.007Z");
  EXPECT_EQ(format_iso8601_s(t), "2026-04-29T11:23:45Z");
  EXPECT_EQ(format_date(t), "2026-04-29");
  EXPECT_EQ(day_start(t), *parse_iso8601("2026-04-29"));
}

TEST(Time, EveryInstantParsedFormatsBackToItself) {
  // The bounds, leap days, and a walk over the years in steps that are not whole days.
  EXPECT_EQ(format_iso8601_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601_ms(kMaxMillis), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_iso8601_ms(*parse_iso8601("2000-02-29T12:00:00Z")), "2000-02-29T12:00:00.000Z");
  for (Millis t = 0; t <= kMaxMillis; t += 86'400'000LL * 97 + 3'601'001) {
    ASSERT_EQ(parse_iso8601(format_iso8601_ms(t)), t) << format_iso8601_ms(t);
  }
  // An offset may not carry an instant beyond what the formats can write back.
  EXPECT_FALSE(parse_iso8601("9999-12-31T23:59:59-00:01"));
  EXPECT_EQ(parse_iso8601("9999-12-31T23:59:59+00:01"), kMaxMillis - 999 - 60'000);
}

TEST(Time, FarInstantsFormatWithoutOverflow) {
  // What a damaged log record may hold (fuzz_log_record): any 64-bit value.
  EXPECT_EQ(format_iso8601_ms(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_date(-86'400'000LL * 365), "1969-01-01");
  EXPECT_EQ(format_iso8601_ms(INT64_MAX), "292278994-08-17T07:12:55.807Z");
  EXPECT_EQ(format_iso8601_ms(INT64_MIN), "-292275055-05-16T16:47:04.192Z");
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
