// Time as the log stores it, and its ISO 8601 forms (common/time.h).
#include <gtest/gtest.h>

#include "common/time.h"

namespace eventsd {
namespace {

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

// Every form a client may send for one instant, 2026-04-29T11:23:45.250Z: RFC 3339, ISO 8601's
// hour-only offsets and its basic format. Each reads as that instant, and formats back to it.
TEST(Time, EveryAcceptedFormIsTheSameInstant) {
  const Millis instant = 1'777'461'825'250;
  ASSERT_EQ(format_iso8601_ms(instant), "2026-04-29T11:23:45.250Z");
  for (const char* form : {"2026-04-29T11:23:45.250Z", "2026-04-29t11:23:45.25z", "2026-04-29 11:23:45,250Z",
                           "2026-04-29T13:23:45.250+02:00", "2026-04-29T13:23:45.250+0200",
                           "2026-04-29T13:23:45.250+02", "2026-04-29T09:23:45.250-02",
                           "2026-04-29T11:23:45.250-00:00", "2026-04-29T11:23:45.250+00",
                           "20260429T112345.250Z", "20260429T132345.250+0200", "20260429T132345.250+02",
                           "20260429t092345,25-0200", "20260429 112345.250", "2026-04-29T11:23:45.250"}) {
    EXPECT_EQ(parse_iso8601(form), instant) << form;
    EXPECT_EQ(parse_iso8601(format_iso8601_ms(*parse_iso8601(form))), instant) << form;
  }
  // Reduced precision in either form: minutes, a date.
  EXPECT_EQ(parse_iso8601("20260429T1123Z"), parse_iso8601("2026-04-29T11:23Z"));
  EXPECT_EQ(parse_iso8601("20260429T1323+02"), parse_iso8601("2026-04-29T11:23:00Z"));
  EXPECT_EQ(parse_iso8601("20260429"), parse_iso8601("2026-04-29"));
}

TEST(Time, RefusesWhatIsAmbiguousOrInvalid) {
  for (const char* bad : {
           "20260429T11:23:45Z",         // a basic date with an extended time
           "2026-04-29T112345Z",         // an extended date with a basic time
           "20260429T112345+02:00",      // a basic time with an extended offset
           "2026-0429", "202604-29",     // a date half one form, half the other
           "202604", "2026-04", "26-04-29", "260429",  // a year and month alone; two-digit years
           "2026-04-29T11Z", "20260429T11Z",           // an hour alone
           "2026-04-29T11:23:45+2", "2026-04-29T11:23:45+021", "2026-04-29T11:23:45+02:0",
           "2026-04-29T11:23:45+02:", "2026-04-29T11:23:45+02:00:00", "2026-04-29T11:23:45+24",
           "2026-04-29T11:23:45+02:60", "2026-04-29T11:23:45+0200Z", "2026-04-29T11:23:45 02",
           "2026-04-29T11:23:45Z+02", "20260429T112345.Z", "20260429T1123451Z", "20260431T000000Z",
           "20260229", "20260429T240000Z", "19691231T235959Z", "2026-04-29T11:23:45++02"}) {
    EXPECT_FALSE(parse_iso8601(bad)) << bad;
  }
}

TEST(Time, QueryValuesReadASpaceBeforeTheOffsetAsPlus) {
  // date_after=2026-04-29T13:23:45+02 arrives form-decoded, its '+' a space.
  EXPECT_EQ(parse_iso8601_query("2026-04-29T13:23:45 02"), parse_iso8601("2026-04-29T11:23:45Z"));
  EXPECT_EQ(parse_iso8601_query("2026-04-29 13:23:45 02:00"), parse_iso8601("2026-04-29T11:23:45Z"));
  EXPECT_EQ(parse_iso8601_query("20260429T132345 0200"), parse_iso8601("2026-04-29T11:23:45Z"));
  EXPECT_EQ(parse_iso8601_query("2026-04-29T11:23:45-02"), parse_iso8601("2026-04-29T13:23:45Z"));
  for (const char* bad : {"2026-04-29T13:23:45  02", "2026-04-29 02", "2026-04-29T13:23:45 2", "2026-04-29T13:23:45 "}) {
    EXPECT_FALSE(parse_iso8601_query(bad)) << bad;
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

TEST(Time, HttpDatesAreImfFixdates) {
  EXPECT_EQ(format_http_date(784'111'777'000), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110's example
  EXPECT_EQ(format_http_date(951'782'400'999), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(format_http_date(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
}

}  // namespace
}  // namespace eventsd
