# MariaDB for the local stack: row-based binary log with full row images; restarted
# only when a setting had to change. Sourced by stack.sh.

MARIADB_CNF=/etc/mysql/siphon.cnf
MARIADB_MAIN_CNF=/etc/mysql/my.cnf
MARIADB_LOG=/var/log/mysql/error.log
maria_sql() { mariadb -h 127.0.0.1 -P 3306 -uroot -N -B -e "$1"; }
maria_ready() { mariadb-admin -h 127.0.0.1 -P 3306 -uroot --connect-timeout=2 ping >/dev/null 2>&1; }

maria_start() {
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd ||
    fail mariadb "mariadbd did not start" "see $MARIADB_LOG"
  for _ in $(seq 1 60); do
    maria_ready && return
    sleep 1
  done
  fail mariadb "not ready on 127.0.0.1:3306 after 60s" "see $MARIADB_LOG"
}

maria_binlog_ok() {
  [ "$(maria_sql 'SELECT CONCAT_WS(",", @@log_bin, @@binlog_format, @@binlog_row_image, @@server_id > 0)')" = "ON,ROW,FULL,1" ]
}

maria_up() {
  command -v mariadb >/dev/null || fail mariadb "mariadb client not found" "install MariaDB (apt-get install mariadb-server)"
  if ! maria_ready; then
    say mariadb "not running, starting it"
    maria_start
  fi
  if maria_binlog_ok; then
    say mariadb "running on 127.0.0.1:3306 with log_bin, binlog_format=ROW, binlog_row_image=FULL, nothing to change"
    return
  fi
  say mariadb "binary log settings are $(maria_sql 'SELECT CONCAT("log_bin=", @@log_bin, " binlog_format=", @@binlog_format, " binlog_row_image=", @@binlog_row_image, " server_id=", @@server_id)'), writing $MARIADB_CNF"
  cat >"$MARIADB_CNF" <<'CNF'
# Written by siphon stack:up: change data capture reads the row-based binary log.
[mariadbd]
server_id = 1
log_bin = mysql-bin
binlog_format = ROW
binlog_row_image = FULL
binlog_expire_logs_seconds = 259200
CNF
  grep -qxF "!include $MARIADB_CNF" "$MARIADB_MAIN_CNF" || echo "!include $MARIADB_CNF" >>"$MARIADB_MAIN_CNF"
  say mariadb "restarting to apply the settings"
  local pid
  pid=$(cat /run/mysqld/mysqld.pid 2>/dev/null || true)
  mariadb-admin -h 127.0.0.1 -P 3306 -uroot shutdown || fail mariadb "shutdown failed" "see $MARIADB_LOG"
  # The server stops answering before its process is gone; start only after it exited.
  for _ in $(seq 1 120); do
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  maria_start
  maria_binlog_ok || fail mariadb "binary log still not ROW/FULL after restart" "see $MARIADB_LOG and $MARIADB_CNF"
  say mariadb "ready on 127.0.0.1:3306 with log_bin, binlog_format=ROW, binlog_row_image=FULL"
}

maria_status() {
  if maria_ready; then
    say mariadb "running on 127.0.0.1:3306, $(maria_sql 'SELECT CONCAT("log_bin=", @@log_bin, " binlog_format=", @@binlog_format, " binlog_row_image=", @@binlog_row_image, " server_id=", @@server_id)')"
  else
    say mariadb "not answering on 127.0.0.1:3306 (log $MARIADB_LOG)"
  fi
}
