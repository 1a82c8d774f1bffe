// Time as the log stores it: milliseconds since the Unix epoch, UTC. Parsing and formatting of
// ISO 8601 for the APIs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eventsd {

using Millis = std::int64_t;

inline constexpr Millis kMillisPerDay = 86'400'000;
// 9999-12-31T23:59:59.999Z, the last instant parse_iso8601 accepts.
inline constexpr Millis kMaxMillis = 253'402'300'799'999;

Millis now_millis();

// The one parser of the instants clients send (every time parameter, every body's timestamp;
// docs/api.md "Time formats"). Accepts ISO 8601 in its extended form, YYYY-MM-DD or
// YYYY-MM-DDTHH:MM[:SS[.fraction]], or its basic form, YYYYMMDD or YYYYMMDDTHHMM[SS[.fraction]],
// never the two mixed; a time is followed by Z, an offset (+HH, +HHMM, and in the extended form
// +HH:MM; '-' alike) or nothing (read as UTC). 'T' may also be 't' or a space, '.' a ','.
// Instants in the years 1970-9999 (UTC). Fractions beyond milliseconds are truncated. Returns
// nullopt for anything else, including impossible dates and reduced forms (an hour alone, a year
// and month alone).
std::optional<Millis> parse_iso8601(std::string_view text);
// The same for a value taken from a query string, whose form encoding decodes a '+' to a space:
// a space where an offset's sign belongs reads as '+' (2026-04-29T13:23:45 02 is +02).
std::optional<Millis> parse_iso8601_query(std::string_view text);

// 2026-04-29T11:23:45.000Z. Every formatter takes any Millis (a damaged record may hold any):
// outside the years 0-9999 the year has more digits, or a sign.
std::string format_iso8601_ms(Millis t);
// 2026-04-29T11:23:45Z: the seconds-precision form of the dialects whose documents show it
// (seeds 000, 002, 003); the milliseconds are dropped, for every event alike.
std::string format_iso8601_s(Millis t);
// 2026-04-29
std::string format_date(Millis t);
// An IMF-fixdate (RFC 9110 §5.6.7) for a Date header: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string format_http_date(Millis t);

// Start of the UTC day containing t.
inline Millis day_start(Millis t) { return t - ((t % kMillisPerDay) + kMillisPerDay) % kMillisPerDay; }

}  // namespace eventsd
