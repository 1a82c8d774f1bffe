#include "common/time.h"

#include <chrono>
#include <cstdio>

namespace eventsd {

namespace chr = std::chrono;

Millis now_millis() {
  return chr::duration_cast<chr::milliseconds>(chr::system_clock::now().time_since_epoch()).count();
}

namespace {

// Reads exactly `n` digits at `pos`, advancing it.
bool digits(std::string_view s, std::size_t& pos, int n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  pos += n;
  return true;
}

bool take(std::string_view s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

namespace {

// The one parser of every instant a client sends (docs/api.md, "Time formats"): ISO 8601's
// extended form (RFC 3339's, 2026-04-29T11:23:45+02:00) and its basic form (20260429T112345+0200),
// never the two mixed in one value. `space_is_plus`: a space where an offset's sign belongs is a
// '+' (a query string's form encoding decodes a literal '+' to a space).
std::optional<Millis> parse_instant(std::string_view s, bool space_is_plus) {
  std::size_t pos = 0;
  int year, month, day;
  if (!digits(s, pos, 4, year)) return std::nullopt;
  const bool extended = take(s, pos, '-');
  if (!digits(s, pos, 2, month) || (extended && !take(s, pos, '-')) || !digits(s, pos, 2, day)) {
    return std::nullopt;
  }
  if (year < 1970) return std::nullopt;
  chr::year_month_day ymd{chr::year(year), chr::month(static_cast<unsigned>(month)),
                          chr::day(static_cast<unsigned>(day))};
  if (!ymd.ok()) return std::nullopt;
  Millis t = chr::duration_cast<chr::milliseconds>(chr::sys_days(ymd).time_since_epoch()).count();
  if (pos == s.size()) return t;

  if (!(take(s, pos, 'T') || take(s, pos, 't') || take(s, pos, ' '))) return std::nullopt;
  // A separator between the time's parts: ':' in the extended form, nothing in the basic one.
  auto separator = [&] { return extended ? take(s, pos, ':') : (pos < s.size() && s[pos] >= '0' && s[pos] <= '9'); };
  int hour, minute, second = 0, millis = 0;
  if (!digits(s, pos, 2, hour) || !separator() || !digits(s, pos, 2, minute)) return std::nullopt;
  if (separator()) {
    if (!digits(s, pos, 2, second)) return std::nullopt;
    if (take(s, pos, '.') || take(s, pos, ',')) {
      int n = 0;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (n < 3) millis = millis * 10 + (s[pos] - '0');
        ++n;
        ++pos;
      }
      if (n == 0 || n > 9) return std::nullopt;
      for (int i = n; i < 3; ++i) millis *= 10;
    }
  }
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  t += ((hour * 60 + minute) * 60 + second) * 1000LL + millis;

  if (pos == s.size() || take(s, pos, 'Z') || take(s, pos, 'z')) {
    return pos == s.size() ? std::optional<Millis>(t) : std::nullopt;
  }
  int sign = 0;
  if (take(s, pos, '+') || (space_is_plus && take(s, pos, ' '))) sign = 1;
  else if (take(s, pos, '-')) sign = -1;
  else return std::nullopt;
  // +HH, +HHMM, and in the extended form +HH:MM.
  int off_h, off_m = 0;
  if (!digits(s, pos, 2, off_h)) return std::nullopt;
  if (pos != s.size()) {
    if (extended) take(s, pos, ':');
    if (!digits(s, pos, 2, off_m)) return std::nullopt;
  }
  if (pos != s.size() || off_h > 23 || off_m > 59) return std::nullopt;
  t -= sign * (off_h * 60 + off_m) * 60'000LL;
  // The offset may carry the instant out of the years 1970-9999 (what the formats write back).
  if (t < 0 || t > kMaxMillis) return std::nullopt;
  return t;
}

}  // namespace

std::optional<Millis> parse_iso8601(std::string_view text) { return parse_instant(text, false); }

std::optional<Millis> parse_iso8601_query(std::string_view text) { return parse_instant(text, true); }

namespace {
struct Parts {
  long long year;
  unsigned month, day;
  long long hour, minute, second, millis;
};
// Any instant, including the far ones a damaged record may hold. The calendar is the standard
// library's (std::chrono::year_month_day), whose years stop at +-32767: a day count is first
// brought into its range by whole 400-year cycles (146,097 days, after which the Gregorian
// calendar repeats exactly), and the cycles are added back to the year.
Parts split(Millis t) {
  constexpr long long kCycleDays = 146'097, kCycleYears = 400;
  long long days = t / kMillisPerDay;
  long long rest = t % kMillisPerDay;
  if (rest < 0) {
    rest += kMillisPerDay;
    --days;
  }
  long long cycles = days / kCycleDays;
  long long in_cycle = days % kCycleDays;
  if (in_cycle < 0) {
    in_cycle += kCycleDays;
    --cycles;
  }
  const chr::year_month_day ymd{chr::sys_days{chr::days{in_cycle}}};  // 1970-01-01 .. 2369-12-31
  return {static_cast<int>(ymd.year()) + cycles * kCycleYears, static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day()), rest / 3'600'000, rest / 60'000 % 60, rest / 1000 % 60, rest % 1000};
}
}  // namespace

std::string format_iso8601_ms(Millis t) {
  auto p = split(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", p.year, p.month,
                p.day, p.hour, p.minute, p.second, p.millis);
  return buf;
}

std::string format_iso8601_s(Millis t) {
  auto p = split(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", p.year, p.month, p.day,
                p.hour, p.minute, p.second);
  return buf;
}

std::string format_date(Millis t) {
  auto p = split(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", p.year, p.month, p.day);
  return buf;
}

std::string format_http_date(Millis t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto p = split(t);
  const chr::weekday weekday{chr::sys_days{chr::days{day_start(t) / kMillisPerDay}}};
  char out[64];
  std::snprintf(out, sizeof out, "%s, %02u %s %04lld %02lld:%02lld:%02lld GMT", kDays[weekday.c_encoding()], p.day,
                kMonths[p.month - 1], p.year, p.hour, p.minute, p.second);
  return out;
}

}  // namespace eventsd
