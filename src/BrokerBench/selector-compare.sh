#!/usr/bin/env bash
# #13's selector speed beside ActiveMQ, in one sitting: `BrokerBench selectors` (a fresh queue filled with COUNT
# persistent 1 KiB messages, header k = i % CONSUMERS; then CONSUMERS consumers, each with selector k = 'n',
# drain it) against Debian's ActiveMQ, then against our broker; medians of --reps runs and ours/ActiveMQ.
#
#   src/BrokerBench/selector-compare.sh [--count N (100000)] [--consumers C (100)] [--reps R (3)]
#                                       [--prefetch P (100)] [--out FILE] [--keep] [--skip-build]
#
# Also the broker's CPU-seconds during the drain per 100,000 messages (/proc), steadier than the rate on a shared
# machine. Each broker gets one small warm-up run (5,000 messages) first. Every run must verify (each message once,
# at the consumer whose selector matches); a failed run is reported and left out of the medians. Goal (#13): >= 3x.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
COUNT=100000
CONSUMERS=100
REPS=3
PREFETCH=100
OUT=""
KEEP=0
BUILD=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --count) COUNT="$2"; shift 2 ;;
    --consumers) CONSUMERS="$2"; shift 2 ;;
    --reps) REPS="$2"; shift 2 ;;
    --prefetch) PREFETCH="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --skip-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
if [[ -n "$OUT" && "$OUT" != /* ]]; then OUT="$PWD/$OUT"; fi

WORK="$(mktemp -d /tmp/selectorbench.XXXXXX)"
RESULTS="$WORK/results.jsonl"
: > "$RESULTS"
source "$HERE/brokers.sh"
stop_brokers_on_exit

ensure_activemq
command -v jq >/dev/null || { echo "jq not found" >&2; exit 1; }
[[ $BUILD -eq 1 ]] && build_release

runs() { # broker-name port pid
  local b="$1" port="$2" pid="$3" out rc
  local args=(selectors --port "$port" --pid "$pid" --consumers "$CONSUMERS" --prefetch "$PREFETCH")
  log "$b: warm-up (5,000 messages)"
  bench "${args[@]}" --count 5000 >/dev/null 2>"$WORK/bench.err" || log "  warm-up failed: $(tail -c 400 "$WORK/bench.err")"
  for rep in $(seq 1 "$REPS"); do
    rc=0
    out="$(bench "${args[@]}" --count "$COUNT" --json --label "$b:$rep" 2>"$WORK/bench.err")" || rc=$?
    if [[ -z "$out" ]]; then out="{\"label\":\"$b:$rep\",\"verified\":false,\"error\":\"exit $rc: $(tail -c 300 "$WORK/bench.err" | tr '\n"' ' ')\"}"; fi
    echo "$out" >> "$RESULTS"
    log "  $b run $rep: $(jq -c '{fillRate, drainSeconds, msgPerSec, drainCpuPer100k, missing, duplicates, misrouted, verified, error}' <<<"$out")"
  done
}

AMQ_PORT="$(free_port)"
activemq_up "$WORK/activemq" "$AMQ_PORT"
runs activemq "$AMQ_PORT" "$AMQ_PID"
stop_pid "$AMQ_PID" ActiveMQ
AMQ_PID=""

ours_start "$WORK/ours"
runs ours "$OURS_PORT" "$OURS_PID"
ours_warnings "$WORK/ours"
stop_pid "$OURS_PID" "our broker"
OURS_PID=""

TABLE="$WORK/table.md"
python3 - "$RESULTS" "$COUNT" "$CONSUMERS" "$PREFETCH" > "$TABLE" <<'PY'
import json, statistics, sys, datetime, os
path, count, consumers, prefetch = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
runs = {}
for line in open(path):
    r = json.loads(line)
    runs.setdefault(r["label"].split(":")[0], []).append(r)
def good(b):
    return [r for r in runs.get(b, []) if r.get("verified") and not r.get("error")]
def med(b, key):
    vals = [r[key] for r in good(b)]
    return statistics.median(vals) if vals else None
def fmt(v):
    return "–" if v is None else f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}"
def ratio(a, b):
    return "–" if a is None or not b else f"{a / b:.2f}×"
load = open("/proc/loadavg").read().split()[:3]
print(f"Selector drain {datetime.datetime.now().isoformat(timespec='seconds')} ({os.cpu_count()} cores, load average {' '.join(load)} at the end): "
      f"{count:,} persistent 1 KiB messages, {consumers} consumers each with selector k = 'n', prefetch {prefetch}, an ACK per message; "
      f"medians of the verified runs ({len(good('ours'))} ours, {len(good('activemq'))} ActiveMQ)")
print()
print("| | ours | ActiveMQ 5.17 | ours/ActiveMQ |")
print("|---|---|---|---|")
for name, key in [("drain msg/s", "msgPerSec"), ("drain: broker CPU-seconds per 100,000 messages (lower is better)", "drainCpuPer100k"),
                  ("fill msg/s (receipt window 1,000)", "fillRate")]:
    o, a = med("ours", key), med("activemq", key)
    print(f"| {name} | {fmt(o)} | {fmt(a)} | {ratio(o, a)} |")
print()
for b in ("ours", "activemq"):
    print(f"- {b} drain msg/s per run: " + ", ".join(fmt(r.get("msgPerSec")) if r.get("verified") else f"FAILED ({r.get('error') or ''} missing {r.get('missing')}, duplicates {r.get('duplicates')}, misrouted {r.get('misrouted')})" for r in runs.get(b, [])))
o, a = med("ours", "msgPerSec"), med("activemq", "msgPerSec")
print()
print(f"Goal (#13) drain ≥ 3× ActiveMQ: {'not measured' if o is None or not a else 'met' if o >= 3 * a else 'NOT met'} ({ratio(o, a)})")
PY
cat "$TABLE"
if [[ -n "$OUT" ]]; then cp "$TABLE" "$OUT"; log "table written to $OUT"; fi
