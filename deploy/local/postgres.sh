# PostgreSQL for the local stack: logical decoding on, replication connections from
# 127.0.0.1 allowed; restarted only when a setting had to change. Sourced by stack.sh.

PG_MIN_SLOTS=20
pg_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1; }
pg_log() { echo "/var/log/postgresql/postgresql-$(pg_version)-main.log"; }
pg_sql() { psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -tAqX -c "$1"; }
pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432 >/dev/null 2>&1; }

pg_ctl_cluster() {
  local version
  version=$(pg_version)
  [ -n "$version" ] || fail postgres "no cluster under /etc/postgresql" "install PostgreSQL 15 (apt-get install postgresql)"
  pg_ctlcluster --skip-systemctl-redirect "$version" main "$1" >/dev/null 2>&1 ||
    fail postgres "pg_ctlcluster $version main $1 failed" "see $(pg_log)"
}

pg_wait_ready() {
  for _ in $(seq 1 60); do
    pg_ready && return
    sleep 1
  done
  fail postgres "not ready on 127.0.0.1:5432 after 60s" "see $(pg_log)"
}

pg_up() {
  command -v psql >/dev/null || fail postgres "psql not found" "install PostgreSQL 15 (apt-get install postgresql)"
  if ! pg_ready; then
    say postgres "not running, starting it"
    pg_ctl_cluster start
    pg_wait_ready
  fi
  local restart=no
  if [ "$(pg_sql 'SHOW wal_level')" != logical ]; then
    say postgres "wal_level is $(pg_sql 'SHOW wal_level'), setting it to logical"
    pg_sql "ALTER SYSTEM SET wal_level = 'logical'"
    restart=yes
  fi
  local setting
  for setting in max_replication_slots max_wal_senders; do
    if [ "$(pg_sql "SHOW $setting")" -lt "$PG_MIN_SLOTS" ]; then
      say postgres "$setting is $(pg_sql "SHOW $setting"), raising it to $PG_MIN_SLOTS"
      pg_sql "ALTER SYSTEM SET $setting = $PG_MIN_SLOTS"
      restart=yes
    fi
  done
  local hba
  hba=$(pg_sql 'SHOW hba_file')
  if [ "$(pg_sql "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database) AND address = '127.0.0.1'")" = 0 ]; then
    say postgres "allowing replication connections from 127.0.0.1 in $hba"
    printf '# added by siphon stack:up\nhost replication all 127.0.0.1/32 trust\n' >>"$hba"
    pg_sql 'SELECT pg_reload_conf()' >/dev/null
  fi
  if [ "$restart" = yes ]; then
    say postgres "restarting to apply the settings"
    pg_ctl_cluster restart
    pg_wait_ready
    [ "$(pg_sql 'SHOW wal_level')" = logical ] || fail postgres "wal_level is still not logical after restart" "see $(pg_log)"
    say postgres "ready on 127.0.0.1:5432 with wal_level=logical"
  else
    say postgres "running on 127.0.0.1:5432 with wal_level=logical, nothing to change"
  fi
}

pg_status() {
  if pg_ready; then
    say postgres "running on 127.0.0.1:5432, wal_level=$(pg_sql 'SHOW wal_level'), $(pg_sql 'SELECT count(*) FROM pg_replication_slots') replication slot(s)"
  else
    say postgres "not answering on 127.0.0.1:5432 (log $(pg_log))"
  fi
}
