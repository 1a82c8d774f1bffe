// Reading a client's JSON without changing it.
//
// Boost.JSON 1.81 converts some decimals one unit in the last place off (18.990000000000002 becomes
// 18.989999999999998) and keeps no number's text, so a number stored through it could come back
// as another double, or spelled another way (99.99 as 9.999E1). Every JSON body the service takes
// (each dialect's ingest, rules, contacts, eventctl import) is therefore read into JsonValue: a
// small tree whose numbers keep the text they were sent as. Boost.JSON's basic_parser still does
// the lexing (grammar, UTF-8, escapes, depth); a value is derived from a number's text only when
// one is needed, with std::from_chars, which is exact.
//
// What parse_json decides for every body (docs/api.md, "Numbers and JSON"):
//  - a number keeps its text as sent, and compact() writes that text back: `1.0`, `99.99`, `1e2`,
//    `-0.0` and integers of any length come back exactly as they came;
//  - a number whose magnitude is beyond the largest double is refused (a reader using doubles,
//    which is most of them, would get infinity, which JSON cannot even write back);
//  - an object naming a key twice is refused: keeping either would silently drop the other;
//  - nesting deeper than 32 arrays and objects is refused.
//
// Thread safety: a JsonValue is a plain value; distinct values may be used from distinct threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace eventsd {

class JsonValue {
 public:
  enum class Kind : std::uint8_t { null, boolean, number, string, array, object };
  using Member = std::pair<std::string, JsonValue>;
  using Array = std::vector<JsonValue>;
  using Object = std::vector<Member>;  // in the order sent; keys distinct

  JsonValue() = default;  // null
  static JsonValue boolean(bool b) { return JsonValue(Store(std::in_place_index<1>, b)); }
  // `text` must be a JSON number token (parse_json guarantees it; nothing else checks).
  static JsonValue number(std::string text) { return JsonValue(Store(std::in_place_index<2>, Number{std::move(text)})); }
  static JsonValue string(std::string s) { return JsonValue(Store(std::in_place_index<3>, std::move(s))); }
  static JsonValue array(Array items = {}) { return JsonValue(Store(std::in_place_index<4>, std::move(items))); }
  // The caller keeps keys distinct.
  static JsonValue object(Object members = {}) { return JsonValue(Store(std::in_place_index<5>, std::move(members))); }

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_null() const { return kind() == Kind::null; }
  bool is_bool() const { return kind() == Kind::boolean; }
  bool is_number() const { return kind() == Kind::number; }
  bool is_string() const { return kind() == Kind::string; }
  bool is_array() const { return kind() == Kind::array; }
  bool is_object() const { return kind() == Kind::object; }

  // Accessors; calling one on a value of another kind is a programming error (std::bad_variant_access).
  bool get_bool() const { return std::get<1>(v_); }
  std::string_view get_string() const { return std::get<3>(v_); }  // decoded
  std::string_view number_text() const { return std::get<2>(v_).text; }  // as sent
  const Array& items() const { return std::get<4>(v_); }
  const Object& members() const { return std::get<5>(v_); }
  Array& items() { return std::get<4>(v_); }
  Object& members() { return std::get<5>(v_); }

  // Numbers: the integer a number is when written without fraction or exponent and within int64;
  // the double nearest to its text (always finite for a parsed value). nullopt otherwise (also
  // when the value is not a number).
  std::optional<std::int64_t> to_int64() const;
  std::optional<double> to_double() const;

  // An object's member, or null when absent (or when this is not an object).
  const JsonValue* find(std::string_view key) const;

  // Compact JSON: no whitespace, strings escaped per RFC 8259, numbers as their text.
  void write(std::string& out) const;
  std::string compact() const {
    std::string out;
    write(out);
    return out;
  }

 private:
  struct Number {
    std::string text;
  };
  using Store = std::variant<std::monostate, bool, Number, std::string, Array, Object>;
  explicit JsonValue(Store v) : v_(std::move(v)) {}
  Store v_;
};

// Equal JSON values: same kind, strings equal, arrays element by element, objects with the same
// keys holding equal values (in any order), numbers equal in value (`1`, `1.0` and `1e0` are
// equal; integers compare exactly, other numbers as the doubles nearest their texts).
bool same_value(const JsonValue& a, const JsonValue& b);

struct JsonError {
  std::string message;
  std::string field;  // where, when the text was JSON but broke a rule: "batch[2].data.price"
};

inline constexpr std::size_t kMaxJsonDepth = 32;

// One JSON text (RFC 8259, UTF-8, nothing but whitespace after it), by the rules above.
std::variant<JsonValue, JsonError> parse_json(std::string_view text);

}  // namespace eventsd
