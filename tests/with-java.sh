#!/usr/bin/env bash
# Make sure a Java runtime (17 or newer: Spark 4 needs it) is here for the Spark test: installs Debian's
# OpenJDK 17 with apt-get when missing and we are root. When it cannot: fails under CI=true, else says so
# (the Spark test then skips).
set -uo pipefail
java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
if command -v java >/dev/null 2>&1 && [ "$(java_major)" -ge 17 ] 2>/dev/null; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing Debian's OpenJDK 17 for the Spark test"
  if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null); then
    exit 0
  fi
fi
if [ "${CI:-}" = "true" ]; then
  echo "!!! Java 17 is required for the Spark test and could not be installed" >&2
  exit 1
fi
echo "!!! no Java 17: the Spark test will be skipped" >&2
exit 0
