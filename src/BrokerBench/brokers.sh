# Sourced, not run: starting and stopping the brokers that the side-by-side scripts compare (compare.sh,
# selector-compare.sh, activemq-diff.sh, shared-store-compare.sh).
#
#   source "$HERE/brokers.sh"        (needs ROOT, the repository, and WORK, a temp folder the caller removes)
#
#   log TEXT                          a timestamped line on stderr
#   free_port / port_open PORT / wait_port PORT SECONDS PID
#   stop_pid PID NAME                 TERM, then KILL after 10 s; only the PID we started, never by name
#   ensure_activemq [PACKAGE...]      installs Debian's activemq (and those packages) when missing; checks java
#   build_release                     builds our host and BrokerBench in Release (output in $WORK/build.log)
#   activemq_start DIR PORT [--name N] [--attrs 'a="b"'] [--store XML] [--beans XML] [--lib JAR]
#                                     a private ActiveMQ: its own conf, data and STOMP port under DIR; sets AMQ_PID
#   ours_start DIR [HOST ARGS...]     our host alone (its slave broker off) on free ports, data under DIR;
#                                     sets OURS_PID, OURS_PORT (STOMP) and OURS_HTTP
#   HOST_DLL, BENCH_DLL, bench ARGS   the Release builds, and BrokerBench run with ARGS

HOST_DLL="$ROOT/src/BrokerConsole/bin/Release/net10.0/BrokerConsole.dll"
BENCH_DLL="$ROOT/src/BrokerBench/bin/Release/net10.0/BrokerBench.dll"
AMQ_PID=""
OURS_PID=""

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

bench() { dotnet "$BENCH_DLL" "$@"; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port seconds pid: 0 once the port accepts, 1 when the process died or the time ran out
  local port="$1" seconds="$2" pid="$3"
  for _ in $(seq 1 $((seconds * 100))); do
    kill -0 "$pid" 2>/dev/null || return 1
    port_open "$port" && return 0
    sleep 0.01
  done
  return 1
}

stop_pid() { # pid name
  local pid="$1" name="$2"
  [[ -n "$pid" ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "$name (pid $pid) did not stop in 10 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
}

ensure_activemq() { # extra Debian packages to install beside activemq
  local missing=()
  [[ -f /usr/share/activemq/bin/activemq.jar ]] || missing+=(activemq)
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [[ ${#missing[@]} -gt 0 ]]; then
    log "installing ${missing[*]}"
    local sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >"$WORK/apt.log" 2>&1 || {
      $sudo apt-get update >>"$WORK/apt.log" 2>&1
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >>"$WORK/apt.log" 2>&1
    } || { tail -20 "$WORK/apt.log" >&2; return 1; }
  fi
  command -v java >/dev/null || { echo "java not found (ActiveMQ needs it)" >&2; return 1; }
}

build_release() {
  log "building our host and BrokerBench (Release)"
  dotnet build -c Release "$ROOT/src/BrokerConsole/BrokerConsole.csproj" -nologo -v q >"$WORK/build.log" 2>&1 \
    && dotnet build -c Release "$ROOT/src/BrokerBench/BrokerBench.csproj" -nologo -v q >>"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log" >&2; return 1; }
}

# The flags /usr/bin/activemq passes to a Java newer than 8.
AMQ_JAVA_FLAGS=(
  --add-reads=java.xml=java.logging
  --add-opens java.base/java.security=ALL-UNNAMED --add-opens java.base/java.net=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/java.util=ALL-UNNAMED
  --add-opens java.naming/javax.naming.spi=ALL-UNNAMED --add-opens java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED
  --add-opens java.base/java.util.concurrent=ALL-UNNAMED --add-opens java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED --add-exports=java.base/sun.net.www.protocol.https=ALL-UNNAMED
  --add-exports=java.base/sun.net.www.protocol.jar=ALL-UNNAMED --add-exports=jdk.xml.dom/org.w3c.dom.html=ALL-UNNAMED
  --add-exports=jdk.naming.rmi/com.sun.jndi.url.rmi=ALL-UNNAMED
)

# activemq_start DIR PORT [--name N] [--attrs XML-ATTRIBUTES] [--store PERSISTENCE-XML] [--beans XML] [--lib JAR]:
# starts ActiveMQ in the background with a config of its own in DIR/conf (no JMX, KahaDB under DIR/data unless
# --store says otherwise, one STOMP connector on 127.0.0.1:PORT); --attrs go on <broker> (e.g.
# 'schedulerSupport="true"'), --beans after it, --lib links a jar into DIR/lib (on ActiveMQ's class path).
# Sets AMQ_PID; does not wait for the port (wait_port does).
activemq_start() {
  local dir="$1" port="$2" name="bench" attrs="" store="" beans=""
  shift 2
  mkdir -p "$dir/conf" "$dir/data" "$dir/lib"
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --name) name="$2" ;;
      --attrs) attrs="$2" ;;
      --store) store="$2" ;;
      --beans) beans="$2" ;;
      --lib) ln -sf "$2" "$dir/lib/$(basename "$2")" ;;
      *) echo "activemq_start: unknown option $1" >&2; return 2 ;;
    esac
    shift 2
  done
  [[ -n "$store" ]] || store="<kahaDB directory=\"$dir/data/kahadb\"/>"
  cp /etc/activemq/instances-available/main/log4j2.properties "$dir/conf/"
  cat > "$dir/conf/activemq.xml" <<XML
<beans xmlns="http://www.springframework.org/schema/beans"
       xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
       xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-2.0.xsd
                           http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" useJmx="false" brokerName="$name" dataDirectory="$dir/data" $attrs>
    <persistenceAdapter>$store</persistenceAdapter>
    <transportConnectors>
      <transportConnector name="stomp" uri="stomp://127.0.0.1:$port?maximumConnections=1000&amp;wireFormat.maxFrameSize=104857600"/>
    </transportConnectors>
  </broker>
  $beans
</beans>
XML
  (
    cd "$dir"
    exec java -Xms64M -Xmx1G "${AMQ_JAVA_FLAGS[@]}" \
      -Dactivemq.home=/usr/share/activemq -Dactivemq.base="$dir" -Dactivemq.conf="$dir/conf" -Dactivemq.data="$dir/data" \
      -jar /usr/share/activemq/bin/activemq.jar start "xbean:file:$dir/conf/activemq.xml"
  ) >"$dir/console.log" 2>&1 &
  AMQ_PID=$!
}

# activemq_up DIR PORT [activemq_start options]: activemq_start, then waits up to 120 s for its STOMP port.
activemq_up() {
  local dir="$1" port="$2"
  log "starting ActiveMQ on 127.0.0.1:$port (data in $dir)"
  activemq_start "$@" || return
  if ! wait_port "$port" 120 "$AMQ_PID"; then
    echo "ActiveMQ did not open its STOMP port; console output:" >&2
    tail -40 "$dir/console.log" >&2
    return 1
  fi
  log "ActiveMQ up (pid $AMQ_PID)"
}

# ours_start DIR [HOST ARGS...]: our host with only its master broker amq1M (the default configuration's slave
# amq1S would listen on a fixed port and follow whatever answers on 61613), STOMP and HTTP on free ports, data and
# logs under DIR; waits up to 60 s for the STOMP port. Sets OURS_PID, OURS_PORT, OURS_HTTP.
ours_start() {
  local dir="$1"
  shift
  mkdir -p "$dir/data" "$dir/logs"
  OURS_PORT="$(free_port)"
  OURS_HTTP="$(free_port)"
  log "starting our broker on 127.0.0.1:$OURS_PORT (data in $dir/data)"
  (
    cd "$ROOT"
    exec dotnet "$HOST_DLL" --urls="http://127.0.0.1:$OURS_HTTP" --Brokers:amq1S:Enabled=false \
      "--Brokers:amq1M:Connectors:0=tcp://127.0.0.1:$OURS_PORT" \
      "--Brokers:amq1M:DataDirectory=$dir/data" "--Logging:Directory=$dir/logs" "$@"
  ) >"$dir/console.log" 2>&1 &
  OURS_PID=$!
  if ! wait_port "$OURS_PORT" 60 "$OURS_PID"; then
    echo "our broker did not open its STOMP port; console output:" >&2
    tail -40 "$dir/console.log" >&2
    return 1
  fi
  log "our broker up (pid $OURS_PID)"
}

# ours_warnings DIR: what our host logged at WARN or worse (first 20 lines), on stderr.
ours_warnings() {
  if grep -qE "\b(WARN|ERROR|FATAL|Unhandled)\b" "$1/console.log"; then
    log "our broker logged warnings or errors:"
    grep -E "\b(WARN|ERROR|FATAL|Unhandled)\b" "$1/console.log" | head -20 >&2
  fi
}

# stop_brokers_on_exit: on exit (or ^C) stop whichever of ActiveMQ and our broker this script started, and delete
# $WORK unless --keep ($KEEP=1) or the script failed.
stop_brokers_on_exit() {
  trap _stop_brokers_and_clean EXIT
  trap 'exit 130' INT TERM
}
_stop_brokers_and_clean() {
  local rc=$?
  stop_pid "$AMQ_PID" ActiveMQ
  stop_pid "$OURS_PID" "our broker"
  if [[ $KEEP -eq 1 || $rc -ne 0 ]]; then echo "work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
  exit $rc
}
