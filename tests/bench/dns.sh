#!/usr/bin/env bash
# tests/bench/dns.sh: cached DNS answers per second, warren's resolver side by side with
# dnsmasq and unbound on this machine. A benchmark, not a pass/fail test: it prints figures.
#
#   ns wdns-PID, loopback only:
#   nsd 127.0.0.10 (authoritative for bench.example, NAMES A records; CPU 1)
#     ^-- dnsmasq 127.0.0.11 (cache)       --+
#     ^-- unbound 127.0.0.12 (forward, cache) +-- one at a time on CPU 0 <-- dnsperf (CPU 1)
#     ^-- warren  10.9.0.1 (server.resolver) -+
#
# Each server is warmed (every name of the query file asked once) and then dnsperf asks the
# same names for DUR seconds from CLIENTS clients, OUT queries outstanding: the answers all
# come from the cache. Run 1 has no block list. Run 2 loads BLOCK generated domains
# (tests/bench/dnsgen.py) into dnsmasq (address=/D/ lines) and into warren, prints each
# one's load time and memory, and measures the cached names again and then names that are
# on the list. The warren lines are skipped with a "# warren: ..." line while its server has
# no resolver (or no block lists) to measure.
#
#   sudo tests/bench/dns.sh
#
# Root only. Environment: NAMES (10000), BLOCK (1000000), DUR (10 s), CLIENTS (10),
# OUT (200), WARREN (default $B/warren, B=build), WARREN_DNS (the address warren answers on,
# default 10.9.0.1, its pool's first address), KEEP=1 keeps the temporary directory.
set -u
export LC_ALL=C
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$SELF")/../.." || exit 1
NAMES=${NAMES:-10000}
BLOCK=${BLOCK:-1000000}
DUR=${DUR:-10}
CLIENTS=${CLIENTS:-10}
OUT=${OUT:-200}
WARREN=${WARREN:-${B:-build}/warren}
WARREN_DNS=${WARREN_DNS:-10.9.0.1}
case $WARREN in /*) ;; *) WARREN=$PWD/$WARREN ;; esac
NSD_IP=127.0.0.10 DNSMASQ_IP=127.0.0.11 UNBOUND_IP=127.0.0.12

die() { echo "dns-bench: $*" >&2; exit 1; }

# ---------------------------------------------------------------- outside: setup, cleanup
if [ "${WD_INNER:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || die "needs root"
	for c in nsd unbound dnsmasq dnsperf dig taskset python3 ip; do
		command -v "$c" >/dev/null 2>&1 || die "needs $c (make deps installs it)"
	done
	[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (servers on CPU 0, dnsperf on CPU 1)"
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/wdns.XXXXXX")
	NS=wdns-$$
	cleanup() {
		local rc=$? p pids=()
		trap - EXIT INT TERM
		mapfile -t pids < <(ip netns pids "$NS" 2>/dev/null)
		for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
		for _ in $(seq 30); do
			for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && break; p=; done
			[ -z "${p:-}" ] && break
			sleep 0.1
		done
		for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
		ip netns del "$NS" 2>/dev/null
		rm -f "/var/run/wireguard/wgd$$.sock"
		if [ "${KEEP:-0}" = 1 ]; then echo "# kept $TMP"; else rm -rf "$TMP"; fi
		exit $rc
	}
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	ip netns add "$NS" || die "cannot create namespace $NS"
	ip -n "$NS" link set lo up || die "cannot bring lo up in $NS"
	t0=$EPOCHREALTIME
	python3 tests/bench/dnsgen.py "$TMP/data" --names "$NAMES" --block "$BLOCK" --ns "$NSD_IP" ||
		die "tests/bench/dnsgen.py failed"
	awk -v a="$t0" -v b="$EPOCHREALTIME" -v n="$NAMES" -v m="$BLOCK" 'BEGIN {
		printf "# data: %d names, %d blocked domains, made in %.1f s\n", n, m, b - a }'
	# shellcheck disable=SC2097,SC2098
	WD_INNER=1 TMP=$TMP NS=$NS IFN=wgd$$ WARREN=$WARREN ip netns exec "$NS" bash "$SELF"
	exit $?
fi

# ---------------------------------------------------------------- inside ns wdns-PID
DATA=$TMP/data
Q=$DATA/queries
PIDS=()
stop_all() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; PIDS=(); }
trap stop_all EXIT
now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "n/a"; else printf "%.0f%%", 100 * a / b }'; }
rss_mb() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null; }

# status IP NAME: dig's status word (NOERROR, NXDOMAIN, ...) and first answer, or "none".
status() {
	local out st ans
	out=$(dig +time=1 +tries=1 +noall +comments +answer "@$1" "$2" A 2>/dev/null)
	st=$(sed -n 's/.*status: \([A-Z]*\).*/\1/p' <<<"$out" | head -n 1)
	ans=$(awk '$4 == "A" { print $5; exit }' <<<"$out")
	echo "${st:-none} ${ans:-}"
}
# wait_answer IP NAME SECONDS: until NAME resolves (NOERROR with an address).
wait_answer() {
	local end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do
		case $(status "$1" "$2") in "NOERROR "[0-9]*) return 0 ;; esac
		sleep 0.05
	done
	return 1
}
# wait_blocked IP NAME SECONDS: until NAME is answered as filtered (NXDOMAIN or 0.0.0.0).
wait_blocked() {
	local end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do
		case $(status "$1" "$2") in "NXDOMAIN"*|*" 0.0.0.0") return 0 ;; esac
		sleep 0.05
	done
	return 1
}
# warm IP FILE: every name once; says so when answers went missing.
warm() {
	local out
	out=$(taskset -c 1 dnsperf -s "$1" -d "$2" -n 1 -c 4 -q 50 -t 2 2>&1)
	awk '/Queries lost:/ && $3 > 0 { print "# warning: warming lost " $3 " queries"; exit }' <<<"$out"
}
# qps IP FILE: answers per second from the cache; the figure, or 0 on failure.
qps() {
	local out
	out=$(taskset -c 1 dnsperf -s "$1" -d "$2" -l "$DUR" -c "$CLIENTS" -q "$OUT" -T 1 -t 2 2>&1)
	echo "$out" >>"$TMP/dnsperf.log"
	# Up to OUT queries still outstanding when the time is up count as lost: only more is news.
	awk -v out="$OUT" '/Queries lost:/ { lost = $3 } /Queries per second:/ { q = int($4) }
		END { print (q ? q : 0); if (lost > out) print "# lost " lost > "/dev/stderr" }' <<<"$out"
}
start() {  # start NAME CMD...: on CPU 0, output to $TMP/NAME.log
	local n=$1
	shift
	taskset -c 0 "$@" >>"$TMP/$n.log" 2>&1 &
	PIDS+=($!)
	LAST=$!
}
stop_last() { kill "$LAST" 2>/dev/null; wait "$LAST" 2>/dev/null; }

echo "# $(nproc) CPUs; dnsperf $(dnsperf -h 2>&1 | awk '/^Version/ { print $2 }'), dnsmasq" \
	"$(dnsmasq --version | awk 'NR == 1 { print $3 }'), unbound $(unbound -V | awk 'NR == 1 { print $2 }')," \
	"nsd $(nsd -v 2>&1 | awk 'NR == 1 { print $3 }'); $DUR s, $CLIENTS clients, $OUT outstanding"

# ---- the authoritative upstream
cat >"$TMP/nsd.conf" <<EOF
server:
	ip-address: $NSD_IP
	port: 53
	username: ""
	chroot: ""
	zonesdir: "$TMP"
	zonelistfile: "$TMP/nsd.zonelist"
	database: ""
	xfrdfile: "$TMP/nsd.xfrd"
	xfrdir: "$TMP"
	pidfile: "$TMP/nsd.pid"
	logfile: "$TMP/nsd.log"
	server-count: 1
	verbosity: 0
remote-control:
	control-enable: no
zone:
	name: bench.example
	zonefile: "$DATA/zone"
EOF
taskset -c 1 nsd -d -c "$TMP/nsd.conf" >>"$TMP/nsd.log" 2>&1 &
PIDS+=($!)
wait_answer "$NSD_IP" h0.bench.example 20 || { tail -n 5 "$TMP/nsd.log" >&2; die "nsd does not answer"; }

# ---- the others
dnsmasq_conf() {  # dnsmasq_conf [EXTRA-CONF-FILE]
	cat >"$TMP/dnsmasq.conf" <<EOF
port=53
listen-address=$DNSMASQ_IP
bind-interfaces
no-resolv
no-hosts
no-poll
server=$NSD_IP
cache-size=$((NAMES * 2 + 1000))
dns-forward-max=1000
user=root
pid-file=$TMP/dnsmasq.pid
EOF
	[ -n "${1:-}" ] && echo "conf-file=$1" >>"$TMP/dnsmasq.conf"
}
cat >"$TMP/unbound.conf" <<EOF
server:
	interface: $UNBOUND_IP
	port: 53
	do-daemonize: no
	chroot: ""
	username: ""
	directory: "$TMP"
	pidfile: "$TMP/unbound.pid"
	use-syslog: no
	logfile: ""
	verbosity: 0
	num-threads: 1
	do-ip6: no
	access-control: 127.0.0.0/8 allow
	do-not-query-localhost: no
	module-config: "iterator"
	msg-cache-size: 64m
	rrset-cache-size: 128m
	prefetch: no
remote-control:
	control-enable: no
forward-zone:
	name: "."
	forward-addr: $NSD_IP
EOF

# ---- warren: a server with a resolver forwarding to nsd
WARREN_OK=0 WSOCK=$TMP/warren.sock
warren_conf() {
	local key
	key=$(wg genkey 2>/dev/null) || return 1
	cat >"$TMP/warren.conf" <<EOF
daemon = { state_dir = "$TMP/wstate"; socket = "$WSOCK"; backend = "userspace"; };
server = { interface = "$IFN"; listen_port = 51820; private_key = "$key";
           endpoint = "127.0.0.1:51820"; pool = [ "10.9.0.0/24" ];
           client_allowed_ips = [ "10.9.0.0/24" ]; snat = false;
           database = "$TMP/warren.db";
           resolver = { upstream = [ "$NSD_IP" ]; domain = "vpn.internal"; dnssec = false; }; };
EOF
}
# warren_start: 0 when its resolver answers the zone's names, else a "# warren:" line.
warren_start() {
	if [ ! -x "$WARREN" ]; then
		echo "# warren: resolver not available yet (no binary at $WARREN)"; return 1
	fi
	if ! "$WARREN" server --help >/dev/null 2>&1 && ! "$WARREN" --help 2>&1 | grep -q server; then
		echo "# warren: resolver not available yet (no server command)"; return 1
	fi
	if ! command -v wireguard-go >/dev/null || ! warren_conf; then
		echo "# warren: resolver not available yet (needs wg and wireguard-go)"; return 1
	fi
	start warren "$WARREN" server -c "$TMP/warren.conf"
	if ! wait_answer "$WARREN_DNS" h0.bench.example 20; then
		echo "# warren: resolver not available yet (no answer on $WARREN_DNS:53;" \
			"log: $(tail -n 1 "$TMP/warren.log" 2>/dev/null))"
		stop_last
		return 1
	fi
	WPID=$LAST
	return 0
}

# ---------------------------------------------------------------- run 1: no block list
echo "# run 1: cached answers, no block list"
dnsmasq_conf
start dnsmasq dnsmasq -k -C "$TMP/dnsmasq.conf"
wait_answer "$DNSMASQ_IP" h0.bench.example 20 || die "dnsmasq does not answer"
warm "$DNSMASQ_IP" "$Q"
DM=$(qps "$DNSMASQ_IP" "$Q")
echo "dnsmasq cached: $DM qps"
stop_last

start unbound unbound -d -c "$TMP/unbound.conf"
wait_answer "$UNBOUND_IP" h0.bench.example 20 || die "unbound does not answer"
warm "$UNBOUND_IP" "$Q"
UB=$(qps "$UNBOUND_IP" "$Q")
echo "unbound cached: $UB qps"
stop_last

if warren_start; then
	WARREN_OK=1
	warm "$WARREN_DNS" "$Q"
	WR=$(qps "$WARREN_DNS" "$Q")
	echo "warren cached: $WR qps ($(pct "$WR" "$UB") of unbound, $(pct "$WR" "$DM") of dnsmasq)"
	echo "# warren RSS $(rss_mb "$WPID") MB"
	stop_last
fi

# ---------------------------------------------------------------- run 2: BLOCK domains
echo "# run 2: $BLOCK blocked domains loaded"
BNAME=$(awk 'NR == 1 { print $1 }' "$DATA/blocked.queries")
dnsmasq_conf "$DATA/block.dnsmasq"
t0=$(now)
start dnsmasq dnsmasq -k -C "$TMP/dnsmasq.conf"
wait_answer "$DNSMASQ_IP" h0.bench.example 300 || die "dnsmasq does not answer with the list"
echo "dnsmasq load $BLOCK domains: $(since "$t0") s, RSS $(rss_mb "$LAST") MB"
wait_blocked "$DNSMASQ_IP" "$BNAME" 5 || echo "# warning: dnsmasq does not block $BNAME"
warm "$DNSMASQ_IP" "$Q"
DMB=$(qps "$DNSMASQ_IP" "$Q")
echo "dnsmasq cached, $BLOCK blocked: $DMB qps"
DMX=$(qps "$DNSMASQ_IP" "$DATA/blocked.queries")
echo "dnsmasq blocked names: $DMX qps"
stop_last

if [ "$WARREN_OK" = 1 ] && warren_start; then
	# The list goes in as an admin adds one; its load is timed until a listed name is
	# answered as filtered.
	t0=$(now)
	if ! "$WARREN" dns list add bench "$DATA/block.txt" -s "$WSOCK" >>"$TMP/warren.log" 2>&1; then
		echo "# warren: block lists not available yet (warren dns list add failed)"
	elif ! wait_blocked "$WARREN_DNS" "$BNAME" 60; then
		echo "# warren: block list not in force after 60 s"
	else
		echo "warren load $BLOCK domains: $(since "$t0") s, RSS $(rss_mb "$WPID") MB"
		warm "$WARREN_DNS" "$Q"
		WRB=$(qps "$WARREN_DNS" "$Q")
		echo "warren cached, $BLOCK blocked: $WRB qps ($(pct "$WRB" "$UB") of unbound," \
			"$(pct "$WRB" "$DMB") of dnsmasq with the list)"
		WRX=$(qps "$WARREN_DNS" "$DATA/blocked.queries")
		echo "warren blocked names: $WRX qps ($(pct "$WRX" "$DMX") of dnsmasq)"
	fi
	stop_last
elif [ "$WARREN_OK" != 1 ]; then
	echo "# warren: resolver not available yet (run 2 skipped)"
fi
stop_all
