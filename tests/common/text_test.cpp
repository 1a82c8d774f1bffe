// Which characters an operator must never receive raw (common/text.h).
#include <gtest/gtest.h>

#include "common/text.h"

namespace eventsd {
namespace {

TEST(Text, ControlCharactersAreC0DelC1AndTheBidiControls) {
  for (char32_t c : {U'\0', U'\t', U'\n', U'\x1b', U'\x1f', U'\x7f', U'\x80', U'\x85', U'\x9b', U'\x9f', U'\u202a',
                     U'\u202e', U'\u2066', U'\u2069'}) {
    EXPECT_TRUE(is_control_character(c)) << static_cast<unsigned>(c);
  }
  for (char32_t c : {U' ', U'~', U'\xa0', U'\xe9', U'\u2029', U'\u202f', U'\u2065', U'\u206a', U'\U0001F600'}) {
    EXPECT_FALSE(is_control_character(c)) << static_cast<unsigned>(c);
  }
}

TEST(Text, FindsControlsInUtf8AndBytesThatAreNotUtf8) {
  EXPECT_FALSE(has_control_characters(""));
  EXPECT_FALSE(has_control_characters("https://shop.example"));
  EXPECT_FALSE(has_control_characters("été \xF0\x9F\x98\x80 日本"));
  EXPECT_TRUE(has_control_characters("http://[\x1b[31m]"));
  EXPECT_TRUE(has_control_characters("a\tb"));
  EXPECT_TRUE(has_control_characters("a\nb"));
  EXPECT_TRUE(has_control_characters("a\x7f"));
  EXPECT_TRUE(has_control_characters("a\xC2\x9B" "31m"));        // U+009B, the C1 CSI, as UTF-8
  EXPECT_TRUE(has_control_characters("abc\xE2\x80\xAE" "cba"));  // U+202E RIGHT-TO-LEFT OVERRIDE
  EXPECT_TRUE(has_control_characters("\xE2\x81\xA6x"));          // U+2066 LEFT-TO-RIGHT ISOLATE
  EXPECT_TRUE(has_control_characters("a\x9b" "31m"));            // a lone byte: not UTF-8
  EXPECT_TRUE(has_control_characters("\xC3"));                   // cut short
  EXPECT_TRUE(has_control_characters("\xC0\xAF"));               // overlong
  EXPECT_TRUE(has_control_characters("\xED\xA0\x80"));           // a surrogate
}

TEST(Text, DecodesWellFormedUtf8) {
  EXPECT_EQ(decode_utf8("A", 0).value, U'A');
  EXPECT_EQ(decode_utf8("\xC3\xA9", 0).value, U'\xe9');
  EXPECT_EQ(decode_utf8("\xC3\xA9", 0).length, 2u);
  EXPECT_EQ(decode_utf8("\xE2\x80\xAE", 0).value, U'\u202e');
  EXPECT_EQ(decode_utf8("x\xF0\x9F\x98\x80", 1).value, U'\U0001F600');
  EXPECT_EQ(decode_utf8("x\xF0\x9F\x98\x80", 1).length, 4u);
  EXPECT_EQ(decode_utf8("\xF4\x90\x80\x80", 0).length, 0u);  // beyond U+10FFFF
  EXPECT_EQ(decode_utf8("\x80", 0).length, 0u);
}

}  // namespace
}  // namespace eventsd
