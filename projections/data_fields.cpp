#include "projections/data_fields.h"

#include <boost/json/parse.hpp>

#include <charconv>
#include <cmath>

namespace eventsd {

namespace {

constexpr std::size_t npos = std::string_view::npos;

bool blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t skip_blanks(std::string_view s, std::size_t i) {
  while (i < s.size() && blank(s[i])) ++i;
  return i;
}

// The index just past the JSON string that starts at s[i] (a quote), or npos.
std::size_t skip_string(std::string_view s, std::size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') ++i;
    else if (s[i] == '"') return i + 1;
  }
  return npos;
}

// The index just past the JSON value that starts at s[i], or npos. Containers are skipped by
// depth (the text is valid JSON: brackets balance outside strings).
std::size_t skip_value(std::string_view s, std::size_t i) {
  if (i >= s.size()) return npos;
  if (s[i] == '"') return skip_string(s, i);
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    while (i < s.size()) {
      const char c = s[i];
      if (c == '"') {
        i = skip_string(s, i);
        if (i == npos) return npos;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      else if ((c == '}' || c == ']') && --depth == 0) return i + 1;
      ++i;
    }
    return npos;
  }
  std::size_t j = i;
  while (j < s.size() && s[j] != ',' && s[j] != '}' && s[j] != ']' && !blank(s[j])) ++j;
  return j == i ? npos : j;
}

// Whether the raw (still escaped) member name between quotes stands for `key`.
bool same_key(std::string_view raw, std::string_view key) {
  if (raw.find('\\') == npos) return raw == key;
  std::string scratch;
  const std::string quoted = "\"" + std::string(raw) + "\"";
  auto decoded = read_string(quoted, scratch);
  return decoded && *decoded == key;
}

constexpr int kMaxDigits = 36;

__int128 pow10(int n) {
  __int128 p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

// 10^37: sums and scaled values stay below it, so that adding two of them cannot overflow.
const __int128 kLimit = pow10(37);

// A decimal number's digits and scale (value = units / 10^scale), when it fits the exact range.
struct Decimal {
  __int128 units = 0;
  int scale = 0;
};

std::optional<Decimal> parse_decimal(std::string_view t) {
  Decimal d;
  std::size_t i = 0;
  const bool negative = i < t.size() && t[i] == '-';
  if (negative) ++i;
  int digits = 0;
  bool point = false;
  for (; i < t.size(); ++i) {
    const char c = t[i];
    if (c == '.') {
      point = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    if (d.units == 0 && c == '0') {
      if (point) ++d.scale;
      continue;
    }
    if (++digits > kMaxDigits) return std::nullopt;
    d.units = d.units * 10 + (c - '0');
    if (point) ++d.scale;
  }
  if (i < t.size()) {  // an exponent
    if (t[i] != 'e' && t[i] != 'E') return std::nullopt;
    int exponent = 0;
    auto [end, ec] = std::from_chars(t.data() + i + 1 + (t.size() > i + 1 && t[i + 1] == '+'),
                                     t.data() + t.size(), exponent);
    if (ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
    if (exponent > 1000 || exponent < -1000) return std::nullopt;
    d.scale -= exponent;
  }
  if (d.scale < 0) {
    if (digits - d.scale > kMaxDigits) return std::nullopt;
    d.units *= pow10(-d.scale);
    d.scale = 0;
  }
  if (d.scale > kMaxDigits) return std::nullopt;
  if (negative) d.units = -d.units;
  return d;
}

// units * 10^by, if it stays within the exact range.
std::optional<__int128> rescale(__int128 units, int by) {
  const __int128 factor = pow10(by);
  const __int128 magnitude = units < 0 ? -units : units;
  if (magnitude >= kLimit / factor) return std::nullopt;
  return units * factor;
}

}  // namespace

void find_data_members(std::string_view s, std::span<const std::string> keys,
                       std::span<std::optional<std::string_view>> values) {
  for (auto& v : values) v.reset();
  std::size_t i = skip_blanks(s, 0);
  if (i >= s.size() || s[i] != '{') return;
  i = skip_blanks(s, i + 1);
  if (i < s.size() && s[i] == '}') return;
  while (i < s.size() && s[i] == '"') {
    const std::size_t key_end = skip_string(s, i);
    if (key_end == npos) return;
    const std::string_view raw_key = s.substr(i + 1, key_end - i - 2);
    i = skip_blanks(s, key_end);
    if (i >= s.size() || s[i] != ':') return;
    const std::size_t value_start = skip_blanks(s, i + 1);
    const std::size_t value_end = skip_value(s, value_start);
    if (value_end == npos) return;
    for (std::size_t k = 0; k < keys.size(); ++k) {
      if (!values[k] && same_key(raw_key, keys[k])) values[k] = s.substr(value_start, value_end - value_start);
    }
    i = skip_blanks(s, value_end);
    if (i >= s.size() || s[i] != ',') return;
    i = skip_blanks(s, i + 1);
  }
}

std::optional<std::string_view> find_data_member(std::string_view object, std::string_view key) {
  const std::string keys[] = {std::string(key)};
  std::optional<std::string_view> value[1];
  find_data_members(object, keys, value);
  return value[0];
}

std::optional<DataNumber> read_number(std::string_view value) {
  if (value.empty() || !(value[0] == '-' || (value[0] >= '0' && value[0] <= '9'))) return std::nullopt;
  DataNumber n;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n.value);
  if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(n.value)) {
    return std::nullopt;
  }
  n.text = value;
  return n;
}

std::optional<std::string_view> read_string(std::string_view value, std::string& scratch) {
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return std::nullopt;
  const std::string_view inner = value.substr(1, value.size() - 2);
  if (inner.find('\\') == npos) return inner;
  boost::system::error_code ec;
  const auto parsed = boost::json::parse(value, ec);
  if (ec || !parsed.is_string()) return std::nullopt;
  scratch.assign(parsed.get_string().data(), parsed.get_string().size());
  return std::string_view(scratch);
}

void DecimalSum::add(const DataNumber& n) {
  approx_ += n.value;
  if (!exact_) return;
  auto d = parse_decimal(n.text);
  if (!d) {
    exact_ = false;
    return;
  }
  std::optional<__int128> a = units_, b = d->units;
  if (d->scale > scale_) a = rescale(units_, d->scale - scale_);
  else if (d->scale < scale_) b = rescale(d->units, scale_ - d->scale);
  if (!a || !b) {
    exact_ = false;
    return;
  }
  const __int128 sum = *a + *b;
  if (sum >= kLimit || sum <= -kLimit) {
    exact_ = false;
    return;
  }
  units_ = sum;
  scale_ = std::max(scale_, d->scale);
}

std::string DecimalSum::text() const {
  if (!exact_) return number_text(approx_);
  __int128 magnitude = units_ < 0 ? -units_ : units_;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude > 0);
  if (digits.size() <= static_cast<std::size_t>(scale_)) {
    digits.insert(0, static_cast<std::size_t>(scale_) + 1 - digits.size(), '0');
  }
  if (scale_ > 0) digits.insert(digits.size() - static_cast<std::size_t>(scale_), ".");
  if (units_ < 0) digits.insert(0, "-");
  return digits;
}

double DecimalSum::value() const {
  if (!exact_) return approx_;
  const std::string t = text();
  double v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

std::string number_text(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

}  // namespace eventsd
