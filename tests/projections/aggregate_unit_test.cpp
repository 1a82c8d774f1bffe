// The pieces under aggregates that need no store: reading data members and numbers, exact sums,
// field and metric names, and time buckets in many zones — checked against the C library's
// localtime_r (TZ), an implementation independent of the date library the engine uses.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <random>

#include "projections/aggregate.h"
#include "projections/data_fields.h"
#include "projections/event_fields.h"
#include "projections/time_buckets.h"

namespace eventsd {
namespace {

std::optional<std::string> member(std::string_view json, std::string_view key) {
  auto v = find_data_member(json, key);
  return v ? std::optional<std::string>(*v) : std::nullopt;
}

TEST(DataFields, FindsTopLevelMembersAsTheirText) {
  const std::string data = R"({"a":1.50,"b":"x,\"}y","n":{"a":2,"s":"}{"},"arr":[1,{"a":3}],"t":true,"z":null})";
  EXPECT_EQ(member(data, "a"), "1.50");
  EXPECT_EQ(member(data, "b"), R"("x,\"}y")");
  EXPECT_EQ(member(data, "n"), R"({"a":2,"s":"}{"})");
  EXPECT_EQ(member(data, "arr"), R"([1,{"a":3}])");
  EXPECT_EQ(member(data, "t"), "true");
  EXPECT_EQ(member(data, "z"), "null");
  EXPECT_EQ(member(data, "s"), std::nullopt) << "a nested member is not a top-level one";
  EXPECT_EQ(member(data, "missing"), std::nullopt);
  EXPECT_EQ(member(R"({"pl\u0061n":"pro"})", "plan"), R"("pro")") << "escaped names are decoded";
  EXPECT_EQ(member(R"({"caf\u00e9":1})", "caf\xC3\xA9"), "1");
  EXPECT_EQ(member(" { \"a\" : 1 , \"b\" : [ 2 ] } ", "b"), "[ 2 ]");
  EXPECT_EQ(member("{}", "a"), std::nullopt);
  EXPECT_EQ(member("[1]", "a"), std::nullopt);
  EXPECT_EQ(member("", "a"), std::nullopt);
  EXPECT_EQ(member(R"({"a":)", "a"), std::nullopt) << "cut text yields nothing";

  const std::string keys[] = {"t", "a", "missing"};
  std::optional<std::string_view> values[3];
  find_data_members(data, keys, values);
  EXPECT_EQ(values[0], "true");
  EXPECT_EQ(values[1], "1.50");
  EXPECT_FALSE(values[2]);
}

TEST(DataFields, ReadsNumbersAndStringsFromTheirText) {
  for (const char* t : {"0", "-7", "1.50", "18.99", "1e3", "-2.5E-3", "123456789012345678901234"}) {
    auto n = read_number(t);
    ASSERT_TRUE(n) << t;
    EXPECT_EQ(n->text, t);
    EXPECT_EQ(n->value, std::strtod(t, nullptr)) << t;
  }
  for (const char* t : {"\"12\"", "true", "null", "{}", "-", "", "1x", "inf", "nan", "0x10"}) {
    EXPECT_FALSE(read_number(t)) << t;
  }
  std::string scratch;
  EXPECT_EQ(read_string(R"("plain")", scratch), "plain");
  EXPECT_EQ(read_string(R"("a\"b\u00e9\n")", scratch), "a\"b\xC3\xA9\n");
  EXPECT_FALSE(read_string("12", scratch));
  EXPECT_FALSE(read_string("\"", scratch));
}

std::string sum_of(std::initializer_list<const char*> numbers, bool* exact = nullptr) {
  DecimalSum s;
  for (const char* t : numbers) s.add(*read_number(t));
  if (exact) *exact = s.exact();
  return s.text();
}

TEST(DataFields, SumsDecimalsExactly) {
  EXPECT_EQ(sum_of({}), "0");
  EXPECT_EQ(sum_of({"0.1", "0.2"}), "0.3");
  EXPECT_EQ(sum_of({"18.99", "1.01"}), "20.00");
  EXPECT_EQ(sum_of({"1.5", "2"}), "3.5");
  EXPECT_EQ(sum_of({"-0.25", "0.05"}), "-0.20");
  EXPECT_EQ(sum_of({"1e3", "1.5e-2"}), "1000.015");
  EXPECT_EQ(sum_of({"1.899E1", "0.01"}), "19.00");
  EXPECT_EQ(sum_of({"99999999999999999999", "1"}), "100000000000000000000");
  bool exact = true;
  EXPECT_EQ(sum_of({"1e300", "1"}, &exact), "1e+300");
  EXPECT_FALSE(exact) << "beyond 36 digits the sum is a double";
  std::mt19937 rng(3);
  DecimalSum s;
  long long cents = 0;
  for (int i = 0; i < 10000; ++i) {
    const long long c = static_cast<long long>(rng() % 200001) - 100000;
    cents += c;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%lld.%02lld", c < 0 ? "-" : "", std::llabs(c) / 100, std::llabs(c) % 100);
    s.add(*read_number(buf));
  }
  char want[32];
  std::snprintf(want, sizeof want, "%s%lld.%02lld", cents < 0 ? "-" : "", std::llabs(cents) / 100, std::llabs(cents) % 100);
  EXPECT_EQ(s.text(), want);
  EXPECT_EQ(number_text(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(number_text(5.075), "5.075");
}

TEST(Fields, NamesRoundTrip) {
  for (const char* name : {"event", "contact_id", "url", "path", "referrer", "domain", "session_id", "utm_source",
                           "utm_medium", "utm_campaign", "campaign_id", "step_id", "email", "data.plan",
                           "data.a.b", "contact.firstname", "contact.lastname", "contact.email", "company.id",
                           "company.name", "company.domain", "hour", "day", "week", "month"}) {
    auto f = parse_field(name);
    ASSERT_TRUE(f) << name;
    EXPECT_EQ(field_name(*f), name);
  }
  EXPECT_EQ(parse_field("data.a.b")->key, "a.b");
  for (const char* name : {"", "data.", "Event", "contact", "company", "contact.score", "year", "data"}) {
    EXPECT_FALSE(parse_field(name)) << name;
  }
  EXPECT_FALSE(parse_field("data." + std::string(257, 'k')));
  for (const char* name : {"count", "unique_contacts", "unique_sessions", "sum(data.amount)", "avg(data.a.b)",
                           "min(data.x)", "max(data.x)", "p50(data.x)", "p95(data.x)"}) {
    auto m = parse_metric(name);
    ASSERT_TRUE(m) << name;
    EXPECT_EQ(metric_name(*m), name);
  }
  for (const char* name : {"sum", "count(data.x)", "sum(amount)", "sum(data.x", "p99(data.x)", "sum(event)", "avg()"}) {
    EXPECT_FALSE(parse_metric(name)) << name;
  }
}

TEST(Fields, UrlPaths) {
  EXPECT_EQ(url_path("https://example.com/pricing?x=1#top"), "/pricing");
  EXPECT_EQ(url_path("https://example.com"), "/");
  EXPECT_EQ(url_path("https://example.com?x=1"), "/");
  EXPECT_EQ(url_path("https://example.com:8080/a/b/"), "/a/b/");
  EXPECT_EQ(url_path("/relative/path?q"), "/relative/path");
  EXPECT_EQ(url_path("?only=query"), std::nullopt);
  EXPECT_EQ(url_path("https://example.com/caf%C3%A9"), "/caf%C3%A9") << "as stored, percent-encoded";
  EXPECT_EQ(url_path("https://exa mple.com/a"), std::nullopt) << "not a URI";
}

TEST(TimeZones, NamesTheDatabaseHasOnly) {
  for (const char* name : {"UTC", "Etc/UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Etc/GMT+5"}) {
    auto z = Zone::find(name);
    ASSERT_TRUE(z) << name;
    EXPECT_EQ(z->name(), name);
  }
  EXPECT_TRUE(Zone::find("UTC")->always_utc());
  EXPECT_TRUE(Zone::find("Etc/UTC")->always_utc());
  EXPECT_FALSE(Zone::find("Europe/London")->always_utc()) << "London is UTC only in winter";
  EXPECT_FALSE(Zone::find("Etc/GMT+5")->always_utc());
  for (const char* name : {"", "Mars/Olympus", "europe/berlin", "../../etc/passwd", "/etc/localtime", "Europe/Berlin\n",
                           "Europe/Berlin ", "+01:00"}) {
    EXPECT_FALSE(Zone::find(name)) << name;
  }
}

// The local date (and hour) of `t` in `zone`, by the C library.
struct Libc {
  explicit Libc(const char* zone) {
    ::setenv("TZ", zone, 1);
    ::tzset();
  }
  std::tm local(Millis t) const {
    const std::time_t s = static_cast<std::time_t>(t / 1000);
    std::tm tm{};
    ::localtime_r(&s, &tm);
    return tm;
  }
  std::string format(Millis t, const char* fmt) const {
    const std::tm tm = local(t);
    char buf[64];
    std::strftime(buf, sizeof buf, fmt, &tm);
    return buf;
  }
};

TEST(TimeZones, BucketsHoldEveryInstantOfTheirLocalDayWeekAndMonth) {
  // Half-hour and 45-minute offsets, half-hour daylight saving, clocks set back across midnight,
  // midnights that do not exist, zones that changed their rules: every instant's bucket contains
  // it, buckets tile time, and a day's label is the C library's local date of every instant in it.
  std::mt19937_64 rng(11);
  const Millis from = *parse_iso8601("2014-01-01T00:00:00Z"), to = *parse_iso8601("2030-01-01T00:00:00Z");
  for (const char* zone : {"Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe",
                           "America/Sao_Paulo", "America/Havana", "Pacific/Chatham", "Africa/Casablanca",
                           "Pacific/Apia", "America/St_Johns"}) {
    SCOPED_TRACE(zone);
    const Libc libc(zone);
    for (TimeUnit unit : {TimeUnit::hour, TimeUnit::day, TimeUnit::week, TimeUnit::month}) {
      Bucketer b(*Zone::find(zone), unit);
      for (int i = 0; i < 3000; ++i) {
        const Millis t = from + static_cast<Millis>(rng() % static_cast<std::uint64_t>(to - from));
        const Bucket k = b.bucket_of(t);
        ASSERT_LE(k.start, t);
        ASSERT_LT(t, k.end);
        ASSERT_EQ(b.bucket_of(k.start).start, k.start);
        ASSERT_EQ(b.bucket_of(k.end).start, k.end) << "buckets tile time";
        ASSERT_EQ(b.bucket_of(k.start - 1).end, k.start);
        switch (unit) {
          case TimeUnit::day:
            ASSERT_EQ(b.label(k.start), libc.format(t, "%Y-%m-%d")) << t;
            ASSERT_NE(libc.format(k.start - 1, "%Y-%m-%d"), b.label(k.start)) << "a day starts at its first instant";
            break;
          case TimeUnit::month: ASSERT_EQ(b.label(k.start), libc.format(t, "%Y-%m")) << t; break;
          case TimeUnit::week: {
            const std::tm tm = libc.local(k.start);
            ASSERT_EQ(tm.tm_wday, 1) << "weeks start on Mondays: " << b.label(k.start);
            ASSERT_LE(k.end - k.start, 7 * kMillisPerDay + 3'600'000);
            break;
          }
          case TimeUnit::hour: {
            ASSERT_LE(k.end - k.start, 3'600'000);
            const std::tm tm = libc.local(t);
            const std::string label = b.label(k.start);
            ASSERT_EQ(label.substr(0, 10), libc.format(t, "%Y-%m-%d")) << label;
            ASSERT_EQ(std::stoi(label.substr(11, 2)), tm.tm_hour) << label << " at " << t;
            break;
          }
        }
      }
    }
  }
}

TEST(TimeZones, MidnightsThatDoNotExistOrComeTwice) {
  // São Paulo, 2018-11-04: clocks went from 00:00 to 01:00, so the day began at 01:00 local.
  Bucketer sp(*Zone::find("America/Sao_Paulo"), TimeUnit::day);
  const Bucket spring = sp.bucket_of(*parse_iso8601("2018-11-04T12:00:00Z"));
  EXPECT_EQ(spring.start, *parse_iso8601("2018-11-04T03:00:00Z"));
  EXPECT_EQ(spring.end, *parse_iso8601("2018-11-05T02:00:00Z"));
  EXPECT_EQ(sp.label(spring.start), "2018-11-04");
  // 2019-02-17: clocks went from 00:00 back to 23:00 of the 16th, a day of 25 hours.
  const Bucket autumn = sp.bucket_of(*parse_iso8601("2019-02-17T02:30:00Z"));
  EXPECT_EQ(autumn.start, *parse_iso8601("2019-02-16T02:00:00Z"));
  EXPECT_EQ(autumn.end, *parse_iso8601("2019-02-17T03:00:00Z"));
  EXPECT_EQ(sp.label(autumn.start), "2019-02-16");
  // Kolkata's hours begin at half past UTC hours.
  Bucketer kolkata(*Zone::find("Asia/Kolkata"), TimeUnit::hour);
  const Bucket h = kolkata.bucket_of(*parse_iso8601("2026-05-01T10:45:00Z"));
  EXPECT_EQ(h.start, *parse_iso8601("2026-05-01T10:30:00Z"));
  EXPECT_EQ(kolkata.label(h.start), "2026-05-01T16:00:00+05:30");
  // Berlin's autumn hour 02:00 comes twice: two buckets.
  Bucketer berlin(*Zone::find("Europe/Berlin"), TimeUnit::hour);
  EXPECT_EQ(berlin.label(berlin.bucket_of(*parse_iso8601("2026-10-25T00:30:00Z")).start), "2026-10-25T02:00:00+02:00");
  EXPECT_EQ(berlin.label(berlin.bucket_of(*parse_iso8601("2026-10-25T01:30:00Z")).start), "2026-10-25T02:00:00+01:00");
}

}  // namespace
}  // namespace eventsd
