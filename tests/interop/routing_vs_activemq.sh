#!/usr/bin/env bash
# By hand, never in the suite: runs each scenario of routing_check.py (stomp.py) against Debian's ActiveMQ 5.17 and
# against our broker, side by side, and prints what each did. Where they differ on purpose is in
# docs/activemq-features.md. Needs `apt-get install activemq` and a Release build of src/BrokerConsole.
# Usage: tests/interop/routing_vs_activemq.sh [scenario...]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/tests/interop"
WORK="$(mktemp -d /tmp/routing-vs-activemq.XXXXXX)"
SCENARIOS=("${@:-wildcard_topic wildcard_queue composite virtual_topic advisory}")
read -r -a SCENARIOS <<<"${SCENARIOS[*]}"
HOST_DLL="$ROOT/src/BrokerConsole/bin/Release/net10.0/BrokerConsole.dll"
[[ -f /usr/share/activemq/bin/activemq.jar ]] || { echo "Debian's activemq is not installed (apt-get install activemq)" >&2; exit 1; }
[[ -f "$HOST_DLL" ]] || { echo "build first: dotnet build -c Release src/BrokerConsole" >&2; exit 1; }

free_port() { /usr/bin/python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"; }
wait_port() { # port seconds pid
  for _ in $(seq 1 "$2"); do
    (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 1
  done
  return 1
}
PIDS=()
# Each broker is stopped by the pid this script started, never by name.
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

AMQ_PORT="$(free_port)"
mkdir -p "$WORK/amq/conf" "$WORK/amq/data"
cp /etc/activemq/instances-available/main/log4j2.properties "$WORK/amq/conf/"
cat > "$WORK/amq/conf/activemq.xml" <<XML
<beans xmlns="http://www.springframework.org/schema/beans" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
       xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-2.0.xsd
                           http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" useJmx="false" brokerName="diff" dataDirectory="$WORK/amq/data">
    <persistenceAdapter><kahaDB directory="$WORK/amq/data/kahadb"/></persistenceAdapter>
    <transportConnectors>
      <transportConnector name="stomp" uri="stomp://127.0.0.1:$AMQ_PORT?maximumConnections=1000"/>
    </transportConnectors>
  </broker>
</beans>
XML
(cd "$WORK/amq" && exec java -Xms64M -Xmx512M --add-reads=java.xml=java.logging \
  --add-opens java.base/java.security=ALL-UNNAMED --add-opens java.base/java.net=ALL-UNNAMED \
  --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/java.util=ALL-UNNAMED \
  --add-opens java.naming/javax.naming.spi=ALL-UNNAMED --add-opens java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED \
  --add-opens java.base/java.util.concurrent=ALL-UNNAMED --add-opens java.base/java.util.concurrent.atomic=ALL-UNNAMED \
  -Dactivemq.home=/usr/share/activemq -Dactivemq.base="$WORK/amq" -Dactivemq.conf="$WORK/amq/conf" \
  -Dactivemq.data="$WORK/amq/data" -jar /usr/share/activemq/bin/activemq.jar start "xbean:file:$WORK/amq/conf/activemq.xml") \
  >"$WORK/amq/console.log" 2>&1 &
PIDS+=($!)
wait_port "$AMQ_PORT" 90 "${PIDS[-1]}" || { tail -30 "$WORK/amq/console.log" >&2; exit 1; }

OURS_PORT="$(free_port)"
(cd "$ROOT" && exec dotnet "$HOST_DLL" --urls="http://127.0.0.1:$(free_port)" "--Brokers:amq1S:Enabled=false" \
  "--Brokers:amq1M:Connectors:0=tcp://127.0.0.1:$OURS_PORT" "--Brokers:amq1M:DataDirectory=$WORK/ours/data" \
  "--Logging:Directory=$WORK/ours/logs") >"$WORK/ours.log" 2>&1 &
PIDS+=($!)
wait_port "$OURS_PORT" 60 "${PIDS[-1]}" || { tail -30 "$WORK/ours.log" >&2; exit 1; }

printf '%-16s %-8s %s\n' scenario broker outcome
for scenario in "${SCENARIOS[@]}"; do
  for broker in activemq ours; do
    port=$AMQ_PORT; [[ $broker == ours ]] && port=$OURS_PORT
    out="$(cd "$HERE" && timeout 90 /usr/bin/python3 routing_check.py 127.0.0.1 "$port" "$scenario" 2>&1 | tail -1)" || true
    printf '%-16s %-8s %s\n' "$scenario" "$broker" "$out"
  done
done
echo "(work folder: $WORK)"
