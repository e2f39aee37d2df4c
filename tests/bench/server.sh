#!/usr/bin/env bash
# tests/bench/server.sh: the server role at 10,000 users on the userspace backend
# (wireguard-go). A benchmark, not a pass/fail test: it prints figures.
#
#   ns wbc-PID (one real client)            ns wbs-PID (warren server)
#   vc 10.231.0.2/24 ---------------------- vs 10.231.0.1/24
#   wgcPID: user u00001's config  =======>  wgbPID 10.9.0.1/16 fd09::1/64 :51820,
#                                           10,000 users in SQLite
#
# 1. seeding: 10,000 `warren user add` (server-generated keys, the default path), PAR at
#    a time; 2. one more user at 10,000: the CLI's wall time, the daemon's time (one
#    request timed inside a small client, tests/bench/ctlcall.c) and `user show` as the
#    round trip alone, and the peers the add touched (wg show dump before and after, with
#    one live session among them); 3. what wg-easy does instead: write the whole config
#    with one more [Peer] and `wg syncconf`; 4. a restart: `warren server` until its
#    socket answers with all peers on the link, against wireguard-go + `wg setconf` of the
#    same 10,000 peers; 5. `warren user list --json` and `warren status --json`.
#
# Root only. Environment: N (10000 users), RUNS (30: adds, syncconfs), STARTS (3),
# LISTS (10), PAR (4: parallel adds while seeding), WARREN (default $B/warren, B=build),
# WB_KEEP=1 keeps the temporary directory (database, dumps, server log).
set -u
export LC_ALL=C
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$SELF")/../.." || exit 1
N=${N:-10000}
RUNS=${RUNS:-30}
STARTS=${STARTS:-3}
LISTS=${LISTS:-10}
PAR=${PAR:-4}
WARREN=${WARREN:-${B:-build}/warren}
case $WARREN in /*) ;; *) WARREN=$PWD/$WARREN ;; esac

die() { echo "server-bench: $*" >&2; exit 1; }

# ---------------------------------------------------------------- outside: setup, cleanup
if [ "${WB_INNER:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || die "needs root"
	for c in wireguard-go wg ip cc ping xargs jq; do
		command -v "$c" >/dev/null 2>&1 || die "needs $c (make deps installs it)"
	done
	[ -x "$WARREN" ] || die "no warren binary at $WARREN (run make)"
	[ "$N" -ge 2 ] || die "N must be at least 2"

	TMP=$(mktemp -d "${TMPDIR:-/tmp}/wbench.XXXXXX")
	SNS=wbs-$$ CNS=wbc-$$ IF=wgb$$ REF=wgr$$ CIF=wgc$$
	cleanup() {
		local rc=$? p pids=() i
		trap - EXIT INT TERM
		for n in "$SNS" "$CNS"; do mapfile -t -O "${#pids[@]}" pids < <(ip netns pids "$n" 2>/dev/null); done
		for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
		for i in $(seq 30); do
			for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && break; p=; done
			[ -z "${p:-}" ] && break
			sleep 0.1
		done
		for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
		ip netns del "$SNS" 2>/dev/null
		ip netns del "$CNS" 2>/dev/null
		rm -f "/var/run/wireguard/$IF.sock" "/var/run/wireguard/$REF.sock" "/var/run/wireguard/$CIF.sock"
		if [ "${WB_KEEP:-0}" = 1 ]; then echo "# kept $TMP"; else rm -rf "$TMP"; fi
		exit $rc
	}
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	for s in "$IF" "$REF" "$CIF"; do
		[ -e "/var/run/wireguard/$s.sock" ] && die "/var/run/wireguard/$s.sock exists already"
	done
	cc -O2 -o "$TMP/ctlcall" tests/bench/ctlcall.c || die "cannot build tests/bench/ctlcall.c"
	ip netns add "$SNS" || die "cannot create namespace $SNS"
	ip netns add "$CNS" || die "cannot create namespace $CNS"
	ip -n "$SNS" link set lo up
	ip -n "$CNS" link set lo up
	ip -n "$SNS" link add vs type veth peer name vc netns "$CNS" &&
		ip -n "$SNS" addr add 10.231.0.1/24 dev vs && ip -n "$CNS" addr add 10.231.0.2/24 dev vc &&
		ip -n "$SNS" link set vs up && ip -n "$CNS" link set vc up || die "cannot set up the veth pair"

	# shellcheck disable=SC2097,SC2098
	WB_INNER=1 TMP=$TMP SNS=$SNS CNS=$CNS IF=$IF REF=$REF CIF=$CIF WARREN=$WARREN \
		ip netns exec "$SNS" bash "$SELF"
	exit $?
fi

# ---------------------------------------------------------------- inside ns wbs-PID
SOCK=$TMP/warren.sock CONF=$TMP/server.conf DB=$TMP/warren.db LOG=$TMP/server.log
CTL=$TMP/ctlcall
W() { "$WARREN" "$@"; }
in_cli() { ip netns exec "$CNS" "$@"; }
# Microseconds since the epoch, without a process (read into a variable, never in $()).
# stats: median and p90 of microsecond values on stdin, in ms: "MED P90".
stats() { sort -n | awk '{ v[NR] = $1 } END { if (!NR) { print "nan nan"; exit }
	p = int(NR * 0.9 + 0.999); if (p > NR) p = NR
	printf "%.2f %.2f\n", v[int((NR + 1) / 2)] / 1000, v[p] / 1000 }'; }
med() { stats | cut -d' ' -f1; }
p90() { stats | cut -d' ' -f2; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "inf"; else if (a / b < 10) printf "%.1f", a / b; else printf "%.0f", a / b }'; }
peers() { wg show "$1" peers 2>/dev/null | grep -c .; }

SKEY=$(wg genkey)
cat >"$CONF" <<EOF
daemon = { state_dir = "$TMP/state"; socket = "$SOCK"; backend = "userspace"; };
server = { interface = "$IF"; listen_port = 51820; private_key = "$SKEY";
           endpoint = "10.231.0.1:51820"; pool = [ "10.9.0.0/16", "fd09::/64" ];
           client_allowed_ips = [ "10.9.0.0/16", "fd09::/64" ]; snat = false;
           database = "$DB"; };
EOF

SPID=
start_server() {
	"$WARREN" server -c "$CONF" >>"$LOG" 2>&1 &
	SPID=$!
}
stop_server() {
	[ -n "$SPID" ] || return 0
	kill -TERM "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
	SPID=
	for _ in $(seq 100); do [ -e "/var/run/wireguard/$IF.sock" ] || break; sleep 0.05; done
}
trap 'stop_server' EXIT
fail() { echo "server-bench: $*" >&2; echo "--- server log (tail):" >&2; tail -n 20 "$LOG" >&2; exit 1; }

start_server
"$CTL" -w 15000 "$SOCK" status >/dev/null || fail "the server did not start"
[ "$(peers "$IF")" = 0 ] || fail "a new server has peers"

# ---- 1. seeding
echo "server-bench: $N users, wireguard-go $(wireguard-go --version 2>/dev/null | awk '{ print $NF; exit }'), $(nproc) CPUs, $WARREN"
t0=$EPOCHREALTIME
seq -f 'u%05g' 1 "$N" | xargs -P "$PAR" -I{} "$WARREN" user add {} -s "$SOCK" >/dev/null 2>"$TMP/seed.err"
t1=$EPOCHREALTIME
n=$(peers "$IF")
[ "$n" = "$N" ] || { head -n 5 "$TMP/seed.err" >&2; fail "after seeding the link holds $n peers, not $N"; }
awk -v a="$t0" -v b="$t1" -v n="$N" -v p="$PAR" 'BEGIN {
	printf "server-seed: %d users added in %.1f s (%.2f ms each, %d `warren user add` at a time)\n", n, b - a, (b - a) * 1000 / n, p }'

# ---- a live session among the 10,000: user u00001's config on a real client
W user config u00001 -s "$SOCK" >"$TMP/u1.conf" || fail "user config u00001"
cfg() { sed -n "s/^$1 *= *//p" "$TMP/u1.conf" | head -n 1; }
U1ADDR=$(cfg Address | tr -d ' ' | tr ',' '\n' | grep -v : | head -n 1)
cfg PrivateKey >"$TMP/u1.key"; cfg PresharedKey >"$TMP/u1.psk"; chmod 600 "$TMP/u1.key" "$TMP/u1.psk"
U1PUB=$(wg pubkey <"$TMP/u1.key")
in_cli env LOG_LEVEL=error wireguard-go "$CIF" >/dev/null 2>&1 || fail "cannot start the client's wireguard-go"
in_cli wg set "$CIF" private-key "$TMP/u1.key" peer "$(cfg PublicKey)" preshared-key "$TMP/u1.psk" \
	endpoint 10.231.0.1:51820 allowed-ips 10.9.0.0/16 &&
	in_cli ip addr add "$U1ADDR" dev "$CIF" && in_cli ip link set "$CIF" up &&
	in_cli ip route add 10.9.0.0/16 dev "$CIF" 2>/dev/null
live() {  # a fresh handshake and some traffic, so a peer rewritten would show
	in_cli ping -n -q -c 2 -i 0.2 -W 2 10.9.0.1 >/dev/null 2>&1 ||
		in_cli ping -n -q -c 2 -i 0.2 -W 2 10.9.0.1 >/dev/null 2>&1
}
LIVE=1
live || { LIVE=0; echo "server-bench: the client u00001 does not reach the server; peers touched counts only configuration changes" >&2; }

# touched BEFORE AFTER NEWKEY: peers whose dump line differs, or that went away, apart
# from NEWKEY. Also says whether the live session kept its handshake and counters.
touched() {
	local n l
	n=$(diff <(tail -n +2 "$1" | sort) <(tail -n +2 "$2" | sort) | sed -n 's/^[<>] //p' |
		cut -f1 | grep -vxF "$3" | sort -u | grep -c .)
	if [ "$LIVE" = 1 ]; then
		l=$(awk -F'\t' -v k="$U1PUB" '$1 == k { print $5 "/" $6 "/" $7 }' "$1")
		[ "$l" = "$(awk -F'\t' -v k="$U1PUB" '$1 == k { print $5 "/" $6 "/" $7 }' "$2")" ] &&
			l="kept (handshake/rx/tx $l)" || l="RESET"
		echo "$n; live session $l"
	else
		echo "$n"
	fi
}

# ---- 2. one more user at N users
: >"$TMP/cli_add"; : >"$TMP/ctl_add"; : >"$TMP/cli_show"; : >"$TMP/ctl_show"
for ((i = 0; i < RUNS; i++)); do
	t0=${EPOCHREALTIME/./}
	"$WARREN" user add "bench$i" -s "$SOCK" >/dev/null || fail "user add bench$i"
	t1=${EPOCHREALTIME/./}
	echo $((t1 - t0)) >>"$TMP/cli_add"
	W user delete "bench$i" -s "$SOCK" >/dev/null || fail "user delete bench$i"
	"$CTL" "$SOCK" api user.add "{\"name\":\"benchc$i\"}" >>"$TMP/ctl_add" || fail "ctlcall user add benchc$i"
	W user delete "benchc$i" -s "$SOCK" >/dev/null
	t0=${EPOCHREALTIME/./}
	"$WARREN" user show u00002 -s "$SOCK" >/dev/null || fail "user show u00002"
	t1=${EPOCHREALTIME/./}
	echo $((t1 - t0)) >>"$TMP/cli_show"
	"$CTL" "$SOCK" api user.show '{"user":"u00002"}' >>"$TMP/ctl_show" || fail "ctlcall user show"
done
[ "$(peers "$IF")" = "$N" ] || fail "the link does not hold $N peers after the adds and deletes"

[ "$LIVE" = 1 ] && live
wg show "$IF" dump >"$TMP/dump0"
W user add touchcheck -s "$SOCK" >/dev/null || fail "user add touchcheck"
wg show "$IF" dump >"$TMP/dump1"
NEWKEY=$(W user show touchcheck -s "$SOCK" | grep -o '"public_key":"[^"]*"' | cut -d'"' -f4)
[ -n "$NEWKEY" ] && grep -q "^$NEWKEY	" "$TMP/dump1" || fail "the new user's peer is not on the link"
TOUCH_W=$(touched "$TMP/dump0" "$TMP/dump1" "$NEWKEY")
W user delete touchcheck -s "$SOCK" >/dev/null

read -r wm w90 < <(stats <"$TMP/cli_add")
read -r sm s90 < <(stats <"$TMP/ctl_add")
rt=$(med <"$TMP/cli_show") srt=$(med <"$TMP/ctl_show")
echo "server-add-user: warren median $wm ms p90 $w90 ms (round trip alone $rt ms: \`warren user show\`); peers touched besides the new one: $TOUCH_W"
echo "server-add-user: warren daemon time (one request timed in-process, no CLI start) median $sm ms p90 $s90 ms (\`user show\` alone $srt ms); over $RUNS runs at $N users, each new user deleted after its run"

# ---- 3. wg-easy's way: the whole config plus one [Peer], then wg syncconf
t0=${EPOCHREALTIME/./}
wg showconf "$IF" >"$TMP/base.conf" || fail "wg showconf"
t1=${EPOCHREALTIME/./}
SHOWCONF_MS=$(( (t1 - t0) / 1000 ))
nb=$(grep -c '^\[Peer\]' "$TMP/base.conf")
for ((i = 0; i < RUNS; i++)); do wg genkey | wg pubkey; done >"$TMP/synckeys"
: >"$TMP/sync"
i=0
while read -r k; do
	[ "$i" = 0 ] && { [ "$LIVE" = 1 ] && live; wg show "$IF" dump >"$TMP/dump2"; }
	t0=${EPOCHREALTIME/./}
	{ cat "$TMP/base.conf"; printf '\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.10.%d.%d/32\n' \
		"$k" $((i / 250)) $((i % 250 + 1)); } >"$TMP/sync.conf"
	wg syncconf "$IF" "$TMP/sync.conf" || fail "wg syncconf"
	t1=${EPOCHREALTIME/./}
	echo $((t1 - t0)) >>"$TMP/sync"
	if [ "$i" = 0 ]; then
		wg show "$IF" dump >"$TMP/dump3"
		TOUCH_S=$(touched "$TMP/dump2" "$TMP/dump3" "$k")
	fi
	wg set "$IF" peer "$k" remove
	i=$((i + 1))
done <"$TMP/synckeys"
read -r gm g90 < <(stats <"$TMP/sync")
echo "server-add-user: wg syncconf median $gm ms p90 $g90 ms over $((nb + 1)) peers (write the file + syncconf; \`wg showconf\` to get them took $SHOWCONF_MS ms more, once; the new peer removed after each run); ratio $(ratio "$gm" "$wm")x against warren's CLI, $(ratio "$gm" "$sm")x against its daemon time; peers touched besides the new one: $TOUCH_S"

# ---- 4. start with N users: warren server against wireguard-go + wg setconf
: >"$TMP/start_w"; : >"$TMP/start_g"; : >"$TMP/stop_w"
for ((r = 0; r < STARTS; r++)); do
	t0=${EPOCHREALTIME/./}
	stop_server
	t1=${EPOCHREALTIME/./}
	echo $((t1 - t0)) >>"$TMP/stop_w"
	ip link show "$IF" >/dev/null 2>&1 && fail "the link outlived the server"

	t0=${EPOCHREALTIME/./}
	LOG_LEVEL=error wireguard-go "$REF" >/dev/null 2>&1 || fail "cannot start wireguard-go $REF"
	wg setconf "$REF" "$TMP/base.conf" || fail "wg setconf $REF"
	t1=${EPOCHREALTIME/./}
	echo $((t1 - t0)) >>"$TMP/start_g"
	n=$(peers "$REF")
	[ "$n" = "$N" ] || fail "wg setconf left $n peers, not $N"
	ip link del "$REF"
	for _ in $(seq 100); do [ -e "/var/run/wireguard/$REF.sock" ] || break; sleep 0.05; done

	t0=${EPOCHREALTIME/./}
	start_server
	# The daemon answers only once its loop runs, which is after the link converged: the
	# first answer (to a small request) is the moment it is ready.
	"$CTL" -w 60000 "$SOCK" api user.show '{"user":"u00001"}' >/dev/null || fail "the server did not answer after a restart"
	t1=${EPOCHREALTIME/./}
	echo $((t1 - t0)) >>"$TMP/start_w"
	n=$(peers "$IF")
	[ "$n" = "$N" ] || fail "the server answered with $n peers on its link, not $N"
done
sw=$(med <"$TMP/start_w") sg=$(med <"$TMP/start_g")
echo "server-start: warren server median $sw ms until its socket answers (the link then holds all $N peers); wireguard-go + wg setconf (same $N peers) $sg ms; ratio $(awk -v a="$sw" -v b="$sg" 'BEGIN { printf "%.2f", a / b }') (median of $STARTS; runs warren: $(awk '{ printf "%s%.0f", (NR > 1 ? " " : ""), $1 / 1000 }' "$TMP/start_w") ms, wg: $(awk '{ printf "%s%.0f", (NR > 1 ? " " : ""), $1 / 1000 }' "$TMP/start_g") ms; stopping warren with SIGTERM, link removed: $(med <"$TMP/stop_w") ms)"

# ---- 5. user list --json
: >"$TMP/list"; : >"$TMP/ctl_list"
for ((i = 0; i < LISTS; i++)); do
	t0=${EPOCHREALTIME/./}
	"$WARREN" user list --json -s "$SOCK" >"$TMP/list.json" || fail "user list --json"
	t1=${EPOCHREALTIME/./}
	echo $((t1 - t0)) >>"$TMP/list"
	"$CTL" "$SOCK" api user.list '{"limit":500}' >>"$TMP/ctl_list" || fail "ctlcall user.list"
done
echo "server-list: warren user list --json median $(med <"$TMP/list") ms (all $N, in pages of 500; daemon time per page of 500 $(med <"$TMP/ctl_list") ms), $(wc -c <"$TMP/list.json") bytes for $(jq length "$TMP/list.json") users (median of $LISTS)"

# ---- the console's users page: one page of 50, as the browser asks for it (daemon time)
page() {  # page NAME JSON: median daemon time of LISTS calls of user.list
	local f=$TMP/page_$1 k
	: >"$f"
	for ((k = 0; k < LISTS; k++)); do
		"$CTL" "$SOCK" api user.list "$2" >>"$f" || fail "ctlcall user.list $2"
	done
	med <"$f"
}
echo "server-users-page: a page of 50 at $N users, daemon time (median of $LISTS; figure <= 20 ms): first $(page first '{"limit":50}') ms, sorted by bytes used $(page used '{"limit":50,"sort":"-used"}') ms, search \"u0999\" $(page q '{"limit":50,"q":"u0999"}') ms, search with no match $(page none '{"limit":50,"q":"zzzz"}') ms, state filter $(page state '{"limit":50,"state":"disabled"}') ms"

# ---- the cost of accounting: CPU of the server and of wireguard-go while idle
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
WGPID=$(pgrep -f "wireguard-go -f $IF" | head -n1)
IDLE_S=${IDLE_S:-10}
s0=$(ticks "$SPID") g0=$(ticks "$WGPID")
sleep "$IDLE_S"
s1=$(ticks "$SPID") g1=$(ticks "$WGPID")
hz=$(getconf CLK_TCK)
echo "server-idle: over ${IDLE_S} s at $N users (a reading every 2 s): warren $(awk -v d=$((s1 - s0)) -v hz="$hz" -v t="$IDLE_S" 'BEGIN { printf "%.1f", d * 1000 / hz / t }') ms CPU per second, wireguard-go answering the readings $(awk -v d=$((g1 - g0)) -v hz="$hz" -v t="$IDLE_S" 'BEGIN { printf "%.1f", d * 1000 / hz / t }') ms CPU per second"

# ---- and the status document
: >"$TMP/status"; : >"$TMP/ctl_status"
for ((i = 0; i < LISTS; i++)); do
	t0=${EPOCHREALTIME/./}
	"$WARREN" status --json -s "$SOCK" >"$TMP/status.json" || fail "status --json"
	t1=${EPOCHREALTIME/./}
	echo $((t1 - t0)) >>"$TMP/status"
	"$CTL" "$SOCK" status >>"$TMP/ctl_status" || fail "ctlcall status"
done
echo "server-status: warren status --json median $(med <"$TMP/status") ms (daemon time $(med <"$TMP/ctl_status") ms), $(wc -c <"$TMP/status.json") bytes (median of $LISTS)"
