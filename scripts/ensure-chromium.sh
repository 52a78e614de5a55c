#!/usr/bin/env bash
# Makes sure a Chromium binary is on PATH and prints its path.
# The browser comes from the distribution's packages (Debian: `chromium`), never from a
# tool that downloads its own browser build (those downloads fail on our machines).
# As root it installs the package; otherwise it says what to install and fails.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "ensure-chromium: installing the Debian package chromium" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends chromium >&2
  else
    echo "ensure-chromium: no chromium on PATH; install it with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi
command -v chromium
