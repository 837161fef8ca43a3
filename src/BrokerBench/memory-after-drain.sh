#!/usr/bin/env bash
# Resident memory of our host around a backlog: idle, COUNT x 1 KiB persistent messages queued, right after they are
# drained, and 15 and 30 s later; then the largest anonymous mappings and the host's "memory returned" log lines.
#
#   src/BrokerBench/memory-after-drain.sh [COUNT]     (default 100000; needs a Release build of the host and BrokerBench)
#
# HOSTENV='DOTNET_gcServer=1' (or any VAR=value list) starts the host with those variables, to compare GC settings.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
COUNT="${1:-100000}"
D="$(mktemp -d /tmp/memory-after-drain.XXXXXX)"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HTTP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
env ${HOSTENV:-} dotnet "$ROOT/src/BrokerConsole/bin/Release/net10.0/BrokerConsole.dll" --urls="http://127.0.0.1:$HTTP" \
  "--Brokers:amq1M:Connectors:0=tcp://127.0.0.1:$PORT" "--Brokers:amq1M:DataDirectory=$D/data" "--Logging:Directory=$D/logs" >"$D/console.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$D"' EXIT
for _ in $(seq 1 150); do (echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.2; done
rss() { echo "$1: VmRSS $(( $(awk '/^VmRSS/{print $2}' /proc/$PID/status) / 1024 )) MiB ($(grep -E 'RssAnon|RssFile' /proc/$PID/status | tr -s ' \t' ' ' | tr '\n' ' '))"; }
BENCH="dotnet $ROOT/src/BrokerBench/bin/Release/net10.0/BrokerBench.dll"
sleep 3; rss idle
$BENCH fill --port "$PORT" --destination /queue/backlog --count "$COUNT" --size 1024
sleep 2; rss queued
$BENCH drain --port "$PORT" --destination /queue/backlog --count "$COUNT" --idle-timeout 30
rss drained; sleep 15; rss "drained + 15 s"; sleep 15; rss "drained + 30 s"
echo "largest anonymous mappings (MiB):"
awk '/^[0-9a-f]+-/{name=$6} /^Rss:/{if ($2 > 20000 && name == "") printf "  %.0f\n", $2/1024}' /proc/$PID/smaps | sort -rn | head -5
grep -h "memory returned" "$D"/logs/* | cut -c1-200
