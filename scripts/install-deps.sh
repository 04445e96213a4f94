#!/usr/bin/env bash
# Installs, from Debian 12's packages, whatever timecontrol needs to build,
# test and benchmark that is not installed yet. Safe to run again: it installs
# nothing when everything is there. Needs root (or sudo).
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache pkg-config
  libcaf-dev          # C++ Actor Framework 0.17.6
  librocksdb-dev      # RocksDB 7.8.3
  libboost-test-dev   # Boost.Test 1.74
  libbenchmark-dev    # Google Benchmark 1.7.1
  libsqlite3-dev      # the SQLite baseline of the benchmarks
  libcli11-dev        # command-line parsing of the timecontrol program
  nlohmann-json3-dev  # JSON output of the timecontrol program
  libcpp-httplib-dev  # the HTTP server of timecontrol serve
  curl                # the serve tests' HTTP client
  libhowardhinnant-date-dev  # date/tz: IANA time zones of cron triggers
  clang               # libFuzzer targets
  libclang-rt-14-dev  # the fuzzer and sanitizer runtimes for clang
  libxml2-utils       # xmllint: the plot tests check the SVG is well-formed
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || {
    echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
