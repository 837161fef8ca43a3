#!/usr/bin/env bash
# Side-by-side benchmark: Debian's ActiveMQ and our broker, one after the other, on this machine.
#
#   src/BrokerBench/compare.sh [--out FILE] [--reps N] [--duration S] [--million] [--keep] [--skip-build]
#
# Installs the `activemq` package when missing, builds our host and BrokerBench in Release, starts ActiveMQ
# privately (its own conf, KahaDB and STOMP port in a temp folder; stopped by PID), runs the scenarios, stops it,
# then starts our host on free ports with a temp data directory and runs the same. Prints a Markdown table
# (medians of --reps runs) and writes it to --out. Figures are noisy on a shared 2-core machine: compare
# ratios measured in one run, not absolute numbers across runs.
#
# Scenarios (1 KiB bodies):
#   (a) non-persistent, 1 producer -> 1 consumer, as fast as possible
#   (a') non-persistent, fixed 5,000 msg/s: end-to-end latency
#   (b) persistent, 1 producer waiting for a receipt per message, 1 consumer
#   (c) persistent, 8 producers with receipts, 2 consumers
#   (d) 100,000 persistent messages queued (fill), broker resident memory while they sit, then drained, and
#       resident memory 15 s after the drain (against the idle figure taken before the warm-up)
#   For (b) and (c) also the broker's CPU-seconds per 100,000 messages (user + system, /proc/PID/stat) and, for ours,
#   its store's flushes per message (broker_store_flushes_total on /metrics)
#   (e) fdatasync ceiling: 4 KiB write + fdatasync loop over a preallocated, zero-filled file in the broker's data
#       directory, measured for 2 s right before and right after each (b), since the disk's speed drifts with what
#       else runs on the machine; (e') the same over a file only fallocate'd (unwritten extents, as the journal's
#       segments are created): each fdatasync then also commits an extent conversion
#   --million: 1,000,000 x 1 KiB persistent messages queued in our broker, resident memory, then drained
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT=""
REPS=3
DURATION=5
MILLION=0
KEEP=0
BUILD=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --reps) REPS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --million) MILLION=1; shift ;;
    --keep) KEEP=1; shift ;;
    --skip-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
if [[ -n "$OUT" && "$OUT" != /* ]]; then OUT="$PWD/$OUT"; fi

WORK="$(mktemp -d /tmp/brokerbench.XXXXXX)"
RESULTS="$WORK/results.jsonl"
: > "$RESULTS"
source "$HERE/brokers.sh"

stop_brokers_on_exit

# --- prerequisites ---------------------------------------------------------------------------------------------
ensure_activemq
command -v jq >/dev/null || { echo "jq not found" >&2; exit 1; }
if [[ $BUILD -eq 1 ]]; then
  build_release
fi

# --- one broker's scenarios ------------------------------------------------------------------------------------
# Each bench call appends one JSON line (labelled broker:scenario:rep) to $RESULTS; a failing run is recorded,
# reported and does not stop the script.
record() { # label, then bench arguments
  local label="$1"; shift
  local out rc=0
  out="$(bench "$@" --json --label "$label" 2>"$WORK/bench.err")" || rc=$?
  if [[ -n "$out" ]]; then
    echo "$out" >> "$RESULTS"
  fi
  if [[ $rc -ne 0 ]]; then
    log "  $label FAILED (exit $rc): $(tail -c 600 "$WORK/bench.err" | tr '\n' ' ') $(jq -r '.error // empty' <<<"$out" 2>/dev/null)"
    echo "{\"label\":\"$label\",\"failed\":$rc}" >> "$RESULTS"
  else
    log "  $label: $(jq -c 'with_entries(select(.key|IN("msgPerSec","sendRate","receiveRate","latencyP50Ms","latencyP99Ms","receiptP50Ms","missing","duplicates","value","unit")))' <<<"$out")"
  fi
  return 0
}

# The broker's CPU (user + system, from /proc) and, for ours, its store's flushes (broker_store_flushes_total on
# /metrics) across one recorded run, per message that run received: appended as "<broker>:<scenario>cpu" (CPU-seconds
# per 100,000 messages) and "<broker>:<scenario>flush" (flushes per message).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
store_flushes() { # http port (empty: not ours)
  [[ -n "$1" ]] || { echo ""; return; }
  curl -s "http://127.0.0.1:$1/metrics" | awk '/^broker_store_flushes_total/ {sum += $2} END {print sum + 0}'
}
record_costs() { # label-prefix scenario rep pid http, then the bench arguments
  local b="$1" scen="$2" rep="$3" pid="$4" http="$5"; shift 5
  local cpu0 flush0 cpu1 flush1 received
  cpu0="$(cpu_ticks "$pid")"; flush0="$(store_flushes "$http")"
  record "$b:$scen:$rep" "$@"
  cpu1="$(cpu_ticks "$pid")"; flush1="$(store_flushes "$http")"
  received="$(tail -1 "$RESULTS" | jq -r '.received // 0')"
  [[ "$received" -gt 0 ]] || return 0
  echo "{\"label\":\"$b:${scen}cpu:$rep\",\"value\":$(python3 -c "print(round(($cpu1 - $cpu0) / $(getconf CLK_TCK) * 100000 / $received, 2))")}" >> "$RESULTS"
  if [[ -n "$flush0" ]]; then
    echo "{\"label\":\"$b:${scen}flush:$rep\",\"value\":$(python3 -c "print(round(($flush1 - $flush0) / $received, 3))")}" >> "$RESULTS"
  fi
}

run_scenarios() { # name port pid datadir [http port: ours, for its /metrics]
  local b="$1" port="$2" pid="$3" data="$4" http="${5:-}"
  local c=(--port "$port")
  record "$b:idle:1" rss --pid "$pid"
  log "$b: warm-up"
  bench run "${c[@]}" --duration 3 >/dev/null 2>&1 || log "  warm-up run failed"
  bench run "${c[@]}" --duration 2 --persistent --receipts --producers 4 >/dev/null 2>&1 || log "  warm-up run failed"
  for rep in $(seq 1 "$REPS"); do
    log "$b: repetition $rep of $REPS"
    record "$b:a:$rep" run "${c[@]}" --duration "$DURATION"
    record "$b:a5k:$rep" run "${c[@]}" --duration 3 --rate 5000
    record "$b:e:$rep" fsync-ceiling --dir "$data" --seconds 2 --zero-fill
    record_costs "$b" b "$rep" "$pid" "$http" run "${c[@]}" --duration "$DURATION" --persistent --receipts
    record "$b:e:$rep" fsync-ceiling --dir "$data" --seconds 2 --zero-fill
    record "$b:ef:$rep" fsync-ceiling --dir "$data" --seconds 2
    record_costs "$b" c "$rep" "$pid" "$http" run "${c[@]}" --duration "$DURATION" --persistent --receipts --producers 8 --consumers 2
    local q="/queue/bench.fill.$rep.$RANDOM"
    record "$b:dfill:$rep" fill "${c[@]}" --destination "$q" --count 100000 --size 1024
    sleep 1
    record "$b:drss:$rep" rss --pid "$pid"
    record "$b:ddrain:$rep" drain "${c[@]}" --destination "$q" --count 100000
    sleep 15
    record "$b:dafter:$rep" rss --pid "$pid"
  done
}

# --- ActiveMQ --------------------------------------------------------------------------------------------------
AMQ_DIR="$WORK/activemq"
AMQ_PORT="$(free_port)"
activemq_up "$AMQ_DIR" "$AMQ_PORT"
run_scenarios activemq "$AMQ_PORT" "$AMQ_PID" "$AMQ_DIR/data"
log "stopping ActiveMQ"
stop_pid "$AMQ_PID" ActiveMQ
AMQ_PID=""

# --- our broker ------------------------------------------------------------------------------------------------
OURS_DIR="$WORK/ours"
ours_start "$OURS_DIR" --Metrics:CacheFor=00:00:00 # every scrape renders: (b) and (c) read the flush counter around short runs
run_scenarios ours "$OURS_PORT" "$OURS_PID" "$OURS_DIR/data" "$OURS_HTTP"
if [[ $MILLION -eq 1 ]]; then
  log "ours: 1,000,000 x 1 KiB persistent messages"
  record "ours:mfill:1" fill --port "$OURS_PORT" --destination /queue/bench.million --count 1000000 --size 1024
  sleep 2
  record "ours:mrss:1" rss --pid "$OURS_PID"
  record "ours:mdrain:1" drain --port "$OURS_PORT" --destination /queue/bench.million --count 1000000 --idle-timeout 30
fi
ours_warnings "$OURS_DIR"
log "stopping our broker"
stop_pid "$OURS_PID" "our broker"
OURS_PID=""

# --- the table -------------------------------------------------------------------------------------------------
TABLE="$WORK/table.md"
python3 - "$RESULTS" "$REPS" "$DURATION" "$MILLION" > "$TABLE" <<'PY'
import json, statistics, sys, platform, os, datetime
path, reps, duration, million = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
runs, failures = {}, {}
for line in open(path):
    line = line.strip()
    if not line:
        continue
    r = json.loads(line)
    broker, scen, _ = r["label"].split(":")
    if "failed" in r:
        failures.setdefault((broker, scen), []).append(r["failed"])
        continue
    runs.setdefault((broker, scen), []).append(r)
    if r.get("verified") is False or r.get("error"):
        failures.setdefault((broker, scen), []).append(f"missing {r.get('missing')}, dup {r.get('duplicates')}, {r.get('error') or ''}".strip(", "))

def med(broker, scen, key):
    vals = [r[key] for r in runs.get((broker, scen), []) if r.get(key) is not None and not r.get("error")]
    return statistics.median(vals) if vals else None

def fmt(v, unit=""):
    if v is None:
        return "–"
    if abs(v) >= 100:
        return f"{v:,.0f}{unit}"
    return f"{v:.2f}{unit}"

def ratio(a, b):
    return f"{a / b:.2f}×" if a is not None and b not in (None, 0) else "–"

rows = []
def row(name, scen, key, unit="", lower_better=False):
    o, a = med("ours", scen, key), med("activemq", scen, key)
    note = " (lower is better)" if lower_better else ""
    rows.append(f"| {name}{note} | {fmt(o, unit)} | {fmt(a, unit)} | {ratio(o, a)} |")

row("(a) non-persistent 1→1, msg/s", "a", "msgPerSec")
row("(a) MB/s", "a", "mbPerSec")
row("(a) end-to-end p50 ms", "a", "latencyP50Ms", lower_better=True)
row("(a') fixed 5,000 msg/s, end-to-end p50 ms", "a5k", "latencyP50Ms", lower_better=True)
row("(a') fixed 5,000 msg/s, end-to-end p99 ms", "a5k", "latencyP99Ms", lower_better=True)
row("(b) persistent 1 producer, receipt per message, msg/s", "b", "msgPerSec")
row("(b) receipt p50 ms", "b", "receiptP50Ms", lower_better=True)
row("(b) receipt p99 ms", "b", "receiptP99Ms", lower_better=True)
row("(c) persistent 8 producers w/ receipts, 2 consumers, msg/s", "c", "msgPerSec")
row("(c) receipt p50 ms", "c", "receiptP50Ms", lower_better=True)
row("(c) end-to-end p99 ms", "c", "latencyP99Ms", lower_better=True)
row("(d) 100,000 persistent queued: fill msg/s", "dfill", "sendRate")
row("(d) resident memory while queued, MiB", "drss", "value", lower_better=True)
row("(d) drain msg/s", "ddrain", "receiveRate")
row("(d) resident memory idle, before the warm-up, MiB", "idle", "value", lower_better=True)
row("(d) resident memory 15 s after the drain, MiB", "dafter", "value", lower_better=True)
row("(b) broker CPU-seconds per 100,000 messages", "bcpu", "value", lower_better=True)
row("(c) broker CPU-seconds per 100,000 messages", "ccpu", "value", lower_better=True)
row("(b) store flushes (fdatasync batches) per message", "bflush", "value", lower_better=True)
row("(c) store flushes (fdatasync batches) per message", "cflush", "value", lower_better=True)
row("(e) fdatasync ceiling (4 KiB write + fdatasync)/s, zero-filled file, same fs", "e", "value")
row("(e') the same over a fallocate'd file (unwritten extents)", "ef", "value")
bo, be = med("ours", "b", "msgPerSec"), med("ours", "e", "value")
ba, bea = med("activemq", "b", "msgPerSec"), med("activemq", "e", "value")
rows.append(f"| (b)/(e): receipted persistent msg/s over the fdatasync ceiling | {ratio(bo, be)} | {ratio(ba, bea)} | – |")
co_, ca_ = med("ours", "c", "msgPerSec"), med("activemq", "c", "msgPerSec")
rows.append(f"| (c)/(e): 8 producers' msg/s over the single-writer fdatasync ceiling | {ratio(co_, be)} | {ratio(ca_, bea)} | – |")
if million:
    rows.append(f"| 1,000,000 × 1 KiB persistent queued: fill msg/s | {fmt(med('ours', 'mfill', 'sendRate'))} | – | – |")
    rows.append(f"| 1,000,000 × 1 KiB persistent queued: resident MiB | {fmt(med('ours', 'mrss', 'value'))} | – | – |")
    rows.append(f"| 1,000,000 × 1 KiB persistent: drain msg/s | {fmt(med('ours', 'mdrain', 'receiveRate'))} | – | – |")

print(f"Benchmark {datetime.datetime.now().isoformat(timespec='seconds')} on {platform.node()} ({os.cpu_count()} cores), "
      f"1 KiB bodies, medians of {reps} runs of {duration} s, brokers run one after the other (ActiveMQ first).")
print()
print("| scenario | ours | ActiveMQ | ours/ActiveMQ |")
print("|---|---|---|---|")
for r in rows:
    print(r)
print()
goals = []
def goal(text, ok):
    goals.append(f"- {text}: {'met' if ok else 'NOT met' if ok is not None else 'not measured'}")
def cmp(a, b, k):
    return None if a is None or b in (None, 0) else a >= k * b
goal(f"(b) ≥ 0.75 × (e) — {ratio(bo, be)}", cmp(bo, be, 0.75))
co, ca = med("ours", "c", "msgPerSec"), med("activemq", "c", "msgPerSec")
goal(f"(c) ≥ 3 × ActiveMQ — {ratio(co, ca)}", cmp(co, ca, 3))
ao, aa = med("ours", "a", "msgPerSec"), med("activemq", "a", "msgPerSec")
goal(f"(a) ≥ 2 × ActiveMQ — {ratio(ao, aa)}", cmp(ao, aa, 2))
mr = med("ours", "mrss", "value")
goal(f"1,000,000 × 1 KiB persistent queued under 400 MiB resident — {fmt(mr, ' MiB')}" + ("" if million else " (run with --million)"),
     None if mr is None else mr < 400)
print("Individual runs (ours; ActiveMQ), to judge the noise:")
print()
for name, scen, key in [("(a) msg/s", "a", "msgPerSec"), ("(a') p99 ms", "a5k", "latencyP99Ms"), ("(b) msg/s", "b", "msgPerSec"),
                        ("(c) msg/s", "c", "msgPerSec"), ("(d) fill msg/s", "dfill", "sendRate"), ("(d) RSS MiB", "drss", "value"),
                        ("(d) drain msg/s", "ddrain", "receiveRate"), ("(e) ops/s", "e", "value"), ("(e') ops/s", "ef", "value")]:
    def vals(b):
        return ", ".join(fmt(r.get(key)) for r in runs.get((b, scen), [])) or "–"
    print(f"- {name}: {vals('ours')}; {vals('activemq')}")
print()
print("Goals:")
print("\n".join(goals))
verified = sum(1 for v in runs.values() for r in v if r.get("verified"))
print()
if failures:
    print("Failures (verification or errors):")
    for (b, s), f in sorted(failures.items()):
        print(f"- {b} {s}: {f}")
else:
    print(f"Every run verified: each message arrived exactly once ({verified} verified runs).")
PY
cat "$TABLE"
if [[ -n "$OUT" ]]; then
  cp "$TABLE" "$OUT"
  log "table written to $OUT"
fi
cp "$RESULTS" "${OUT:-$WORK/table.md}.jsonl" 2>/dev/null || true
