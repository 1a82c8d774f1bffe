// What eventctl prints of stored text (tools/terminal_text.h): never a raw control character.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "common/text.h"
#include "tools/terminal_text.h"

namespace eventsd::cli {
namespace {

TEST(Printable, EscapesControlsAndKeepsTheRest) {
  EXPECT_EQ(printable("https://shop.example"), "https://shop.example");
  EXPECT_EQ(printable("été 日本 \xF0\x9F\x98\x80"), "été 日本 \xF0\x9F\x98\x80");
  EXPECT_EQ(printable("http://[\x1b[31m\t\nacme\ttok_forged]"), "http://[\\x1B[31m\\x09\\x0Aacme\\x09tok_forged]");
  EXPECT_EQ(printable("a\x7f" "b\x01"), "a\\x7Fb\\x01");
  EXPECT_EQ(printable("a\xC2\x9B" "31m"), "a\\u{009B}31m");         // C1 CSI
  EXPECT_EQ(printable("abc\xE2\x80\xAE" "cba"), "abc\\u{202E}cba");  // RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(printable("\xE2\x81\xA9"), "\\u{2069}");
  EXPECT_EQ(printable("a\x9b" "b\xff"), "a\\x9Bb\\xFF");             // bytes that are not UTF-8
  // A backslash is doubled, so that the text "\x1B" never reads as an escaped ESC.
  EXPECT_EQ(printable("C:\\x1B"), "C:\\\\x1B");
}

TEST(Printable, NothingEscapedIsAControlCharacter) {
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte.push_back(static_cast<char>(c));
  every_byte += "\xC2\x85\xE2\x80\xAA\xE2\x81\xA8";
  EXPECT_FALSE(has_control_characters(printable(every_byte)));
  EXPECT_FALSE(has_control_characters(printable_json(every_byte)));
}

TEST(PrintableJson, StaysJsonWithTheSameValues) {
  // Raw DEL, C1 and bidi controls (JSON lets them be written as they are), and a byte that is not UTF-8.
  const std::string line = "{\"event\":\"a\x7f\xC2\x9B\xE2\x80\xAE\",\"data\":{\"k\\n\":\"\\u001b[31m\"}}";
  const std::string out = printable_json(line);
  EXPECT_EQ(out, R"({"event":"a\u007f\u009b\u202e","data":{"k\n":"\u001b[31m"}})");
  EXPECT_FALSE(has_control_characters(out));
  EXPECT_EQ(boost::json::parse(out), boost::json::parse(line));
  EXPECT_EQ(printable_json("\"\xFF\""), "\"\\ufffd\"");
}

}  // namespace
}  // namespace eventsd::cli
