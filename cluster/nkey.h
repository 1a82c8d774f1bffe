// NATS nkeys of users (docs/cluster.md, "Securing NATS"): an Ed25519 key pair written as NATS
// writes it — a one-byte type prefix (two bytes for a seed), the 32 key bytes and a CRC-16
// (XMODEM, little-endian), in base32 (RFC 4648, no padding). A user's seed starts "SU", its
// public key "U". cnats signs with the seed (natsOptions_SetNKeyFromSeed) but wants the public
// key given beside it: nkey_public_key derives it. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace eventsd::nats {

// The public key ("U...", 56 characters) of a user's seed ("SU...", 58 characters). Throws
// std::invalid_argument, saying what is wrong, for anything else (another kind of key, a bad
// checksum, not base32).
std::string nkey_public_key(std::string_view seed);

// A new user nkey from the operating system's CSPRNG (what `nk -gen user -pubout` makes).
struct UserNkey {
  std::string seed;        // "SU...": the secret, for --nats-nkey-seed's file
  std::string public_key;  // "U...": for the servers' configuration
};
UserNkey new_user_nkey();

}  // namespace eventsd::nats
