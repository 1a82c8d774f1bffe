#!/usr/bin/env bash
# Installs the Debian packages eventsd needs, if any are missing. Idempotent; needs root (or sudo)
# only when something has to be installed.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  ccache  # tools/test.sh's three builds keep their objects from one run to the next
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  liblmdb-dev lmdb-utils capnproto libcapnp-dev libssl-dev zlib1g-dev
  libgtest-dev libbenchmark-dev
  libhowardhinnant-date-dev tzdata  # time zones of aggregates (date/tz.h over the system tzdata)
  libcli11-dev  # the command lines of eventsd and eventctl (common/flags.h)
  curl xxd  # the README's examples, reading the log by hand (docs/log-format.md)
  libsodium-dev libargon2-dev  # Argon2id password hashes of console users, and checking them
  chromium chromium-driver python3-selenium  # browser tests (tests/browser/)
  python3 python3-yaml python3-jsonschema  # the contract test (tests/contract)
  dpkg-dev file help2man lintian systemd  # the Debian package and its checks (tools/check_package.sh)
  clang libfuzzer-14-dev libclang-rt-14-dev  # fuzz targets (tests/fuzz, tools/fuzz.sh)
  nats-server libnats-dev  # cluster mode (docs/cluster.md): the NATS C client, and servers for its tests
  openssl  # test certificates for NATS over TLS (tests/support/nats_pki.h)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
