#!/usr/bin/env bash
# Runs every test, installing first what the tests need and this machine lacks:
# Debian's STOMP clients (python3-stomp; php-stomp with php-cli, libnet-stomp-perl, ruby-stomp: the 1.0 clients of
# applications that leave ActiveMQ), npm's @stomp/stompjs, Debian's chromium (the browser tests drive it with
# Playwright; Playwright never downloads a browser of its own) and Debian's postgresql (the database tests start a
# private server of their own with initdb and pg_ctl; the system's cluster is never used).
set -euo pipefail
cd "$(dirname "$0")"

missing=()
/usr/bin/python3 -c 'import stomp' 2>/dev/null || missing+=(python3-stomp)
[ -x /usr/bin/chromium ] || missing+=(chromium)
/usr/bin/php -r 'exit(extension_loaded("stomp") ? 0 : 1);' 2>/dev/null || missing+=(php-cli php-stomp)
/usr/bin/perl -MNet::Stomp -e 1 2>/dev/null || missing+=(libnet-stomp-perl)
/usr/bin/ruby -e 'require "stomp"' 2>/dev/null || missing+=(ruby-stomp)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} (Debian)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

if [ -f tests/interop/package.json ] && { [ ! -d tests/interop/node_modules/@stomp/stompjs ] || [ ! -d tests/interop/node_modules/ws ]; }; then
  echo "Installing @stomp/stompjs and ws (npm)..."
  (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
fi

dotnet test BrokerConsole.sln -c Release "$@"
