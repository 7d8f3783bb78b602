#!/usr/bin/env bash
# Make sure Node (16 or newer) and OpenSSL 3 are here for the receipt test, which verifies a consent receipt with
# them as a bank would (tests/consent/test_receipts.py): installs Debian's nodejs and openssl with apt-get when
# missing and we are root. When it cannot: fails under CI=true, else says so (that test then skips).
set -uo pipefail
node_major() { node --version 2>/dev/null | sed -n 's/^v\([0-9]*\)\..*/\1/p'; }
openssl_major() { openssl version 2>/dev/null | sed -n 's/^OpenSSL \([0-9]*\)\..*/\1/p'; }
usable() { [ "$(node_major)" -ge 16 ] 2>/dev/null && [ "$(openssl_major)" -ge 3 ] 2>/dev/null; }
if usable; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing Debian's nodejs and openssl for the receipt test"
  if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs openssl >/dev/null) && usable; then
    exit 0
  fi
fi
if [ "${CI:-}" = "true" ]; then
  echo "!!! Node 16+ and OpenSSL 3 are required for the receipt test and could not be installed" >&2
  exit 1
fi
echo "!!! no Node 16+ or no OpenSSL 3: the receipt test will be skipped" >&2
exit 0
