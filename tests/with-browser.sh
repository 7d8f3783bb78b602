#!/usr/bin/env bash
# Make sure Debian's Chromium (and a CJK font, so screenshots show Chinese) is here for the browser tests:
# installs them with apt-get when missing and we are root. When it cannot: fails under CI=true, else says so
# (the browser tests then skip).
set -uo pipefail
if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi -e wqy -e noto.*cjk; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing Debian's chromium and a CJK font for the browser tests"
  if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null); then
    exit 0
  fi
fi
if [ "${CI:-}" = "true" ]; then
  echo "!!! Chromium is required for the browser tests and could not be installed" >&2
  exit 1
fi
command -v chromium >/dev/null 2>&1 || echo "!!! no Chromium: the browser tests will be skipped" >&2
exit 0
