#!/usr/bin/env bash
# Runs every test, installing first what the tests need and this machine lacks:
# Debian's python3-stomp (an independent STOMP client), npm's @stomp/stompjs, and Debian's chromium
# (the browser tests drive it with Playwright; Playwright never downloads a browser of its own).
set -euo pipefail
cd "$(dirname "$0")"

if ! /usr/bin/python3 -c 'import stomp' 2>/dev/null; then
  echo "Installing python3-stomp (Debian)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq python3-stomp >/dev/null
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "Installing chromium (Debian)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

if [ -f tests/interop/package.json ] && { [ ! -d tests/interop/node_modules/@stomp/stompjs ] || [ ! -d tests/interop/node_modules/ws ]; }; then
  echo "Installing @stomp/stompjs and ws (npm)..."
  (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
fi

dotnet test BrokerConsole.sln -c Release "$@"
