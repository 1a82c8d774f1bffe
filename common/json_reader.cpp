#include "common/json_reader.h"

#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/json_writer.h"

namespace eventsd {

namespace {

bool is_integer_text(std::string_view t) { return t.find_first_of(".eE") == std::string_view::npos; }

// The decimal exponent of the first significant digit of a number token (0 for 1.5, 2 for 150,
// -3 for 0.001e0), or nullopt when every digit is 0. Tells overflow from underflow when
// std::from_chars reports a number out of range.
std::optional<long> leading_exponent(std::string_view t) {
  std::size_t i = t.size() && t[0] == '-' ? 1 : 0;
  long digits_before_point = 0, first = 0;
  bool seen_point = false, found = false;
  long position = 0;  // digits seen so far
  for (; i < t.size() && t[i] != 'e' && t[i] != 'E'; ++i) {
    if (t[i] == '.') {
      seen_point = true;
      continue;
    }
    if (!seen_point) ++digits_before_point;
    if (!found && t[i] != '0') {
      found = true;
      first = position;
    }
    ++position;
  }
  if (!found) return std::nullopt;
  long exp = 0;
  if (i < t.size()) {
    std::string_view e = t.substr(i + 1);
    if (!e.empty() && e[0] == '+') e.remove_prefix(1);
    // An exponent too long for a long is far beyond any double either way.
    if (std::from_chars(e.data(), e.data() + e.size(), exp).ec != std::errc()) exp = e[0] == '-' ? -100000 : 100000;
  }
  return digits_before_point - 1 - first + exp;
}

// The handler Boost.JSON's basic_parser calls while it lexes: builds the tree.
class Builder {
 public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  using error_code = boost::system::error_code;

  bool on_document_begin(error_code&) {
    values_.reserve(32);
    keys_.reserve(32);
    return true;
  }
  bool on_document_end(error_code&) { return true; }

  bool on_array_begin(error_code&) {
    open_.push_back({true, values_.size(), keys_.size()});
    return true;
  }
  bool on_array_end(std::size_t n, error_code&) {
    JsonValue::Array items(std::make_move_iterator(values_.end() - static_cast<std::ptrdiff_t>(n)),
                           std::make_move_iterator(values_.end()));
    values_.resize(values_.size() - n);
    open_.pop_back();
    values_.push_back(JsonValue::array(std::move(items)));
    return true;
  }
  bool on_object_begin(error_code&) {
    open_.push_back({false, values_.size(), keys_.size()});
    return true;
  }
  bool on_object_end(std::size_t n, error_code& ec) {
    const std::size_t v0 = values_.size() - n, k0 = keys_.size() - n;
    if (const std::string* twice = repeated_key(keys_, k0)) {
      std::string field = path(open_.size() - 1);
      std::string shown;
      append_json_string(shown, twice->substr(0, 64));
      return fail(ec, field + (field.empty() ? "" : ".") + *twice, "the key " + shown + " is given twice in one object");
    }
    JsonValue::Object members;
    members.reserve(n);
    for (std::size_t i = 0; i < n; ++i) members.emplace_back(std::move(keys_[k0 + i]), std::move(values_[v0 + i]));
    values_.resize(v0);
    keys_.resize(k0);
    open_.pop_back();
    values_.push_back(JsonValue::object(std::move(members)));
    return true;
  }

  bool on_string_part(std::string_view s, std::size_t, error_code&) {
    part_.append(s);
    return true;
  }
  bool on_string(std::string_view s, std::size_t, error_code& ec) {
    return add(JsonValue::string(take(s)), ec);
  }
  bool on_key_part(std::string_view s, std::size_t, error_code&) {
    part_.append(s);
    return true;
  }
  bool on_key(std::string_view s, std::size_t, error_code&) {
    keys_.push_back(take(s));
    return true;
  }

  bool on_number_part(std::string_view s, error_code&) {
    part_.append(s);
    return true;
  }
  bool on_int64(std::int64_t, std::string_view s, error_code& ec) { return add(JsonValue::number(take(s)), ec); }
  bool on_uint64(std::uint64_t, std::string_view s, error_code& ec) { return add(JsonValue::number(take(s)), ec); }
  bool on_double(double approx, std::string_view s, error_code& ec) {
    std::string text = take(s);
    // Boost's value is only a hint; near the edge of the range the exact conversion decides.
    if (!std::isfinite(approx) || std::fabs(approx) > 1e307) {
      double exact = 0;
      const auto r = std::from_chars(text.data(), text.data() + text.size(), exact);
      if (r.ec == std::errc::result_out_of_range && leading_exponent(text).value_or(0) > 0) {
        return fail(ec, path(open_.size()), "the number " + text.substr(0, 40) + " is beyond the range of a double");
      }
    }
    return add(JsonValue::number(std::move(text)), ec);
  }
  bool on_bool(bool b, error_code& ec) { return add(JsonValue::boolean(b), ec); }
  bool on_null(error_code& ec) { return add(JsonValue(), ec); }
  bool on_comment_part(std::string_view, error_code&) { return true; }
  bool on_comment(std::string_view, error_code&) { return true; }

  // The document, once the parser finished without error.
  JsonValue& root() { return values_.back(); }
  const std::optional<JsonError>& error() const { return error_; }

 private:
  struct Open {
    bool array;
    std::size_t values, keys;  // sizes of values_ and keys_ when it opened
  };

  std::string take(std::string_view last) {
    if (part_.empty()) return std::string(last);
    part_.append(last);
    return std::exchange(part_, {});
  }
  bool add(JsonValue v, error_code&) {
    values_.push_back(std::move(v));
    return true;
  }
  // Where the value being added goes, from the outermost of the first `levels` open containers:
  // "batch[2].data.price".
  std::string path(std::size_t levels) const {
    std::string out;
    for (std::size_t i = 0; i < levels; ++i) {
      if (open_[i].array) {
        const std::size_t end = i + 1 < open_.size() ? open_[i + 1].values : values_.size();
        out += "[" + std::to_string(end - open_[i].values) + "]";
      } else {
        const std::size_t end = i + 1 < open_.size() ? open_[i + 1].keys : keys_.size();
        if (!out.empty()) out.push_back('.');
        out += keys_[end - 1];  // the key of the member being read
      }
    }
    return out;
  }
  // A key that keys[from..] holds twice, or null.
  static const std::string* repeated_key(const std::vector<std::string>& all, std::size_t from) {
    const std::size_t n = all.size() - from;
    const std::string* keys = all.data() + from;
    if (n <= 16) {
      for (std::size_t i = 1; i < n; ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          if (keys[i] == keys[j]) return &keys[i];
        }
      }
      return nullptr;
    }
    std::vector<const std::string*> sorted;
    sorted.reserve(n);
    for (std::size_t i = 0; i < n; ++i) sorted.push_back(&keys[i]);
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return *a < *b; });
    for (std::size_t i = 1; i < n; ++i) {
      if (*sorted[i] == *sorted[i - 1]) return sorted[i];
    }
    return nullptr;
  }
  bool fail(error_code& ec, std::string field, std::string message) {
    error_ = JsonError{std::move(message), std::move(field)};
    ec = boost::json::error::exception;  // stands for error_, which says what
    return false;
  }

  // Values and keys of the containers not yet closed, in document order; a container takes its
  // own when it closes (so each array and object is allocated once, at its final size).
  std::vector<JsonValue> values_;
  std::vector<std::string> keys_;
  std::vector<Open> open_;  // the arrays and objects not yet closed, innermost last
  std::string part_;        // a string, key or number split across calls
  std::optional<JsonError> error_;
};

bool same_number(std::string_view a, std::string_view b) {
  if (is_integer_text(a) && is_integer_text(b)) {
    auto canonical = [](std::string_view t) {
      return t == "-0" ? std::string_view("0") : t;  // JSON integers have no leading zeros
    };
    return canonical(a) == canonical(b);
  }
  double x = 0, y = 0;
  std::from_chars(a.data(), a.data() + a.size(), x);
  std::from_chars(b.data(), b.data() + b.size(), y);
  return x == y;
}

}  // namespace

std::optional<std::int64_t> JsonValue::to_int64() const {
  if (!is_number()) return std::nullopt;
  const std::string_view t = number_text();
  if (!is_integer_text(t)) return std::nullopt;
  std::int64_t v = 0;
  const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (r.ec != std::errc() || r.ptr != t.data() + t.size()) return std::nullopt;
  return v;
}

std::optional<double> JsonValue::to_double() const {
  if (!is_number()) return std::nullopt;
  const std::string_view t = number_text();
  double v = 0;
  const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (r.ec == std::errc::result_out_of_range) {
    // Too small for a double (parse_json refuses the too large): as near to it as a double gets.
    return t[0] == '-' ? -0.0 : 0.0;
  }
  if (r.ec != std::errc()) return std::nullopt;
  return v;
}

const JsonValue* JsonValue::find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : members()) {
    if (k == key) return &v;
  }
  return nullptr;
}

void JsonValue::write(std::string& out) const {
  switch (kind()) {
    case Kind::null: out.append("null"); break;
    case Kind::boolean: out.append(get_bool() ? "true" : "false"); break;
    case Kind::number: out.append(number_text()); break;
    case Kind::string: append_json_string(out, get_string()); break;
    case Kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& v : items()) {
        if (!std::exchange(first, false)) out.push_back(',');
        v.write(out);
      }
      out.push_back(']');
      break;
    }
    case Kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [k, v] : members()) {
        if (!std::exchange(first, false)) out.push_back(',');
        append_json_string(out, k);
        out.push_back(':');
        v.write(out);
      }
      out.push_back('}');
      break;
    }
  }
}

bool same_value(const JsonValue& a, const JsonValue& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case JsonValue::Kind::null: return true;
    case JsonValue::Kind::boolean: return a.get_bool() == b.get_bool();
    case JsonValue::Kind::number: return same_number(a.number_text(), b.number_text());
    case JsonValue::Kind::string: return a.get_string() == b.get_string();
    case JsonValue::Kind::array:
      return std::equal(a.items().begin(), a.items().end(), b.items().begin(), b.items().end(), same_value);
    case JsonValue::Kind::object:
      if (a.members().size() != b.members().size()) return false;
      return std::all_of(a.members().begin(), a.members().end(), [&](const JsonValue::Member& m) {
        const JsonValue* other = b.find(m.first);
        return other && same_value(m.second, *other);
      });
  }
  return false;
}

std::variant<JsonValue, JsonError> parse_json(std::string_view text) {
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::json::basic_parser<Builder> parser(options);
  boost::system::error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && used != text.size()) ec = boost::json::error::extra_data;
  if (ec) {
    if (parser.handler().error()) return *parser.handler().error();
    return JsonError{ec.message(), {}};
  }
  return std::move(parser.handler().root());
}

}  // namespace eventsd
