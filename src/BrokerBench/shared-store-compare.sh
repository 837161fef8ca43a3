#!/usr/bin/env bash
# Shared-store master/slave beside ActiveMQ 5.17 in the same mode, on this machine, one after the other:
#
#   src/BrokerBench/shared-store-compare.sh [--rounds N (5)] [--duration S (10)] [--keep]
#
# 1. Failover, SIGKILL of the master -> the waiting broker accepts a TCP connection on its STOMP port (polled every
#    10 ms), N rounds each: ActiveMQ's shared file system (KahaDB, shared-file-locker, defaults) and JDBC
#    (PostgreSQL, lease-database-locker as its documentation shows: lockKeepAlivePeriod 5 s, lockAcquireSleepInterval
#    10 s); ours is `BrokerBench failover --mode shared-fs|database` (20 rounds, also timing the first receipt).
# 2. Persistent throughput on the same private PostgreSQL: (b) one producer waiting for each receipt, (c) 8
#    producers and 2 consumers, --duration seconds each, ActiveMQ's JDBC store against our Database mode.
# Installs Debian's activemq and libpostgresql-jdbc-java when missing; PostgreSQL runs privately (initdb into the
# work folder as the postgres user, a free port), never the system's cluster. Everything is stopped by PID.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
ROUNDS=5
DURATION=10
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

WORK="$(mktemp -d /tmp/sharedbench.XXXXXX)"
chmod 755 "$WORK"
PIDS=()
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
PG_DATA="$WORK/pg"
cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  [[ -f "$PG_DATA/postmaster.pid" ]] && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate stop >/dev/null 2>&1 || true
  if [[ $KEEP -eq 1 || $rc -ne 0 ]]; then echo "work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
source "$HERE/brokers.sh"
now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

ensure_activemq libpostgresql-jdbc-java
[[ -f "$BENCH_DLL" && -f "$HOST_DLL" ]] || { echo "build first: dotnet build -c Release BrokerConsole.sln" >&2; exit 1; }

# --- a private PostgreSQL ---------------------------------------------------------------------------------------
PG_PORT="$(free_port)"
mkdir -p "$PG_DATA" && chown postgres "$WORK" "$PG_DATA"
runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DATA" -A trust -U postgres --no-sync >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$WORK/pg.log" -w -o "-p $PG_PORT -k $WORK -c listen_addresses=127.0.0.1" start >/dev/null
createdb() { runuser -u postgres -- "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$1"; }
log "PostgreSQL on 127.0.0.1:$PG_PORT"

# --- ActiveMQ instances -----------------------------------------------------------------------------------------
# amq_start NAME PORT STORE_XML: a private instance (own conf and data folder, the PostgreSQL driver on its class
# path, a data source "pg" on AMQ_DATABASE); sets AMQ_PID.
amq_start() {
  activemq_start "$WORK/$1" "$2" --name "$1" --store "$3" --lib /usr/share/java/postgresql.jar --beans \
    "<bean id=\"pg\" class=\"org.postgresql.ds.PGSimpleDataSource\"><property name=\"url\" value=\"jdbc:postgresql://127.0.0.1:$PG_PORT/${AMQ_DATABASE:-amq}?user=postgres\"/></bean>"
}

# amq_failover LABEL STORE_XML: N rounds of SIGKILL of the master; prints the median ms to the standby's port.
amq_failover() {
  local label="$1" store="$2" times=()
  for r in $(seq 1 "$ROUNDS"); do
    local pa pb a b
    pa="$(free_port)"; pb="$(free_port)"
    rm -rf "$WORK/shared-kahadb"
    if [[ "$label" == jdbc ]]; then AMQ_DATABASE="amq_failover_$r"; createdb "$AMQ_DATABASE"; export AMQ_DATABASE; fi
    amq_start "amq-$label-a$r" "$pa" "$store"; a="$AMQ_PID"; PIDS+=("$a")
    wait_port "$pa" 120 "$a" || { echo "ActiveMQ $label master did not open its port" >&2; tail -30 "$WORK/amq-$label-a$r/console.log" >&2; exit 1; }
    amq_start "amq-$label-b$r" "$pb" "$store"; b="$AMQ_PID"; PIDS+=("$b")
    sleep 8 # the standby starts its JVM and settles on the lock; it opens no port while it waits
    port_open "$pb" && { echo "ActiveMQ $label standby serves beside its master" >&2; exit 1; }
    local killed; killed="$(now_ms)"
    kill -KILL "$a"
    wait_port "$pb" 120 "$b" || { echo "ActiveMQ $label standby never took over" >&2; tail -30 "$WORK/amq-$label-b$r/console.log" >&2; exit 1; }
    local took=$(( $(now_ms) - killed ))
    times+=("$took")
    log "ActiveMQ $label round $r: standby accepting after $took ms"
    kill -KILL "$b" 2>/dev/null || true
    wait "$a" "$b" 2>/dev/null || true
  done
  printf '%s\n' "${times[@]}" | median
}

SHARED_FS="<kahaDB directory=\"$WORK/shared-kahadb\"/>"
JDBC='<jdbcPersistenceAdapter dataSource="#pg" lockKeepAlivePeriod="5000" createTablesOnStartup="true"><locker><lease-database-locker lockAcquireSleepInterval="10000"/></locker></jdbcPersistenceAdapter>'

log "ActiveMQ shared file system failover, $ROUNDS rounds"
AMQ_FS_MS="$(amq_failover fs "$SHARED_FS")"
log "ActiveMQ JDBC failover, $ROUNDS rounds"
AMQ_JDBC_MS="$(amq_failover jdbc "$JDBC")"

log "our failover, shared-fs and database, 20 rounds each"
OURS_FS="$(bench failover --rounds 20 --mode shared-fs --json | tail -1)"
OURS_DB="$(bench failover --rounds 20 --mode database --json | tail -1)"

# --- throughput on the same PostgreSQL -------------------------------------------------------------------------
run_bc() { # port -> "b c" msg/s
  bench run --port "$1" --duration 2 --persistent --receipts --producers 4 >/dev/null 2>&1 || true
  local b c
  b="$(bench run --port "$1" --duration "$DURATION" --persistent --receipts --json | tail -1 | jq -r '.msgPerSec')"
  c="$(bench run --port "$1" --duration "$DURATION" --persistent --receipts --producers 8 --consumers 2 --json | tail -1 | jq -r '.msgPerSec')"
  echo "$b $c"
}
createdb amq_throughput
AMQ_DATABASE=amq_throughput; export AMQ_DATABASE
port="$(free_port)"; amq_start amq-jdbc-throughput "$port" "$JDBC"; pid="$AMQ_PID"; PIDS+=("$pid")
wait_port "$port" 120 "$pid" || { echo "ActiveMQ (JDBC) did not open its port" >&2; exit 1; }
read -r AMQ_B AMQ_C < <(run_bc "$port")
kill -KILL "$pid"; wait "$pid" 2>/dev/null || true

createdb ours_throughput
ours_start "$WORK/ours" --Brokers:amq1M:HaMode=Database \
  "--ConnectionStrings:amq1M=Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=ours_throughput"
PIDS+=("$OURS_PID")
read -r OURS_B OURS_C < <(run_bc "$OURS_PORT")
stop_pid "$OURS_PID" "our broker"

ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.1f}x' if b else '-')" "$1" "$2"; }
echo
echo "Shared-store master/slave, $(date -u +%Y-%m-%d), load average $(cut -d' ' -f1-3 /proc/loadavg); PostgreSQL $(basename "$(dirname "$PG_BIN")")"
echo
echo "| | ActiveMQ 5.17 | ours | ActiveMQ / ours |"
echo "|---|---|---|---|"
echo "| shared file system: SIGKILL -> standby accepting, median ms | $AMQ_FS_MS ($ROUNDS rounds) | $(jq -r '.acceptMedianMs' <<<"$OURS_FS") (20 rounds) | $(ratio "$AMQ_FS_MS" "$(jq -r '.acceptMedianMs' <<<"$OURS_FS")") |"
echo "| JDBC / Database: SIGKILL -> standby accepting, median ms | $AMQ_JDBC_MS ($ROUNDS rounds) | $(jq -r '.acceptMedianMs' <<<"$OURS_DB") (20 rounds) | $(ratio "$AMQ_JDBC_MS" "$(jq -r '.acceptMedianMs' <<<"$OURS_DB")") |"
echo "| (b) PostgreSQL store, 1 producer, receipt per message, msg/s | $AMQ_B | $OURS_B | ours $(ratio "$OURS_B" "$AMQ_B") |"
echo "| (c) PostgreSQL store, 8 producers, 2 consumers, msg/s | $AMQ_C | $OURS_C | ours $(ratio "$OURS_C" "$AMQ_C") |"
echo
echo "ours, receipted messages lost in failover: shared-fs $(jq -r '.lost' <<<"$OURS_FS"), database $(jq -r '.lost' <<<"$OURS_DB")"
