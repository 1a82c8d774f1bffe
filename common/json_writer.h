// A small streaming JSON writer that appends to a std::string. Commas are placed automatically;
// strings are escaped per RFC 8259; raw() splices text that is already JSON (stored event data).
// Misuse (a value where a key is due) is a programming error and is not checked.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace eventsd {

void append_json_string(std::string& out, std::string_view s);

// Whether `s` is well-formed UTF-8 (RFC 3629), and a copy of it with U+FFFD for each byte that
// is not part of a well-formed sequence (what append_json_string writes for such bytes).
bool valid_utf8(std::string_view s);
std::string to_valid_utf8(std::string_view s);

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }

  JsonWriter& key(std::string_view k) {
    comma();
    append_json_string(out_, k);
    out_.push_back(':');
    after_key_ = true;
    return *this;
  }
  JsonWriter& string(std::string_view s) {
    comma();
    append_json_string(out_, s);
    return *this;
  }
  JsonWriter& number(std::int64_t v) { return raw(std::to_string(v)); }
  JsonWriter& number(std::uint64_t v) { return raw(std::to_string(v)); }
  JsonWriter& number(int v) { return number(static_cast<std::int64_t>(v)); }
  JsonWriter& number(unsigned v) { return number(static_cast<std::uint64_t>(v)); }
  JsonWriter& boolean(bool v) { return raw(v ? "true" : "false"); }
  JsonWriter& null() { return raw("null"); }
  JsonWriter& raw(std::string_view json) {
    comma();
    out_.append(json);
    return *this;
  }
  template <class T>
  JsonWriter& optional_string(const T& maybe) {
    return maybe ? string(*maybe) : null();
  }

 private:
  void comma() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_.empty()) {
      if (!first_.back()) out_.push_back(',');
      first_.back() = false;
    }
  }
  JsonWriter& open(char c) {
    comma();
    out_.push_back(c);
    first_.push_back(true);
    return *this;
  }
  JsonWriter& close(char c) {
    out_.push_back(c);
    first_.pop_back();
    return *this;
  }

  std::string& out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace eventsd
