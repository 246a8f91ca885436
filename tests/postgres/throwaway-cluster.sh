#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, shared by the xunit fixture (tests/unit/PostgresCluster.cs) and
# the Pester helper (tests/pester/Postgres.ps1): a real server from Debian's packages (tools/setup.sh installs
# them), in a fresh folder under the temp folder, on 127.0.0.1 and a free port, its socket inside that folder,
# run as an unprivileged user (PostgreSQL refuses root: as root, the system user alipaybptb-pg that setup.sh
# creates, through runuser; otherwise the current user). No PATH change: the binaries are found in
# /usr/lib/postgresql/<version>/bin (ALIPAYBPTB_PG_BIN overrides).
#
#   throwaway-cluster.sh check                 exit 0 and 'bin=...' when a cluster can be started here; else
#                                              exit 3 and the reason on stderr (the callers skip with it)
#   throwaway-cluster.sh start OWNER_PID       creates and starts a cluster for process OWNER_PID; prints
#                                              key=value lines: dir port host user password database admin
#                                              admin_password bin psql log seconds
#   throwaway-cluster.sh stop-server DIR [MODE]   stops the server, keeps the data (MODE: fast (default), immediate, smart)
#   throwaway-cluster.sh start-server DIR         starts it again on the same port
#   throwaway-cluster.sh restart DIR [MODE]       both
#   throwaway-cluster.sh destroy DIR              stops the server (immediate) and deletes the folder
#   throwaway-cluster.sh sweep                    destroys the clusters of earlier runs whose owner is gone
#
# Cleanup when the owner is killed: 'start' leaves a watchdog (one 'sleep 1' loop) that destroys the cluster
# once the owner process is gone, and every 'start' first sweeps what earlier runs left (a watchdog killed too).
set -euo pipefail

readonly pg_user=alipaybptb-pg
readonly prefix=alipaybptb-pg.
readonly base=${TMPDIR:-/tmp}
readonly test_role=bptb
readonly test_database=bptb
readonly admin_role=alipaybptb_admin
readonly timeout=30

die() { echo "throwaway-cluster: $*" >&2; exit 1; }

find_bin() {
  if [[ -n ${ALIPAYBPTB_PG_BIN:-} ]]; then echo "$ALIPAYBPTB_PG_BIN"; return; fi
  local dir
  # The newest major version Debian installed (postgresql-NN puts its server binaries here, not on PATH).
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [[ -n $dir ]] && echo "$dir"
}

# Why a cluster cannot be started here (exit 3), or nothing.
check() {
  [[ $(uname -s) == Linux ]] || { echo "PostgreSQL test clusters need Linux (Debian's packages)." >&2; return 3; }
  local bin
  bin=$(find_bin)
  local tool
  for tool in initdb pg_ctl postgres psql; do
    if [[ -z $bin || ! -x $bin/$tool ]]; then
      echo "The PostgreSQL server binaries (initdb, pg_ctl, postgres, psql in /usr/lib/postgresql/<version>/bin) are not installed: run 'bash tools/setup.sh' once as root." >&2
      return 3
    fi
  done
  if [[ $(id -u) -eq 0 ]]; then
    id -u "$pg_user" >/dev/null 2>&1 || {
      echo "Running as root, and PostgreSQL refuses root: the unprivileged user $pg_user is missing. Run 'bash tools/setup.sh' once as root." >&2
      return 3
    }
    command -v runuser >/dev/null 2>&1 || { echo "Running as root without runuser (util-linux)." >&2; return 3; }
  fi
  echo "bin=$bin"
}

# Runs a command as the cluster's user, from inside the cluster's folder (the server's user may not be able to
# enter the caller's working directory).
as_pg() {
  local dir=$1; shift
  if [[ $(id -u) -eq 0 ]]; then
    (cd "$dir" && runuser -u "$pg_user" -- "$@")
  else
    (cd "$dir" && "$@")
  fi
}

# The start time of a process (field 22 of /proc/PID/stat), so that a reused pid is not taken for the owner.
start_time() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo "${20}"
}

owner_alive() {
  local dir=$1 pid started
  [[ -f $dir/owner ]] || return 1
  read -r pid started <"$dir/owner" || return 1
  [[ $(start_time "$pid" 2>/dev/null || true) == "$started" ]]
}

port_in_use() {
  local hex
  hex=$(printf '%04X' "$1")
  grep -qE "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:[0-9A-F]+ 0A" /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    port_in_use "$port" || { echo "$port"; return; }
  done
  die "no free port found"
}

server_start() {
  local dir=$1 bin
  bin=$(cat "$dir/bin")
  as_pg "$dir" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t "$timeout" start >/dev/null
}

server_stop() {
  local dir=$1 mode=${2:-fast} bin
  bin=$(cat "$dir/bin")
  as_pg "$dir" "$bin/pg_ctl" -D "$dir/data" -m "$mode" -w -t "$timeout" stop >/dev/null
}

destroy() {
  local dir=$1
  [[ -d $dir && $(basename "$dir") == "$prefix"* ]] || return 0
  if [[ -f $dir/data/postmaster.pid ]]; then
    local pid
    pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
      server_stop "$dir" immediate 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$dir"
}

sweep() {
  local dir
  for dir in "$base/$prefix"*; do
    [[ -d $dir ]] || continue
    if [[ -f $dir/owner ]]; then
      owner_alive "$dir" || destroy "$dir" 2>/dev/null || true
    elif [[ -n $(find "$dir" -maxdepth 0 -mmin +10 2>/dev/null) ]]; then
      destroy "$dir" 2>/dev/null || true # a start that died before it wrote its owner
    fi
  done
}

watch() {
  local dir=$1
  while [[ -d $dir ]] && owner_alive "$dir"; do sleep 1; done
  destroy "$dir"
}

start() {
  local owner=$1 began bin dir started port password admin_password
  began=$(date +%s%N)
  bin=$(check | sed -n 's/^bin=//p') || exit 3
  [[ -n $bin ]] || exit 3
  sweep
  started=$(start_time "$owner") || die "no process $owner"
  dir=$(mktemp -d "$base/${prefix}XXXXXXXX")
  chmod 700 "$dir"
  echo "$owner $started" >"$dir/owner"
  echo "$bin" >"$dir/bin"
  password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  admin_password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  mkdir "$dir/socket"
  echo "$admin_password" >"$dir/admin-password"
  chmod 600 "$dir/admin-password"
  [[ $(id -u) -ne 0 ]] || chown -R "$pg_user:" "$dir"
  if ! as_pg "$dir" "$bin/initdb" -D "$dir/data" -U "$admin_role" --pwfile="$dir/admin-password" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C --no-sync --no-instructions >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    destroy "$dir"
    die "initdb failed"
  fi
  # Only 127.0.0.1, the socket in the cluster's own folder; fsync off (a throwaway cluster: the data must
  # survive a server's crash, which the page cache gives, not the machine's). synchronous_commit stays on, so a
  # committed row survives 'stop -m immediate'.
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$dir/socket'"
    echo "fsync = off"
    echo "max_connections = 100"
    echo "log_min_messages = warning"
  } | as_pg "$dir" tee -a "$dir/data/postgresql.conf" >/dev/null
  local attempt
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    echo "port = $port" | as_pg "$dir" tee -a "$dir/data/postgresql.conf" >/dev/null
    if server_start "$dir" 2>>"$dir/start.log"; then break; fi
    # Another process took the port between the check and the bind: try another one.
    if ((attempt == 5)) || ! grep -q 'could not bind\|Address already in use' "$dir/server.log" 2>/dev/null; then
      tail -n 20 "$dir/server.log" "$dir/start.log" >&2 2>/dev/null || true
      destroy "$dir"
      die "the server did not start"
    fi
  done
  echo "$port" >"$dir/port"
  if ! as_pg "$dir" "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/socket" -p "$port" -U "$admin_role" -d postgres \
    -c "CREATE ROLE $test_role LOGIN CREATEDB PASSWORD '$password'" \
    -c "CREATE DATABASE $test_database OWNER $test_role" >"$dir/create.log" 2>&1; then
    cat "$dir/create.log" >&2
    destroy "$dir"
    die "could not create the test role and database"
  fi
  # The watchdog: detached, holding none of the caller's pipes.
  setsid bash "$(readlink -f "$0")" watch "$dir" </dev/null >/dev/null 2>&1 &
  echo "dir=$dir"
  echo "port=$port"
  echo "host=127.0.0.1"
  echo "user=$test_role"
  echo "password=$password"
  echo "database=$test_database"
  echo "admin=$admin_role"
  echo "admin_password=$admin_password"
  echo "bin=$bin"
  echo "psql=$bin/psql"
  echo "log=$dir/server.log"
  echo "seconds=$(awk "BEGIN { printf \"%.3f\", ($(date +%s%N) - $began) / 1e9 }")"
}

cluster_dir() {
  [[ -n ${1:-} && -d $1 && $(basename "$1") == "$prefix"* ]] || die "not a throwaway cluster: '${1:-}'"
  echo "$1"
}

case ${1:-} in
  check) check ;;
  start) [[ ${2:-} =~ ^[0-9]+$ ]] || die "usage: $0 start OWNER_PID"; start "$2" ;;
  stop-server) server_stop "$(cluster_dir "${2:-}")" "${3:-fast}" ;;
  start-server) server_start "$(cluster_dir "${2:-}")" ;;
  restart) d=$(cluster_dir "${2:-}"); server_stop "$d" "${3:-fast}"; server_start "$d" ;;
  destroy) destroy "$(cluster_dir "${2:-}")" ;;
  sweep) sweep ;;
  watch) watch "$(cluster_dir "${2:-}")" ;;
  *) die "usage: $0 check | start OWNER_PID | stop-server DIR [MODE] | start-server DIR | restart DIR [MODE] | destroy DIR | sweep" ;;
esac
