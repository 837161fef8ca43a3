#!/usr/bin/env bash
# #13's differential run, by hand: the stomp.py scenario scripts of tests/interop against Debian's ActiveMQ 5.17
# (private, schedulerSupport on) and against our host, side by side; prints a table scenario x broker with each
# script's verdict and, for a failure, its JSON error line. Where they differ, docs/activemq-differences.md says
# which side we chose and why.
#
#   src/BrokerBench/activemq-diff.sh [--out FILE] [--keep] [--skip-build] [SCRIPT:SCENARIO ...]
#
# With arguments, only those pairs run (e.g. dispatch_check.py:priority). A script missing from tests/interop is
# skipped with a note. Needs Debian's python3-stomp (installed when missing) and a Release build of our host.
set -euo pipefail

# The (script, scenario) pairs, each run as /usr/bin/python3 tests/interop/SCRIPT 127.0.0.1 PORT SCENARIO.
# Only whole-run scenarios belong here (not the phases the failover tests run around a kill).
# stomp_py_check.py's badlogin is left out: this ActiveMQ runs without an authentication plugin, so it accepts any
# login by configuration, not by a difference of behaviour.
PAIRS=(
  stomp_py_check.py:roundtrip
  stomp_py_check.py:v11
  stomp_py_check.py:v10
  stomp_py_check.py:binary
  stomp_py_check.py:transaction
  stomp_py_check.py:nack
  stomp_py_check.py:durable
  dispatch_check.py:groups
  dispatch_check.py:exclusive
  dispatch_check.py:priority
  dispatch_check.py:selector-queue
  dispatch_check.py:selector-topic
  dispatch_check.py:selector-bad
  dispatch_check.py:durable-delete
  routing_check.py:wildcard_topic
  routing_check.py:wildcard_queue
  routing_check.py:composite
  routing_check.py:virtual_topic
  routing_check.py:advisory
  scheduling_check.py:delay
  scheduling_check.py:repeat
  scheduling_check.py:badheader
)

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
INTEROP="$ROOT/tests/interop"
OUT=""
KEEP=0
BUILD=1
CHOSEN=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --skip-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) CHOSEN+=("$1"); shift ;;
  esac
done
[[ ${#CHOSEN[@]} -eq 0 ]] || PAIRS=("${CHOSEN[@]}")
if [[ -n "$OUT" && "$OUT" != /* ]]; then OUT="$PWD/$OUT"; fi

WORK="$(mktemp -d /tmp/activemq-diff.XXXXXX)"
source "$HERE/brokers.sh"
stop_brokers_on_exit

ensure_activemq python3-stomp
if [[ $BUILD -eq 1 ]]; then
  log "building our host (Release)"
  dotnet build -c Release "$ROOT/src/BrokerConsole/BrokerConsole.csproj" -nologo -v q >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }
fi

AMQ_PORT="$(free_port)"
activemq_up "$WORK/activemq" "$AMQ_PORT" --attrs 'schedulerSupport="true"'
ours_start "$WORK/ours"

# One line per pair and broker: SCRIPT:SCENARIO<TAB>BROKER<TAB>EXIT<TAB>JSON (the script's last stdout line).
RESULTS="$WORK/results.tsv"
: > "$RESULTS"
for pair in "${PAIRS[@]}"; do
  script="${pair%%:*}" scenario="${pair#*:}"
  if [[ ! -f "$INTEROP/$script" ]]; then
    printf '%s\t%s\t%s\t%s\n' "$pair" "-" "skip" "{\"error\":\"$script is not in tests/interop\"}" >> "$RESULTS"
    continue
  fi
  for broker in ours activemq; do
    port="$OURS_PORT"; [[ $broker == activemq ]] && port="$AMQ_PORT"
    rc=0
    out="$(cd "$INTEROP" && timeout 120 /usr/bin/python3 "$script" 127.0.0.1 "$port" "$scenario" 2>"$WORK/py.err")" || rc=$?
    line="$(grep '^{' <<<"$out" | tail -1 || true)"
    [[ -n "$line" ]] || line="{\"error\":\"no JSON line; stderr: $(tail -c 300 "$WORK/py.err" | tr '\n"\t' '   ')\"}"
    printf '%s\t%s\t%s\t%s\n' "$pair" "$broker" "$rc" "$line" >> "$RESULTS"
    log "$pair on $broker: exit $rc"
  done
done
ours_warnings "$WORK/ours"

TABLE="$WORK/table.md"
python3 - "$RESULTS" > "$TABLE" <<'PY'
import json, sys, datetime
rows = {}
order = []
for line in open(sys.argv[1]):
    pair, broker, rc, text = line.rstrip("\n").split("\t", 3)
    if pair not in rows:
        order.append(pair)
    rows.setdefault(pair, {})[broker] = (rc, text)
def cell(entry):
    if entry is None:
        return "–"
    rc, text = entry
    if rc == "0":
        return "pass"
    try:
        error = json.loads(text).get("error", text)
    except ValueError:
        error = text
    error = str(error).replace("|", "\\|").replace("\n", " ")
    return f"FAIL (exit {rc}): {error[:400]}"
print(f"Differential run {datetime.datetime.now().isoformat(timespec='seconds')}: tests/interop stomp.py scenarios against ours and ActiveMQ 5.17")
print()
print("| script:scenario | ours | ActiveMQ 5.17 |")
print("|---|---|---|")
for pair in order:
    r = rows[pair]
    if "-" in r:
        print(f"| {pair} | skipped: {json.loads(r['-'][1])['error']} | |")
    else:
        print(f"| {pair} | {cell(r.get('ours'))} | {cell(r.get('activemq'))} |")
diff = [p for p in order if "-" not in rows[p] and (rows[p].get("ours", ("?",))[0] == "0") != (rows[p].get("activemq", ("?",))[0] == "0")]
print()
print(f"{len(diff)} scenario(s) where the two brokers differ" + (": " + ", ".join(diff) if diff else ""))
PY
cat "$TABLE"
if [[ -n "$OUT" ]]; then cp "$TABLE" "$OUT"; log "table written to $OUT"; fi
