#!/usr/bin/env bash
# Installs, from Debian 12's packages, whatever timecontrol needs to build,
# test and benchmark that is not installed yet; with --tests also what only
# the tests use (a browser, promtool). Safe to run again: it installs
# nothing when everything is there. Needs root (or sudo).
#   scripts/install-deps.sh [--tests]
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache pkg-config
  libcaf-dev          # C++ Actor Framework 0.17.6 (core, io, openssl)
  libssl-dev          # OpenSSL 3: nodes' TLS files checked before CAF uses them
  openssl             # the node tests make their certificates with it
  librocksdb-dev      # RocksDB 7.8.3
  libboost-test-dev   # Boost.Test 1.74
  libbenchmark-dev    # Google Benchmark 1.7.1
  libsqlite3-dev      # the SQLite baseline of the benchmarks
  libcli11-dev        # command-line parsing of the timecontrol program
  nlohmann-json3-dev  # JSON of the timecontrol program and the dashboard
  libcpp-httplib-dev  # the dashboard's HTTP server (timecontrol::http, serve)
  libhowardhinnant-date-dev  # date/tz: IANA time zones of cron triggers
  clang               # libFuzzer targets
  libclang-rt-14-dev  # the fuzzer and sanitizer runtimes for clang
  libxml2-utils       # xmllint: the plot tests check the SVG is well-formed
)

# Only for the tests of `timecontrol serve`: an HTTP client, the dashboard in
# a real browser (headless, over WebDriver), and Prometheus' checker of the
# metrics' format (promtool, in the prometheus package; its server is not
# started, see below).
test_packages=(curl chromium chromium-driver prometheus)
if [[ ${1:-} == --tests ]]; then
  packages+=("${test_packages[@]}")
fi

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
# Installing prometheus would start its server: policy-rc.d (Debian's switch
# for package scripts) keeps every service from starting during the
# install, when no such policy is in place already.
policy=/usr/sbin/policy-rc.d
made_policy=false
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  made_policy=true
fi
status=0
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
  >/dev/null || status=$?
if $made_policy; then
  $sudo rm -f "$policy"
fi
exit $status
