# Kafka for the local stack: jars from Maven Central through Maven, KRaft storage
# formatted once, one broker+controller started with plain java. Sourced by stack.sh.

KAFKA_CACHE="$ROOT/.cache/kafka"
KAFKA_LIBS="$ROOT/.cache/kafka-libs"
KAFKA_DATA="$KAFKA_CACHE/data"
KAFKA_LOG="$KAFKA_CACHE/server.log"
KAFKA_PID="$KAFKA_CACHE/kafka.pid"
KAFKA_PROPS="$KAFKA_CACHE/server.properties"
KAFKA_READY_TIMEOUT_S="${KAFKA_READY_TIMEOUT_S:-90}"

kafka_version() { sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HERE/pom.xml"; }

kafka_pid_alive() {
  [ -f "$KAFKA_PID" ] || return 1
  local pid
  pid=$(cat "$KAFKA_PID")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q 'kafka.Kafka' "/proc/$pid/cmdline" 2>/dev/null
}

kafka_port_busy() { (exec 3<>/dev/tcp/127.0.0.1/9092) 2>/dev/null; }

# The cache is stamped with the pom's checksum, so a changed dependency list (kafka-tools
# for the benchmark, a new version) is fetched again.
kafka_jars_stamp() { echo "$(kafka_version) $(sha256sum "$HERE/pom.xml" | cut -d' ' -f1)"; }

kafka_fetch_jars() {
  local version stamp marker="$KAFKA_LIBS/.version"
  version=$(kafka_version)
  stamp=$(kafka_jars_stamp)
  if [ -f "$marker" ] && [ "$(cat "$marker")" = "$stamp" ]; then
    say kafka "jars for Kafka $version found in .cache/kafka-libs"
    return
  fi
  command -v mvn >/dev/null || fail kafka "mvn not found" "install Maven (apt-get install maven)"
  command -v java >/dev/null || fail kafka "java not found" "install a JDK 17 (apt-get install openjdk-17-jre-headless)"
  say kafka "fetching Kafka $version jars with Maven (once)"
  if kafka_pid_alive; then
    # The running broker loads classes from these jars: add to them, never delete them.
    [ "$(cut -d' ' -f1 "$marker" 2>/dev/null)" = "$version" ] ||
      fail kafka "the running broker is not Kafka $version" "stop it (npm run stack:down), then run this again"
  else
    rm -rf "$KAFKA_LIBS"
  fi
  mkdir -p "$KAFKA_CACHE"
  if ! (cd "$HERE" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$KAFKA_LIBS") >"$KAFKA_CACHE/maven.log" 2>&1; then
    fail kafka "Maven could not fetch the Kafka jars" "see $KAFKA_CACHE/maven.log"
  fi
  echo "$stamp" >"$marker"
}

kafka_format_storage() {
  mkdir -p "$KAFKA_DATA"
  sed "s:@DATA_DIR@:$KAFKA_DATA:" "$HERE/kafka-server.properties" >"$KAFKA_PROPS"
  if [ -f "$KAFKA_DATA/meta.properties" ]; then
    say kafka "storage already formatted in .cache/kafka/data"
    return
  fi
  local cluster_id
  cluster_id=$(java -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid 2>>"$KAFKA_LOG" | tail -n 1)
  say kafka "formatting KRaft storage (cluster id $cluster_id)"
  java -cp "$KAFKA_LIBS/*" -Dlog4j.configuration="file:$HERE/kafka-log4j.properties" \
    kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_PROPS" >>"$KAFKA_LOG" 2>&1 ||
    fail kafka "storage format failed" "see $KAFKA_LOG"
}

kafka_wait_ready() {
  if ! node --import tsx "$HERE/kafka-ready.ts" 127.0.0.1:9092 "$KAFKA_READY_TIMEOUT_S"; then
    fail kafka "the broker did not answer a metadata request within ${KAFKA_READY_TIMEOUT_S}s" "see $KAFKA_LOG"
  fi
}

kafka_up() {
  # Fetched whichever broker answers: the benchmark runs Kafka's tools from these jars.
  kafka_fetch_jars
  if kafka_pid_alive; then
    say kafka "already running (pid $(cat "$KAFKA_PID")), nothing to do"
    kafka_wait_ready
    return
  fi
  if kafka_port_busy; then
    # Another checkout's broker (or the user's own): use it when it speaks Kafka.
    if node --import tsx "$HERE/kafka-ready.ts" 127.0.0.1:9092 10; then
      say kafka "a broker this checkout did not start answers on 127.0.0.1:9092, using it"
      return
    fi
    fail kafka "127.0.0.1:9092 is taken by a process that is not a Kafka broker" \
      "stop that process (ss -ltnp 'sport = :9092' shows it)"
  fi
  kafka_format_storage
  say kafka "starting the broker (log: $KAFKA_LOG)"
  # setsid: the broker must outlive the shell (and npm) that started it.
  setsid nohup java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$HERE/kafka-log4j.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_PROPS" >>"$KAFKA_LOG" 2>&1 </dev/null &
  echo $! >"$KAFKA_PID"
  kafka_wait_ready
  say kafka "ready on 127.0.0.1:9092 (pid $(cat "$KAFKA_PID"))"
}

kafka_down() {
  if ! kafka_pid_alive; then
    say kafka "not running"
    rm -f "$KAFKA_PID"
    return
  fi
  local pid
  pid=$(cat "$KAFKA_PID")
  say kafka "stopping the broker (pid $pid)"
  kill "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say kafka "still running after 60s, sending SIGKILL to $pid"
    kill -9 "$pid"
  fi
  rm -f "$KAFKA_PID"
  say kafka "stopped"
}

kafka_status() {
  if kafka_pid_alive; then
    say kafka "running (pid $(cat "$KAFKA_PID")) on 127.0.0.1:9092, controller 127.0.0.1:9093, log $KAFKA_LOG"
  elif kafka_port_busy; then
    say kafka "127.0.0.1:9092 answers, but not a broker this stack started"
  else
    say kafka "stopped"
  fi
}
