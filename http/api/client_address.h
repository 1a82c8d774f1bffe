// Who the client is, for the limits kept per client address (docs/api.md "Client addresses"):
// the TCP peer, unless the peer is a proxy the operator trusts (eventsd --trusted-proxies); then
// X-Forwarded-For says, read from the right — each trusted proxy appends the address it was
// reached from — up to the first entry that is not itself a trusted proxy. Anything a client
// writes into the header before that is never read, so a client cannot choose its own address.
// Thread safety: TrustedProxies is immutable once built and read from any thread; the functions
// are pure.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/server/message.h"

namespace eventsd::http {

class TrustedProxies {
 public:
  // Adds a network: an IPv4 or IPv6 CIDR ("10.0.0.0/8", "2001:db8::/32"), or one address.
  // Throws std::invalid_argument saying why it is not one.
  void add(std::string_view cidr);
  // Whether `address` (an IPv4-mapped IPv6 address as its IPv4 address) is in one of them.
  bool contains(const boost::asio::ip::address& address) const;
  bool empty() const { return v4_.empty() && v6_.empty(); }

 private:
  std::vector<boost::asio::ip::network_v4> v4_;
  std::vector<boost::asio::ip::network_v6> v6_;
};

// The client's address as per-address limits key it: its text for IPv4, its /64 for IPv6 (one
// host may hold a whole /64: "2001:db8:1:2::/64"). `peer` is the TCP peer; nullopt only for a
// request handed to the router in process without one, which is keyed as "unknown".
std::string client_address(const RawRequest& raw, const std::optional<boost::asio::ip::address>& peer,
                           const TrustedProxies& trusted);

}  // namespace eventsd::http
