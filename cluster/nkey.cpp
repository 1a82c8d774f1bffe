#include "cluster/nkey.h"

#include <sodium.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace eventsd::nats {

namespace {

// The type prefixes of nkeys (each the first base32 character times 8): a seed's byte, then a user's.
constexpr unsigned char kSeedPrefix = 18 << 3;  // 'S'
constexpr unsigned char kUserPrefix = 20 << 3;  // 'U'
constexpr const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

std::uint16_t crc16(std::string_view bytes) {
  std::uint16_t crc = 0;
  for (const char c : bytes) {
    crc ^= static_cast<std::uint16_t>(static_cast<unsigned char>(c) << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = static_cast<std::uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
    }
  }
  return crc;
}

// `bytes` followed by their CRC-16, in base32 without padding.
std::string encode(std::string_view bytes) {
  const std::uint16_t crc = crc16(bytes);
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  auto put = [&](unsigned char c) {
    buffer = (buffer << 8) | c;
    for (bits += 8; bits >= 5; bits -= 5) out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
  };
  for (const char c : bytes) put(static_cast<unsigned char>(c));
  put(static_cast<unsigned char>(crc & 0xff));
  put(static_cast<unsigned char>(crc >> 8));
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

// The bytes `text` encodes, their CRC-16 checked and removed.
std::string decode(std::string_view text) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : text) {
    unsigned value = 0;
    if (c >= 'A' && c <= 'Z') value = static_cast<unsigned>(c - 'A');
    else if (c >= '2' && c <= '7') value = static_cast<unsigned>(c - '2' + 26);
    else throw std::invalid_argument("not an nkey: '" + std::string(1, c) + "' is not a base32 character");
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  if (out.size() < 3) throw std::invalid_argument("not an nkey: too short");
  const auto crc = static_cast<std::uint16_t>(static_cast<unsigned char>(out[out.size() - 2]) |
                                              static_cast<unsigned char>(out.back()) << 8);
  out.resize(out.size() - 2);
  if (crc16(out) != crc) throw std::invalid_argument("not an nkey: its checksum does not match");
  return out;
}

void init_sodium() {
  // sodium_init() is idempotent and thread-safe.
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

}  // namespace

std::string nkey_public_key(std::string_view seed) {
  std::string raw = decode(seed);
  if (raw.size() != 2 + crypto_sign_SEEDBYTES) throw std::invalid_argument("not an nkey seed: wrong length");
  const auto first = static_cast<unsigned char>(raw[0]);
  const auto second = static_cast<unsigned char>(raw[1]);
  if ((first & 0xf8) != kSeedPrefix) throw std::invalid_argument("not an nkey seed (a seed starts with S)");
  const auto type = static_cast<unsigned char>(((first & 0x07) << 5) | ((second & 0xf8) >> 3));
  if (type != kUserPrefix) throw std::invalid_argument("not a user's nkey seed (a user's starts with SU)");
  init_sodium();
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  unsigned char secret_key[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(public_key, secret_key, reinterpret_cast<const unsigned char*>(raw.data() + 2));
  sodium_memzero(secret_key, sizeof secret_key);
  sodium_memzero(raw.data(), raw.size());
  std::string bytes(1, static_cast<char>(kUserPrefix));
  bytes.append(reinterpret_cast<const char*>(public_key), sizeof public_key);
  return encode(bytes);
}

UserNkey new_user_nkey() {
  init_sodium();
  std::string bytes(2 + crypto_sign_SEEDBYTES, '\0');
  bytes[0] = static_cast<char>(kSeedPrefix | (kUserPrefix >> 5));
  bytes[1] = static_cast<char>((kUserPrefix & 31) << 3);
  randombytes_buf(bytes.data() + 2, crypto_sign_SEEDBYTES);
  UserNkey key;
  key.seed = encode(bytes);
  sodium_memzero(bytes.data(), bytes.size());
  key.public_key = nkey_public_key(key.seed);
  return key;
}

}  // namespace eventsd::nats
