// The system log's message encoding (cluster/system_log.h).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cluster/system_log.h"

namespace eventsd {
namespace {

TEST(SystemChanges, EncodeDecodeRoundTrip) {
  const std::vector<SystemChange> changes = {
      {"tokens", std::string("\x00\xff key", 6), std::string(300, 'v')},
      {"sessions", "gone", std::nullopt},
      {"users", "", std::string()},  // an empty key and an empty value are still a put
  };
  const std::string bytes = encode_system_changes(changes);
  EXPECT_EQ(bytes[0], 1);  // the format
  EXPECT_EQ(decode_system_changes(bytes), changes);
  EXPECT_TRUE(decode_system_changes(encode_system_changes({})).empty());
}

TEST(SystemChanges, MalformedMessagesAreRefused) {
  const std::string good = encode_system_changes({{"tokens", "k", "v"}, {"users", "u", std::nullopt}});
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_THROW(decode_system_changes(good.substr(0, n)), std::invalid_argument) << "prefix " << n;
  }
  EXPECT_THROW(decode_system_changes(good + "x"), std::invalid_argument);
  std::string other_format = good;
  other_format[0] = 2;
  EXPECT_THROW(decode_system_changes(other_format), std::invalid_argument);
  std::string bad_op = encode_system_changes({{"t", "k", std::nullopt}});
  bad_op[4] = 7;  // format, count, name length, name, op
  EXPECT_THROW(decode_system_changes(bad_op), std::invalid_argument);
  // A count far beyond the bytes that follow is refused before anything is allocated for it.
  EXPECT_THROW(decode_system_changes(std::string("\x01\xff\xff\xff\xff\x0f", 6)), std::invalid_argument);
  EXPECT_THROW(decode_system_changes(std::string("\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12)),
               std::invalid_argument);
  // One meaning, one form: a count of zero written in two bytes, or with bits beyond 64, is not
  // a message put_varint could have written.
  EXPECT_THROW(decode_system_changes(std::string("\x01\x80\x00", 3)), std::invalid_argument);
  EXPECT_THROW(decode_system_changes(std::string("\x01\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02", 11)),
               std::invalid_argument);
}

TEST(SystemChanges, LargeLengthsRoundTripAtTheirVarintBoundaries) {
  for (const std::size_t n : {127u, 128u, 16383u, 16384u}) {
    const std::vector<SystemChange> changes{{"tokens", std::string(n, 'k'), std::string(n, 'v')}};
    EXPECT_EQ(decode_system_changes(encode_system_changes(changes)), changes) << n;
  }
}

}  // namespace
}  // namespace eventsd
