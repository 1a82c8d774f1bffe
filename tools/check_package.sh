#!/usr/bin/env bash
# Builds the Debian package in a build tree (the README's step: cmake --build BUILD --target deb)
# and checks it as an installer would see it, without installing anything and without systemd
# running as PID 1:
#   - dpkg-deb -c lists the programs, their man pages, the unit and its defaults file;
#   - lintian reports no error;
#   - systemd-analyze verify accepts the unit, read from a root made of the package's files and
#     this machine's systemd units (any complaint fails the check, not only fatal ones);
#   - the unpacked programs print their version, and the unpacked eventsd starts, answers
#     /healthz and /metrics (with its build info), and stops cleanly on SIGTERM.
# Usage: tools/check_package.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/check_lib.sh
build=$(realpath "${1:-build}")

version=$(sed -n 's/^project(eventsd VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
arch=$(dpkg --print-architecture)
deb="$build/eventsd_${version}_${arch}.deb"
rm -f "$deb"
cmake --build "$build" --target deb >/dev/null
[[ -f $deb ]] || fail "the deb target made no $deb"
echo "check_package: $deb"

contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/eventsd ./usr/bin/eventctl ./usr/share/man/man1/eventsd.1.gz \
         ./usr/share/man/man1/eventctl.1.gz ./lib/systemd/system/eventsd.service ./etc/default/eventsd \
         ./usr/share/doc/eventsd/copyright ./usr/share/doc/eventsd/changelog.gz; do
  grep -qE " ${f//./\\.}\$" <<<"$contents" || fail "the package lacks $f"
done

lintian --fail-on error "$deb" || fail "lintian found errors"

make_scratch
dpkg-deb -x "$deb" "$scratch/root"

# The unit, as systemd would load it on a machine where the package is installed.
mkdir -p "$scratch/root/lib/systemd/system"
cp -an /lib/systemd/system/. "$scratch/root/lib/systemd/system/"
complaints=$(systemd-analyze --man=no --root="$scratch/root" verify /lib/systemd/system/eventsd.service 2>&1) ||
  fail "systemd-analyze verify refused the unit: $complaints"
[[ -z $complaints ]] || fail "systemd-analyze verify: $complaints"

for program in eventsd eventctl; do
  out=$("$scratch/root/usr/bin/$program" --version)
  [[ $out == "$program $version (revision "* ]] || fail "$program --version said: $out"
done

mkdir "$scratch/data"
coproc SERVER { exec "$scratch/root/usr/bin/eventsd" --data "$scratch/data" --listen 127.0.0.1:0 2>"$scratch/err"; }
server=$SERVER_PID
# Its first line says where it listens.
read -r -t 60 line <&"${SERVER[0]}" || fail "eventsd said nothing: $(cat "$scratch/err")"
port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' <<<"$line")
[[ -n $port ]] || fail "eventsd said: $line"
health=$(curl -fsS "http://127.0.0.1:$port/healthz") || fail "no answer from /healthz"
[[ $health == '{"status":"ok"}' ]] || fail "/healthz answered $health"
curl -fsS "http://127.0.0.1:$port/metrics" | grep -q "^eventsd_build_info{version=\"$version\"" ||
  fail "/metrics has no eventsd_build_info"
stop_server
echo "check_package: ok (files, lintian, systemd-analyze verify, --version, /healthz, SIGTERM)"
