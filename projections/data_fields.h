// Reading values out of an event's `data`, as the log stores it: a JSON object in compact text.
//
// Nothing here re-serializes a value: a member's value is handed out as the very text that was
// stored, so an aggregate that groups by it or reports a minimum answers with the value as it was
// sent. Numbers are read from that text by read_number() alone, the one place that decides what
// a number in data is.
//
// All functions are pure and thread-safe; returned views point into the text passed in.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace eventsd {

// Finds the top-level members named in `keys` of the JSON object `object` and stores the text of
// each one's value in the matching slot of `values` (left unset when absent). One pass over the
// text whatever the number of keys. Text that is not a JSON object yields no members.
void find_data_members(std::string_view object, std::span<const std::string> keys,
                       std::span<std::optional<std::string_view>> values);

// The top-level member `key` of `object` (see find_data_members).
std::optional<std::string_view> find_data_member(std::string_view object, std::string_view key);

// A JSON number, read from its text: the nearest double (std::from_chars, so correctly rounded)
// and the text itself. Nullopt when `value` is not a number (a string, true, an object...).
struct DataNumber {
  double value = 0;
  std::string_view text;
};
std::optional<DataNumber> read_number(std::string_view value);

// The string a JSON string value stands for, escapes decoded; nullopt when `value` is not a
// JSON string. Without escapes the result is a view into `value`; otherwise it is decoded into
// `scratch` and views that.
std::optional<std::string_view> read_string(std::string_view value, std::string& scratch);

// An exact sum of decimal numbers: every number of up to 36 significant digits and scale
// (digits after the point) is added without rounding, and the sum keeps the largest scale added
// (18.99 + 1.5 = 20.49, 0.1 + 0.2 = 0.3). Beyond that range it continues in double precision and
// says so (exact() is false).
class DecimalSum {
 public:
  void add(const DataNumber& n);
  bool exact() const { return exact_; }
  // The sum as JSON number text ("0" before anything was added).
  std::string text() const;
  // The sum as the nearest double.
  double value() const;

 private:
  __int128 units_ = 0;     // the sum times 10^scale_
  int scale_ = 0;
  bool exact_ = true;
  double approx_ = 0;      // kept all along, the answer once exact_ is false
};

// Shortest text that reads back as `v` (JSON has no NaN or infinity: those give "null").
std::string number_text(double v);

}  // namespace eventsd
