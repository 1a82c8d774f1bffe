// Whose address the per-address limits count (http/api/client_address.h): the TCP peer, unless it
// is a trusted proxy; then X-Forwarded-For read from the right, past the trusted proxies only.
#include <gtest/gtest.h>

#include <stdexcept>

#include "http/api/client_address.h"

namespace eventsd::http {
namespace {

namespace ip = boost::asio::ip;

RawRequest with_forwarded(std::initializer_list<const char*> fields) {
  RawRequest raw;
  for (const char* f : fields) raw.insert("X-Forwarded-For", f);
  return raw;
}

std::string client(const RawRequest& raw, const char* peer, const TrustedProxies& trusted) {
  return client_address(raw, ip::make_address(peer), trusted);
}

TrustedProxies proxies(std::initializer_list<const char*> cidrs) {
  TrustedProxies t;
  for (const char* c : cidrs) t.add(c);
  return t;
}

TEST(ClientAddress, WithoutTrustedProxiesThePeerWhateverTheHeaderSays) {
  const TrustedProxies none;
  EXPECT_EQ(client(with_forwarded({"203.0.113.7"}), "192.0.2.10", none), "192.0.2.10");
  EXPECT_EQ(client(with_forwarded({}), "192.0.2.10", none), "192.0.2.10");
  EXPECT_EQ(client(with_forwarded({"203.0.113.7"}), "127.0.0.1", none), "127.0.0.1");
}

TEST(ClientAddress, FromAnUntrustedPeerTheHeaderIsIgnored) {
  const auto trusted = proxies({"10.0.0.0/8"});
  EXPECT_EQ(client(with_forwarded({"203.0.113.7"}), "192.0.2.10", trusted), "192.0.2.10");
}

TEST(ClientAddress, FromATrustedProxyTheRightMostEntryThatIsNotOne) {
  const auto trusted = proxies({"10.0.0.0/8", "2001:db8:ffff::/48"});
  // The proxy appended the client; what the client wrote before is not read.
  EXPECT_EQ(client(with_forwarded({"198.51.100.1, 203.0.113.7"}), "10.1.2.3", trusted), "203.0.113.7");
  // A chain of trusted proxies is walked past; fields of one name are one list.
  EXPECT_EQ(client(with_forwarded({"198.51.100.1, 203.0.113.7", "10.9.9.9"}), "10.1.2.3", trusted), "203.0.113.7");
  EXPECT_EQ(client(with_forwarded({"203.0.113.7,10.0.0.5,2001:db8:ffff::1"}), "10.1.2.3", trusted), "203.0.113.7");
  // Ports, as some proxies write them.
  EXPECT_EQ(client(with_forwarded({"203.0.113.7:4711"}), "10.1.2.3", trusted), "203.0.113.7");
  EXPECT_EQ(client(with_forwarded({"[2001:db8:1:2::7]:4711"}), "10.1.2.3", trusted), "2001:db8:1:2::/64");
  // No header, or only trusted hops: the nearest hop known is the client.
  EXPECT_EQ(client(with_forwarded({}), "10.1.2.3", trusted), "10.1.2.3");
  EXPECT_EQ(client(with_forwarded({"10.0.0.7, 10.0.0.8"}), "10.1.2.3", trusted), "10.0.0.7");
  // Not an address: the walk stops at the last trusted hop, never believing what is beyond.
  EXPECT_EQ(client(with_forwarded({"203.0.113.7, unknown"}), "10.1.2.3", trusted), "10.1.2.3");
  EXPECT_EQ(client(with_forwarded({"203.0.113.7, unknown, 10.0.0.8"}), "10.1.2.3", trusted), "10.0.0.8");
}

TEST(ClientAddress, IPv6ClientsAreTheirSlash64AndMappedPeersIPv4) {
  const auto trusted = proxies({"127.0.0.1", "::1"});
  EXPECT_EQ(client(with_forwarded({}), "2001:db8:1:2:aaaa::1", trusted), "2001:db8:1:2::/64");
  EXPECT_EQ(client(with_forwarded({}), "2001:db8:1:2:bbbb::9", trusted), "2001:db8:1:2::/64");
  EXPECT_EQ(client(with_forwarded({"192.0.2.5"}), "::ffff:127.0.0.1", trusted), "192.0.2.5");
  EXPECT_EQ(client(with_forwarded({"192.0.2.5"}), "::1", trusted), "192.0.2.5");
  EXPECT_EQ(client_address(with_forwarded({"192.0.2.5"}), std::nullopt, trusted), "unknown");
}

TEST(TrustedProxies, NetworksAndAddressesOfBothFamilies) {
  const auto t = proxies({"10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::1", "172.16.5.4/12"});
  EXPECT_TRUE(t.contains(ip::make_address("10.255.0.1")));
  EXPECT_FALSE(t.contains(ip::make_address("11.0.0.1")));
  EXPECT_TRUE(t.contains(ip::make_address("192.0.2.7")));
  EXPECT_FALSE(t.contains(ip::make_address("192.0.2.8")));
  EXPECT_TRUE(t.contains(ip::make_address("2001:db8:abcd::1")));
  EXPECT_FALSE(t.contains(ip::make_address("2001:db9::1")));
  EXPECT_TRUE(t.contains(ip::make_address("::1")));
  EXPECT_TRUE(t.contains(ip::make_address("::ffff:10.1.1.1")));
  EXPECT_TRUE(t.contains(ip::make_address("172.31.0.1"))) << "host bits in a CIDR are ignored";
  EXPECT_FALSE(TrustedProxies().contains(ip::make_address("127.0.0.1")));
  for (const char* bad : {"", "10.0.0.0/33", "2001:db8::/129", "proxy.example", "10.0.0.0/x", "10.0.0"}) {
    EXPECT_THROW(TrustedProxies().add(bad), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace eventsd::http
