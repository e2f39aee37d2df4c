#!/usr/bin/env bash
# tests/bench/policy.sh: the access policy at 10,000 users on the userspace backend. A
# benchmark, not a pass/fail test: it prints figures.
#
#   ns pbc-PID (one real client, wg-quick)     ns pbs-PID (warren server)       ns pbd-PID
#   vc 10.232.0.2/24 ------------------------- vs 10.232.0.1/24                  (iperf3 -s)
#                                              ve 10.233.0.1/24 ---------------- vd 10.233.0.2
#
# 1. forwarding throughput (iperf3 through the tunnel, TCP, RUNS runs of SECS s, median)
#    with 10,000 users in 50 groups that allow what the clients route, then with 20
#    destinations each, the client's group allowing the far end by port (the accounting
#    of 10,000 peers runs in both); 2. one policy
#    change at 10,000 users (a user moved to another group): the daemon's time for the
#    request and the elements nft monitor saw change; one group's change; 3. the kernel's
#    memory for the table (Slab before the server and after 10,000 users, and the table's
#    text size); 4. a per-user rate: iperf3 both ways against the set rate.
#
# Root only. Environment: N (10000), GROUPS_N (50), RUNS (5), SECS (5), CHANGES (50),
# PAR (4), WARREN (default $B/warren, B=build), PB_KEEP=1 keeps the temporary directory.
set -u
export LC_ALL=C
cd "$(dirname "$0")/../.." || exit 1
N=${N:-10000}
GROUPS_N=${GROUPS_N:-50}
RUNS=${RUNS:-5}
SECS=${SECS:-5}
CHANGES=${CHANGES:-50}
PAR=${PAR:-4}
WARREN=${WARREN:-${B:-build}/warren}
case $WARREN in /*) ;; *) WARREN=$PWD/$WARREN ;; esac

die() { echo "policy-bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root"
for c in wireguard-go wg wg-quick ip cc iperf3 jq nft xargs; do
	command -v "$c" >/dev/null 2>&1 || die "needs $c (make deps installs it)"
done
[ -x "$WARREN" ] || die "no warren binary at $WARREN (run make)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pbench.XXXXXX")
SNS=pbs-$$ CNS=pbc-$$ DNS_=pbd-$$ IF=wgp$$ CIF=wgq$$
SOCK=$TMP/warren.sock CONF=$TMP/server.conf LOG=$TMP/server.log
cleanup() {
	local p
	trap - EXIT INT TERM
	ip netns exec "$CNS" wg-quick down "$TMP/$CIF.conf" >/dev/null 2>&1
	for n in "$SNS" "$CNS" "$DNS_"; do
		for p in $(ip netns pids "$n" 2>/dev/null); do kill "$p" 2>/dev/null; done
	done
	sleep 1
	for n in "$SNS" "$CNS" "$DNS_"; do ip netns del "$n" 2>/dev/null; done
	rm -f "/var/run/wireguard/$IF.sock" "/var/run/wireguard/$CIF.sock"
	if [ "${PB_KEEP:-0}" = 1 ]; then echo "# kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cc -O2 -o "$TMP/ctlcall" tests/bench/ctlcall.c || die "cannot build tests/bench/ctlcall.c"
CTL=$TMP/ctlcall
for n in "$SNS" "$CNS" "$DNS_"; do ip netns add "$n" && ip -n "$n" link set lo up || die "netns $n"; done
ip -n "$SNS" link add vs type veth peer name vc netns "$CNS"
ip -n "$SNS" link add ve type veth peer name vd netns "$DNS_"
ip -n "$SNS" addr add 10.232.0.1/24 dev vs; ip -n "$CNS" addr add 10.232.0.2/24 dev vc
ip -n "$SNS" addr add 10.233.0.1/24 dev ve; ip -n "$DNS_" addr add 10.233.0.2/24 dev vd
for l in vs ve; do ip -n "$SNS" link set "$l" up; done
ip -n "$CNS" link set vc up; ip -n "$DNS_" link set vd up
ip -n "$DNS_" route add default via 10.233.0.1
ip netns exec "$SNS" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$DNS_" iperf3 -s -D -B 10.233.0.2 >/dev/null 2>&1 || die "iperf3 -s"

cat >"$CONF" <<EOF
daemon = { state_dir = "$TMP/state"; socket = "$SOCK"; backend = "userspace"; };
server = { interface = "$IF"; listen_port = 51820; private_key = "$(wg genkey)";
           endpoint = "10.232.0.1:51820"; pool = [ "10.9.0.0/16" ];
           client_allowed_ips = [ "10.9.0.0/16", "10.233.0.0/24" ];
           egress = "ve"; snat = true; database = "$TMP/warren.db"; };
EOF
W() { ip netns exec "$SNS" "$WARREN" "$@" -s "$SOCK"; }
slab() { awk '$1 == "Slab:" { print $2 }' /proc/meminfo; }
med() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }
pct() { sort -n | awk -v q="$1" '{ v[NR] = $1 } END { i = int(NR * q + 0.999); if (i < 1) i = 1; print v[i] }'; }

sync; echo 2 >/proc/sys/vm/drop_caches 2>/dev/null
slab0=$(slab)
ip netns exec "$SNS" "$WARREN" server -c "$CONF" >"$LOG" 2>&1 &
"$CTL" -w 15000 "$SOCK" status >/dev/null || die "the server did not start: $(tail -n 5 "$LOG")"
echo "policy-bench: $N users in $GROUPS_N groups, $(nproc) CPUs, wireguard-go $(wireguard-go --version 2>/dev/null | awk '{ print $NF; exit }')"

W user add u00001 >/dev/null || die "user add u00001"
W user config u00001 | grep -v '^DNS' >"$TMP/$CIF.conf"
chmod 600 "$TMP/$CIF.conf"
ip netns exec "$CNS" wg-quick up "$TMP/$CIF.conf" >/dev/null 2>&1 || die "wg-quick up"
ip netns exec "$CNS" ping -c 3 -W 2 10.233.0.2 >/dev/null 2>&1 || die "no path through the tunnel"

# thru [ARGS]: iperf3 client -> far end through the tunnel, bits/s received, median of RUNS
thru() {
	local i
	for i in $(seq "$RUNS"); do
		ip netns exec "$CNS" iperf3 -c 10.233.0.2 -t "$SECS" -O 1 -J "$@" 2>/dev/null |
			jq '.end.sum_received.bits_per_second // 0 | floor'
	done | med
}
# ---- 10,000 users in 50 groups, first with the file's destinations (everything the
# clients route), then with 20 destinations each (the client's group allows iperf3's port)
for g in $(seq "$GROUPS_N"); do
	W group add "g$g" >/dev/null || die "group add g$g"
done
W user set u00001 --group g1 >/dev/null
t0=$EPOCHREALTIME
export SNS WARREN SOCK
seq 2 "$N" | awk -v g="$GROUPS_N" '{ printf "u%05d g%d\n", $1, ($1 % g) + 1 }' |
	xargs -P "$PAR" -L 1 bash -c 'ip netns exec "$SNS" "$WARREN" user add "$0" --group "$1" -s "$SOCK" >/dev/null' \
		2>"$TMP/seed.err" || true
t1=$EPOCHREALTIME
elems=$(ip netns exec "$SNS" nft list map inet warren_server dev4 | grep -o '10\.9\.[0-9]*\.[0-9]*' | wc -l)
awk -v a="$t0" -v b="$t1" -v n="$N" -v e="$elems" 'BEGIN {
	printf "policy-seed: %d users added in %.1f s; dev4 holds %d elements\n", n - 1, b - a, e }'
sleep 2
none=$(thru)
for g in $(seq "$GROUPS_N"); do
	d=""
	for k in $(seq 20); do d="$d${d:+, }172.$((16 + g % 16)).$k.0/24:$((1000 + k))-$((2000 + k))/tcp"; done
	[ "$g" = 1 ] && d="$d, 10.233.0.2:5201/tcp"
	W group set "g$g" --destinations "$d" >/dev/null || die "group set g$g"
done
ip netns exec "$CNS" iperf3 -c 10.233.0.2 -t 1 >/dev/null 2>&1 || die "the far end is not allowed"
ip netns exec "$CNS" iperf3 -c 10.233.0.2 -p 5202 -t 1 >/dev/null 2>&1 && die "the policy does not hold"
slab1=$(slab)
tbytes=$(ip netns exec "$SNS" nft list table inet warren_server | wc -c)
with=$(thru)
awk -v a="$none" -v b="$with" 'BEGIN {
	printf "policy-forward: %.0f Mbit/s through 10,000 users with the file'"'"'s destinations, %.0f Mbit/s with the policy of 10,000 users in 50 groups: %.1f %% (target >= 97 %%)\n",
		a / 1e6, b / 1e6, (a > 0 ? 100 * b / a : 0) }'
awk -v a="$slab0" -v b="$slab1" -v t="$tbytes" 'BEGIN {
	printf "policy-memory: kernel slab +%.1f MB from before the server to 10,000 users (table, conntrack, links); the table lists as %.1f MB of text\n",
		(b - a) / 1024, t / 1048576 }'

# ---- one policy change at 10,000 users: a user moved between groups
: >"$TMP/change"
for i in $(seq "$CHANGES"); do
	u=$(printf 'u%05d' $((100 + i)))
	g=$(( (100 + i + 7) % GROUPS_N + 1 ))
	"$CTL" "$SOCK" api user.set "{\"user\":\"$u\",\"group\":\"g$g\"}" >>"$TMP/change" || die "user.set $u"
done
ip netns exec "$SNS" nft monitor >"$TMP/monitor" 2>&1 &
MON=$!
sleep 0.5
"$CTL" "$SOCK" api user.set '{"user":"u00099","group":"g9"}' >/dev/null
sleep 0.5
kill "$MON" 2>/dev/null
wait "$MON" 2>/dev/null
nel=$(grep -c 'element' "$TMP/monitor")
addrs=$(grep -o '10\.9\.[0-9]*\.[0-9]*' "$TMP/monitor" | sort -u | xargs)
echo "policy-change: a user moved to another group at $N users: p50 $(med <"$TMP/change" | awk '{ printf "%.2f", $1 / 1000 }') ms," \
	"p99 $(pct 0.99 <"$TMP/change" | awk '{ printf "%.2f", $1 / 1000 }') ms (request inside the daemon, $CHANGES runs; target <= 5 ms);" \
	"nft monitor: $nel element lines, addresses: $addrs"
: >"$TMP/gchange"
for i in $(seq 20); do
	"$CTL" "$SOCK" api group.set "{\"name\":\"g2\",\"isolate\":$([ $((i % 2)) = 0 ] && echo true || echo false)}" >>"$TMP/gchange" || die "group.set"
done
echo "policy-group: one group's change (200 users, its chain only): p50 $(med <"$TMP/gchange" | awk '{ printf "%.2f", $1 / 1000 }') ms"

# ---- a per-user rate, both ways
W user set u00001 --rate 50Mbit/20Mbit >/dev/null
sleep 0.5
up=$(thru)
dn=$(thru -R)
awk -v u="$up" -v d="$dn" 'BEGIN {
	printf "policy-rate: 50 Mbit/s down measured %.1f (%.1f %%), 20 Mbit/s up measured %.1f (%.1f %%)\n",
		d / 1e6, d / 5e5, u / 1e6, u / 2e5 }'
