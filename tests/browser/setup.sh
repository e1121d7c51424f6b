#!/usr/bin/env bash
# Install what the browser tests need: a Chromium (Debian's, unless one is already there or
# CHROMIUM_PATH names one), Java for the Nu validator, and the pinned npm tools (axe-core, vnu-jar).
set -euo pipefail
cd "$(dirname "$0")"

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}

if [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null \
    && ! command -v google-chrome >/dev/null; then
  apt_install chromium
fi
command -v java >/dev/null || apt_install default-jre-headless
command -v npm >/dev/null || apt_install npm

# --ignore-scripts: vnu-jar's postinstall would download a Java runtime; the machine's java is used.
(cd node && npm ci --ignore-scripts --no-audit --no-fund)
