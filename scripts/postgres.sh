#!/usr/bin/env bash
# A private PostgreSQL server for Pulumi state (the DIY backend's `postgres://` URLs): tests, demos
# and trying the team setup on one machine. Never a production database.
#
#   scripts/postgres.sh install              install Debian's `postgresql` if missing (else no-op)
#   scripts/postgres.sh start [DIR]          create (once) and start a server; prints the backend URL
#   scripts/postgres.sh url [DIR]            print the backend URL of the running server in DIR
#   scripts/postgres.sh psql [DIR] [ARGS]    psql on the state database, as role pulumi
#   scripts/postgres.sh stop [DIR] [--purge] stop it (fast shutdown); --purge also deletes DIR
#
# DIR defaults to .pulumi-state/postgres (git-ignored). It holds data/ (the cluster), server.log and
# connection.env (mode 0600: host, port, role, passwords). The server listens on 127.0.0.1 only
# (no Unix socket), on PG_PORT, else its previous port, else a free one picked at random, with
# scram-sha-256 password authentication. Role `pulumi` (not a superuser) owns database `pulumi`,
# where the Pulumi CLI creates its table (`pulumi_state`) on first use. As root, initdb and the
# server run as the `postgres` OS user (initdb refuses root), which then owns data/; when that user
# cannot enter DIR (a clone under a private directory such as `mktemp -d` or /root), data/ and
# server.log live in $PG_RUN_BASE/<hash of DIR> instead (default /var/tmp/vendor-credentials-postgres,
# mode 0700, owned by postgres), and DIR keeps connection.env and a `rundir` file naming the place.
# No file this script creates is readable by other users (umask 077).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEFAULT_DIR="$ROOT/.pulumi-state/postgres"
RUN_BASE="${PG_RUN_BASE:-/var/tmp/vendor-credentials-postgres}"
DB_NAME=pulumi
DB_ROLE=pulumi

log() { printf '[postgres] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

usage() {
  sed -n '5,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# ---------------------------------------------------------------------------------------- install

have_server() { [ -n "$(find_bindir 2>/dev/null)" ]; }

find_bindir() {
  local dir
  # Debian keeps each major version's server binaries in /usr/lib/postgresql/<major>/bin.
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/psql" ]; then
      echo "$dir"
      return 0
    fi
  done
  if command -v pg_config >/dev/null && dir="$(pg_config --bindir 2>/dev/null)" \
    && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
    echo "$dir"
    return 0
  fi
  return 1
}

cmd_install() {
  if have_server; then
    log "PostgreSQL server binaries present in $(find_bindir)"
    return 0
  fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "PostgreSQL is not installed and installing it needs root: run 'apt-get install -y postgresql' as root"
    sudo=(sudo -n)  # never prompt (CI): fails at once when sudo wants a password
  fi
  command -v apt-get >/dev/null || die "PostgreSQL is not installed and apt-get is missing: install PostgreSQL (>= 12) with the system's package manager"
  log "installing Debian's postgresql (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 update -qq
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends postgresql >&2
  have_server || die "apt-get installed postgresql but no server binaries were found under /usr/lib/postgresql"
  log "installed: $(find_bindir)"
}

# ---------------------------------------------------------------------------------------- server

BIN=""
DIR=""
RUN=""   # where data/ and server.log live: DIR, or a private place the postgres user can reach
DATA=""

setup_paths() {
  umask 077  # server files: cluster, log, connection.env (not for `install`: apt needs its own)
  DIR="${1:-$DEFAULT_DIR}"
  case "$DIR" in /*) ;; *) DIR="$PWD/$DIR" ;; esac
  RUN="$DIR"
  if [ -f "$DIR/rundir" ]; then
    RUN="$(cat "$DIR/rundir")"
  fi
  DATA="$RUN/data"
  BIN="$(find_bindir)" || die "PostgreSQL is not installed: run 'scripts/postgres.sh install'"
}

# As root, the server runs as `postgres`, which must be able to enter the directory of its data.
# A DIR it cannot reach gets a run directory under RUN_BASE, private to postgres (and root).
choose_rundir() {
  RUN="$DIR"
  rm -f "$DIR/rundir"
  if [ "$(id -u)" -ne 0 ] || runuser -u postgres -- test -x "$DIR"; then
    DATA="$RUN/data"
    return 0
  fi
  if [ ! -d "$RUN_BASE" ]; then
    mkdir -p "$(dirname "$RUN_BASE")"
    mkdir -m 0700 "$RUN_BASE"
    chown postgres:postgres "$RUN_BASE"
  fi
  local owner
  owner="$(stat -c %U "$RUN_BASE")"
  [ "$owner" = postgres ] || [ "$owner" = root ] \
    || die "$RUN_BASE belongs to $owner, not postgres: remove it or set PG_RUN_BASE"
  runuser -u postgres -- test -x "$RUN_BASE" \
    || die "the postgres OS user cannot reach $RUN_BASE: set PG_RUN_BASE to a directory it can enter"
  RUN="$RUN_BASE/$(printf '%s' "$DIR" | sha256sum | cut -c1-16)"
  rm -rf "$RUN"
  mkdir -m 0700 "$RUN"
  chown postgres:postgres "$RUN"
  printf '%s\n' "$RUN" > "$DIR/rundir"
  DATA="$RUN/data"
  log "the postgres OS user cannot enter $DIR: data and server.log go to $RUN"
}

# Run a server binary as the cluster's owner: `postgres` when we are root, else ourselves.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

read_connection() {
  [ -f "$DIR/connection.env" ] || die "no server in $DIR (run 'scripts/postgres.sh start $DIR')"
  # shellcheck disable=SC1091
  . "$DIR/connection.env"
}

is_running() { [ -f "$DATA/postmaster.pid" ] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
  local port tries=0
  while [ $tries -lt 50 ]; do
    port=$(( 20000 + RANDOM % 40000 ))
    if ! port_in_use "$port"; then
      echo "$port"
      return 0
    fi
    tries=$(( tries + 1 ))
  done
  die "no free port found on 127.0.0.1"
}

new_password() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }

init_cluster() {
  local superpass pwfile
  if [ ! -d "$DIR" ]; then
    (umask 022 && mkdir -p "$DIR")  # parents as usual; DIR itself: enter, but not list
    chmod 0711 "$DIR"
  fi
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "OS user 'postgres' is missing (it comes with Debian's postgresql package)"
  fi
  choose_rundir
  rm -rf "$DATA"
  mkdir -m 0700 "$DATA"
  superpass="$(new_password)"
  pwfile="$RUN/.superuser-password"
  printf '%s\n' "$superpass" > "$pwfile"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$DATA" "$pwfile"
  fi
  log "initdb $DATA"
  if ! as_owner "$BIN/initdb" -D "$DATA" -U postgres --pwfile="$pwfile" --auth=scram-sha-256 \
    --encoding=UTF8 --locale=C >"$DIR/initdb.log" 2>&1; then
    rm -f "$pwfile"
    cat "$DIR/initdb.log" >&2
    die "initdb failed (log above, also in $DIR/initdb.log)"
  fi
  # (initdb.log stays in DIR: root writes it, the redirection is ours)
  rm -f "$pwfile"
  # Loopback TCP only; no Unix socket (its default directory belongs to the system cluster).
  cat >> "$DATA/postgresql.conf" <<CONF

# scripts/postgres.sh: private server for Pulumi state, loopback only
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 50
shared_buffers = 32MB
password_encryption = 'scram-sha-256'
CONF
  cat > "$DIR/connection.env" <<ENV
PG_SUPERUSER_PASSWORD=$superpass
PGHOST=127.0.0.1
PGPORT=
PGUSER=$DB_ROLE
PGPASSWORD=$(new_password)
PGDATABASE=$DB_NAME
ENV
  touch "$DIR/.needs-database"
}

write_port() {
  sed -i "s/^PGPORT=.*/PGPORT=$1/" "$DIR/connection.env"
}

backend_url() { printf 'postgres://%s:%s@%s:%s/%s?sslmode=disable\n' "$PGUSER" "$PGPASSWORD" "$PGHOST" "$PGPORT" "$PGDATABASE"; }

start_server() {
  local port="$1" log_file="$RUN/server.log"
  : > "$log_file"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$log_file"
  fi
  as_owner "$BIN/pg_ctl" -D "$DATA" -l "$log_file" -w -t 60 -o "-p $port" start >/dev/null 2>&1
}

create_database() {
  # Idempotent, so a start interrupted half way can be run again: the role and database are created
  # only when missing, and the password is set by an ALTER that cannot fail on an existing role.
  # log_min_error_statement=panic keeps any failing statement (and a password in it) out of the
  # server log. The password goes through stdin, not argv (hex digits: nothing to quote).
  PGPASSWORD="$PG_SUPERUSER_PASSWORD" "$BIN/psql" -X -q -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres >&2 <<SQL
SET log_min_error_statement = panic;
SET log_statement = 'none';
SELECT 'CREATE ROLE $DB_ROLE LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_ROLE')\\gexec
ALTER ROLE $DB_ROLE LOGIN PASSWORD '$PGPASSWORD';
SELECT 'CREATE DATABASE $DB_NAME OWNER $DB_ROLE' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB_NAME')\\gexec
SQL
}

cmd_start() {
  setup_paths "${1:-}"
  if [ -f "$DATA/PG_VERSION" ] && [ -f "$DIR/connection.env" ]; then
    if is_running; then
      read_connection
      log "already running on 127.0.0.1:$PGPORT ($DATA)"
      backend_url
      return 0
    fi
  else
    init_cluster
  fi
  read_connection
  local port attempt=1 previous="${PGPORT:-}"
  while :; do
    if [ -n "${PG_PORT:-}" ]; then
      port="$PG_PORT"
    elif [ $attempt -eq 1 ] && [ -n "$previous" ] && ! port_in_use "$previous"; then
      port="$previous"  # a restart keeps its URL when it can
    else
      port="$(pick_port)"
    fi
    write_port "$port"
    if start_server "$port"; then
      break
    fi
    if [ -n "${PG_PORT:-}" ] || [ $attempt -ge 3 ]; then
      tail -n 20 "$RUN/server.log" >&2 || true
      die "the server did not start on 127.0.0.1:$port (log above, also in $RUN/server.log)"
    fi
    log "could not start on port $port, trying another"
    attempt=$(( attempt + 1 ))
  done
  read_connection
  if [ -f "$DIR/.needs-database" ]; then
    create_database || die "could not create role $DB_ROLE and database $DB_NAME"
    rm -f "$DIR/.needs-database"
  fi
  log "running on 127.0.0.1:$PGPORT, data in $DATA, log in $RUN/server.log"
  backend_url
}

cmd_url() {
  setup_paths "${1:-}"
  read_connection
  is_running || die "the server in $DIR is not running (scripts/postgres.sh start $DIR)"
  backend_url
}

cmd_psql() {
  local dir=""
  if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
    dir="$1"
    shift
  fi
  setup_paths "$dir"
  read_connection
  export PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE
  exec "$BIN/psql" -X "$@"
}

cmd_stop() {
  local purge=0 arg dir=""
  for arg in "$@"; do
    case "$arg" in
      --purge) purge=1 ;;
      *) dir="$arg" ;;
    esac
  done
  setup_paths "$dir"
  if is_running; then
    if ! as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 30 stop >&2; then
      log "fast shutdown failed; stopping immediately"
      as_owner "$BIN/pg_ctl" -D "$DATA" -m immediate -w -t 30 stop >&2 || true
      ! is_running || die "could not stop the server in $DATA"
    fi
  else
    log "no server running in $DATA"
  fi
  if [ $purge -eq 1 ]; then
    case "$DIR" in
      /|"$ROOT"|"$HOME") die "refusing to delete $DIR" ;;
    esac
    if [ "$RUN" != "$DIR" ]; then
      case "$RUN" in "$RUN_BASE"/*) rm -rf "$RUN" ;; *) log "not deleting $RUN (outside $RUN_BASE)" ;; esac
    fi
    rm -rf "$DIR"
    log "deleted $DIR"
  fi
}

case "${1:-}" in
  -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
  install) cmd_install ;;
  start) shift; cmd_start "$@" ;;
  url) shift; cmd_url "$@" ;;
  psql) shift; cmd_psql "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) usage ;;
esac
