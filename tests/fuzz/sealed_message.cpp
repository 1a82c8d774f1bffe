// What a node reads from NATS before it acts on it (cluster/seal.h): the seal on a forwarded
// request's first line, a key-value value's seal after its last newline, a system-log message's
// body. Anyone on the bus can send these bytes.
//
// Input: one byte choosing what the rest is, then the bytes. For any input, opening never throws
// and never accepts a seal this key did not make over these bytes in this context; a seal this
// key makes over the input opens, says who made it and when, and no longer opens once one byte
// of the seal or the sealed bytes changes; a system-log body decodes only to changes that
// encode back to the same bytes.
#include <cstdint>
#include <string>
#include <variant>

#include "cluster/forward.h"
#include "cluster/seal.h"
#include "cluster/system_log.h"
#include "common/clock.h"
#include "tests/fuzz/checks.h"

namespace {

using namespace eventsd;
using fuzz::check;

const ClusterKey& key() {
  static const ClusterKey k("the fuzz target's cluster key, 32 bytes or more", system_clock());
  return k;
}

bool opens(std::string_view context, std::string_view seal, std::string_view bytes) {
  return std::holds_alternative<SealInfo>(key().open(context, seal, {bytes}));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const unsigned choice = data[0] % 4;
  const std::string_view rest = fuzz::as_text(data + 1, size - 1);
  switch (choice) {
    case 0: {  // a forwarded request as it arrives: seal, newline, HTTP bytes
      if (auto parts = http::split_sealed(rest)) {
        check(!opens("forward/node-a", parts->first, parts->second), "a seal not made by this key opened");
      }
      break;
    }
    case 1: {  // a key-value value: the value, newline, seal
      const auto newline = rest.rfind('\n');
      if (newline != std::string_view::npos) {
        check(!opens("kv/eventsd_owners/s0", rest.substr(newline + 1), rest.substr(0, newline)),
              "a seal not made by this key opened");
      }
      break;
    }
    case 2: {  // a seal made here: opens, and a change to one byte of it or of its bytes does not
      const std::int64_t at = static_cast<std::int64_t>(size) * 1'000'003;
      const std::string seal = key().seal_at("ctx", "node-a", at, {rest});
      const auto opened = key().open("ctx", seal, {rest});
      check(std::holds_alternative<SealInfo>(opened), "a seal made by this key did not open", seal);
      check(std::get<SealInfo>(opened).node == "node-a" && std::get<SealInfo>(opened).at == at,
            "a seal opened to another node or time", seal);
      check(!opens("ctx2", seal, rest), "a seal opened in another context", seal);
      std::string changed_seal = seal;
      changed_seal[size % changed_seal.size()] ^= 0x01;
      check(!opens("ctx", changed_seal, rest), "a changed seal opened", changed_seal);
      if (!rest.empty()) {
        std::string changed(rest);
        changed[size % changed.size()] ^= 0x20;
        check(!opens("ctx", seal, changed), "a seal opened over changed bytes", changed);
      }
      break;
    }
    default: {  // a system-log body
      try {
        const auto changes = decode_system_changes(rest);
        check(encode_system_changes(changes) == rest, "a system message does not encode back to its bytes");
      } catch (const std::invalid_argument&) {
      }
      break;
    }
  }
  return 0;
}
