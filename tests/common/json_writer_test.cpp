// The JSON writer (common/json_writer.h).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "common/json_writer.h"

namespace eventsd {
namespace {

TEST(JsonWriter, EscapesAndAlwaysWritesValidUtf8) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("plain").string("a\"b\\c\n\t\x01");
  w.key("utf8").string("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  w.key("broken").string("x\xFFy\xC3");         // invalid bytes and a cut sequence
  w.key("surrogate").string("\xED\xA0\x80z");   // UTF-16 surrogates are not UTF-8
  w.key("list").begin_array().number(1).boolean(false).null().raw(R"({"k":[1]})").end_array();
  w.end_object();
  auto v = boost::json::parse(out);  // throws if the output is not JSON
  EXPECT_EQ(v.at("plain"), "a\"b\\c\n\t\x01");
  EXPECT_EQ(v.at("utf8"), "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(v.at("broken"), "x\xEF\xBF\xBDy\xEF\xBF\xBD");
  EXPECT_EQ(v.at("surrogate"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDz");
  EXPECT_EQ(v.at("list"), boost::json::parse(R"([1,false,null,{"k":[1]}])"));
}

}  // namespace
}  // namespace eventsd
