#!/usr/bin/env bash
# A three-node MariaDB Galera cluster (multi-primary, synchronous replication) behind HAProxy, on
# this machine only (127.0.0.1), for `npm run test:cluster` and the cluster scenario of
# `npm run bench`. Not for production: no passwords, small buffers, data under /tmp.
#
#   scripts/galera.sh start       a fresh cluster: nodes on $GALERA_PORT+1..+3, HAProxy on $GALERA_PORT
#   scripts/galera.sh stop        stops what `start` started (by the pids it recorded), removes the data
#   scripts/galera.sh status      each node's view: cluster size and state (exit 1 unless all Synced)
#   scripts/galera.sh kill N      SIGKILLs node N (1-3): a crash, no clean shutdown
#   scripts/galera.sh restart N   starts node N again and waits until it is Synced (IST, else SST)
#
# Environment: GALERA_DIR (default /tmp/cls-galera), GALERA_PORT (default 3310; the nodes listen on
# the next three ports, Galera's own traffic on GALERA_PORT+1251..+1253, IST on +1261..+1263 and
# SST on +1131..+1133). root has no password on every node, over TCP and the socket.
#
# HAProxy balances connections round robin and sends new ones only to nodes that say they are
# Synced (an external check runs `SHOW STATUS LIKE 'wsrep_local_state'` every 500 ms); a node that
# stops being Synced has its sessions shut, and a connection refused by a dead node is sent to
# another one. Needs the Debian packages mariadb-server (with galera-4), mariadb-backup (SST),
# socat and haproxy.
set -u
cmd=${1:-status}
node=${2:-}
dir=${GALERA_DIR:-/tmp/cls-galera}
port=${GALERA_PORT:-3310}

node_port() { echo $((port + $1)); }
gcomm_port() { echo $((port + 1250 + $1)); }

q() { mariadb -uroot -S "$dir/n$1/sock" -N -s -e "$2" 2>/dev/null; }
state() { q "$1" "SHOW STATUS LIKE 'wsrep_local_state_comment'" | cut -f2; }
# True when the pid recorded in file $1 is a running process named $2 (mariadbd by default): a pid
# file left by an earlier boot may name an unrelated process by now.
alive() {
  local pid
  [ -f "$1" ] && pid=$(cat "$1") && [ -n "$pid" ] &&
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "${2:-mariadbd}" ]
}

# Waits (at most $2 s) until node $1 answers on its socket and says it is Synced.
wait_synced() {
  local n=$1 limit=${2:-120}
  for _ in $(seq 1 "$((limit * 2))"); do
    alive "$dir/n$n/pid.run" || return 1
    [ "$(state "$n")" = Synced ] && return 0
    sleep 0.5
  done
  return 1
}

write_cnf() {
  local n=$1 d=$dir/n$1
  mkdir -p "$d/data"
  local members=""
  for m in 1 2 3; do members="$members${members:+,}127.0.0.1:$(gcomm_port "$m")"; done
  cat >"$d/my.cnf" <<CNF
[mariadbd]
datadir=$d/data
socket=$d/sock
port=$(node_port "$n")
bind-address=127.0.0.1
pid-file=$d/mariadbd.pid
log-error=$d/err.log
user=root
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
default_storage_engine=InnoDB
innodb_buffer_pool_size=64M
innodb_log_file_size=16M
innodb_flush_log_at_trx_commit=2
max_connections=300
# What Galera needs: row-based binary log format, InnoDB, interleaved auto-increments.
binlog_format=ROW
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider=/usr/lib/galera/libgalera_smm.so
wsrep_cluster_name=cls_test
wsrep_cluster_address=gcomm://$members
wsrep_node_address=127.0.0.1:$(gcomm_port "$n")
wsrep_node_name=n$n
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:$(gcomm_port "$n");ist.recv_addr=127.0.0.1:$((port + 1260 + n));gcache.size=32M"
wsrep_sst_receive_address=127.0.0.1:$((port + 1130 + n))
wsrep_sst_method=mariabackup
wsrep_sst_auth=root:
CNF
}

# Starts node $1 in the background with extra arguments; its pid goes to pid.run.
start_node() {
  local n=$1
  shift
  setsid mariadbd --defaults-file="$dir/n$n/my.cnf" "$@" </dev/null >>"$dir/n$n/stdout.log" 2>&1 &
  echo $! >"$dir/n$n/pid.run"
}

write_haproxy() {
  cat >"$dir/check.sh" <<'CHECK'
#!/bin/sh
# HAProxy external check: $3 is the node's address, $4 its port. Healthy = Synced (4).
[ "$(mariadb -uroot -h "$3" -P "$4" --protocol=tcp --connect-timeout=1 -N -s \
  -e "SHOW STATUS LIKE 'wsrep_local_state'" 2>/dev/null | cut -f2)" = 4 ]
CHECK
  chmod +x "$dir/check.sh"
  {
    cat <<HA
global
  maxconn 2000
  external-check
  insecure-fork-wanted
defaults
  mode tcp
  timeout connect 1s
  timeout client 1h
  timeout server 1h
  retries 2
  option redispatch
listen galera
  bind 127.0.0.1:$port
  balance roundrobin
  option external-check
  external-check path "/usr/bin:/bin"
  external-check command $dir/check.sh
  default-server inter 500 fall 2 rise 2 on-marked-down shutdown-sessions
HA
    for n in 1 2 3; do echo "  server n$n 127.0.0.1:$(node_port "$n") check"; done
  } >"$dir/haproxy.cfg"
}

all_synced() {
  for n in 1 2 3; do [ "$(state "$n")" = Synced ] || return 1; done
  alive "$dir/haproxy.pid" haproxy
}

do_stop() {
  # Only ever a directory this script made (it leaves a marker in it).
  [ -d "$dir" ] || return 0
  [ -f "$dir/.cls-galera" ] || { echo "galera: $dir was not made by this script; not touching it"; exit 1; }
  if alive "$dir/haproxy.pid" haproxy; then kill "$(cat "$dir/haproxy.pid")"; fi
  for n in 3 2 1; do
    local pidfile=$dir/n$n/pid.run
    alive "$pidfile" || continue
    local pid
    pid=$(cat "$pidfile")
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null
  done
  rm -rf "$dir"
}

case $cmd in
  start)
    if all_synced 2>/dev/null; then
      echo "galera: already running (nodes on $((port + 1))-$((port + 3)), HAProxy on $port)"
      exit 0
    fi
    for tool in mariadbd mariadb-install-db mariadb-backup socat haproxy; do
      command -v "$tool" >/dev/null || {
        echo "galera: $tool is missing (apt-get install -y mariadb-server mariadb-backup socat haproxy)"
        exit 1
      }
    done
    [ -f /usr/lib/galera/libgalera_smm.so ] || { echo "galera: galera-4 is missing"; exit 1; }
    case $dir in /?*) ;; *) echo "galera: GALERA_DIR must be an absolute path"; exit 1 ;; esac
    do_stop # whatever an earlier start left behind
    mkdir -p "$dir" && touch "$dir/.cls-galera"
    for n in 1 2 3; do write_cnf "$n"; done
    mariadb-install-db --defaults-file="$dir/n1/my.cnf" --user=root --skip-test-db \
      >"$dir/n1/install.log" 2>&1 || { echo "galera: mariadb-install-db failed: $dir/n1/install.log"; exit 1; }
    start_node 1 --wsrep-new-cluster
    wait_synced 1 60 || { echo "galera: node 1 did not start: $dir/n1/err.log"; exit 1; }
    q 1 "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';
         GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
         ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');" ||
      { echo "galera: could not set up root on node 1"; exit 1; }
    # One joiner at a time: each takes a full copy (SST) from a donor.
    for n in 2 3; do
      start_node "$n"
      wait_synced "$n" 180 || { echo "galera: node $n did not join: $dir/n$n/err.log"; exit 1; }
    done
    write_haproxy
    haproxy -f "$dir/haproxy.cfg" -D -p "$dir/haproxy.pid" || { echo "galera: haproxy did not start"; exit 1; }
    echo "galera: 3 nodes Synced on $((port + 1))-$((port + 3)), HAProxy on $port"
    ;;
  stop)
    do_stop
    echo "galera: stopped"
    ;;
  kill)
    case $node in 1 | 2 | 3) ;; *) echo "usage: galera.sh kill 1|2|3"; exit 2 ;; esac
    alive "$dir/n$node/pid.run" || { echo "galera: node $node is not running"; exit 1; }
    kill -9 "$(cat "$dir/n$node/pid.run")"
    echo "galera: node $node killed"
    ;;
  restart)
    case $node in 1 | 2 | 3) ;; *) echo "usage: galera.sh restart 1|2|3"; exit 2 ;; esac
    alive "$dir/n$node/pid.run" && { echo "galera: node $node is running"; exit 1; }
    # A killed node may leave its socket and pid file behind. Its saved view (gvwstate.dat) would
    # make it rejoin under its old identity, which the others only forget after their inactivity
    # timeout: without it the node joins as a new member at once.
    rm -f "$dir/n$node/sock" "$dir/n$node/mariadbd.pid" "$dir/n$node/data/gvwstate.dat"
    # After a crash the node's last committed write-set is only in InnoDB: recover it, so that it
    # catches up with the few write-sets it missed (IST from a donor's gcache) rather than a whole
    # copy of the data (SST).
    mariadbd --defaults-file="$dir/n$node/my.cnf" --wsrep-recover --log-error="$dir/n$node/recover.log" \
      </dev/null >/dev/null 2>&1
    position=$(sed -n 's/.*Recovered position: *\([^ ]*:[-0-9]*\).*/\1/p' "$dir/n$node/recover.log" | tail -1)
    start_node "$node" ${position:+--wsrep-start-position="$position"}
    wait_synced "$node" 180 || { echo "galera: node $node did not rejoin: $dir/n$node/err.log"; exit 1; }
    echo "galera: node $node Synced again"
    ;;
  status)
    ok=0
    for n in 1 2 3; do
      s=$(state "$n")
      echo "n$n (port $(node_port "$n")): ${s:-down}, cluster size $(q "$n" "SHOW STATUS LIKE 'wsrep_cluster_size'" | cut -f2)"
      [ "$s" = Synced ] || ok=1
    done
    if alive "$dir/haproxy.pid" haproxy; then echo "haproxy (port $port): running"; else echo "haproxy: down"; ok=1; fi
    exit $ok
    ;;
  *)
    echo "usage: scripts/galera.sh start|stop|status|kill N|restart N"
    exit 2
    ;;
esac
