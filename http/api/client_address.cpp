#include "http/api/client_address.h"

#include <algorithm>
#include <stdexcept>

namespace eventsd::http {

namespace ip = boost::asio::ip;

namespace {

ip::address unmapped(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// One X-Forwarded-For entry: an address, with a port as some proxies write it
// ("192.0.2.7:4711", "[2001:db8::7]:4711"); nullopt for anything else ("unknown", a name).
std::optional<ip::address> entry_address(std::string_view s) {
  s = trimmed(s);
  if (s.empty() || s.size() > 64) return std::nullopt;
  if (s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    s = s.substr(1, close - 1);
  } else if (const auto colon = s.find(':'); colon != std::string_view::npos && colon == s.rfind(':')) {
    s = s.substr(0, colon);  // IPv4 and a port (an IPv6 address has several colons)
  }
  boost::system::error_code ec;
  const ip::address a = ip::make_address(std::string(s), ec);
  if (ec) return std::nullopt;
  return unmapped(a);
}

std::string key_of(const ip::address& a) {
  if (a.is_v4()) return a.to_string();
  return ip::make_network_v6(a.to_v6(), 64).canonical().to_string();
}

bool in(const ip::address_v6& a, const ip::network_v6& net) {
  const auto bytes = a.to_bytes();
  const auto want = net.network().to_bytes();
  const int prefix = static_cast<int>(net.prefix_length());
  for (int i = 0; i < 16; ++i) {
    const int bits = std::clamp(prefix - 8 * i, 0, 8);
    const unsigned mask = (0xFF00u >> bits) & 0xFFu;
    if ((bytes[i] & mask) != (want[i] & mask)) return false;
  }
  return true;
}

}  // namespace

void TrustedProxies::add(std::string_view cidr) {
  const std::string text(trimmed(cidr));
  const auto slash = text.find('/');
  boost::system::error_code ec;
  const ip::address address = ip::make_address(text.substr(0, slash), ec);
  if (ec) throw std::invalid_argument("'" + text + "' is not an IP address or CIDR network");
  if (address.is_v4()) {
    const ip::network_v4 net = slash == std::string::npos ? ip::network_v4(address.to_v4(), 32) : ip::make_network_v4(text, ec);
    if (ec) throw std::invalid_argument("'" + text + "' is not an IPv4 network (a.b.c.d/0-32)");
    v4_.push_back(net.canonical());
  } else {
    const ip::network_v6 net = slash == std::string::npos ? ip::network_v6(address.to_v6(), 128) : ip::make_network_v6(text, ec);
    if (ec) throw std::invalid_argument("'" + text + "' is not an IPv6 network (address/0-128)");
    v6_.push_back(net.canonical());
  }
}

bool TrustedProxies::contains(const ip::address& address) const {
  const ip::address a = unmapped(address);
  if (a.is_v4()) {
    const auto value = a.to_v4().to_uint();
    return std::any_of(v4_.begin(), v4_.end(), [&](const ip::network_v4& net) {
      return (value & net.netmask().to_uint()) == net.network().to_uint();
    });
  }
  return std::any_of(v6_.begin(), v6_.end(), [&](const ip::network_v6& net) { return in(a.to_v6(), net); });
}

std::string client_address(const RawRequest& raw, const std::optional<ip::address>& peer,
                           const TrustedProxies& trusted) {
  if (!peer) return "unknown";
  ip::address client = unmapped(*peer);
  if (!trusted.contains(client)) return key_of(client);
  // Every entry of every X-Forwarded-For field, in order (RFC 9110 §5.3: fields of one name are
  // one list), read from the right.
  std::vector<std::string_view> entries;
  for (auto [it, end] = raw.equal_range("X-Forwarded-For"); it != end; ++it) {
    std::string_view v = it->value();
    for (std::size_t comma; (comma = v.find(',')) != std::string_view::npos; v.remove_prefix(comma + 1)) {
      entries.push_back(v.substr(0, comma));
    }
    entries.push_back(v);
  }
  for (auto e = entries.rbegin(); e != entries.rend(); ++e) {
    const auto a = entry_address(*e);
    if (!a) break;  // not an address: the last trusted hop is as near the client as can be told
    client = *a;
    if (!trusted.contains(client)) break;
  }
  return key_of(client);
}

}  // namespace eventsd::http
