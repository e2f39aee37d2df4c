#!/usr/bin/env bash
# tests/bench/up.sh: time `warren up` against `wg-quick up` on the same files and backend,
# median of RUNS (default 11) runs each, and print the ratio. Not a pass/fail test.
#
#   ns a (the tunnel under test)        ns b (a peer, so endpoints route)
#   ua 10.201.0.1/24 ------------------ ub 10.201.0.2/24
#
# WARREN_BACKEND=userspace (default) compares against wg-quick with wireguard-go;
# WARREN_BACKEND=kernel against wg-quick with the kernel module.
. "$(dirname "$0")/../netns/lib.sh"
require ip wg wg-quick
need_warren
RUNS=${RUNS:-11}

UA=$(lname ua) UB=$(lname ub) IF=$(lname wgx)
ns_new a b
veth a "$UA" 10.201.0.1/24,fd20:1::1/64 b "$UB" 10.201.0.2/24,fd20:1::2/64
ip -n "$(ns a)" route add default via 10.201.0.2
KA=$(wg_genkey) KB=$(wg_genkey)
STATE=$WT_DIR/state

write_conf() {
	cat >"$WT_DIR/$IF.conf" <<-EOF
	[Interface]
	PrivateKey = $KA
	Address = 10.202.0.1/24, fd20:2::1/64
	[Peer]
	PublicKey = $(wg_pubkey "$KB")
	Endpoint = 10.201.0.2:51820
	AllowedIPs = $1
	PersistentKeepalive = 25
	EOF
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# time_up TOOL: RUNS timed ups, each followed by an untimed down, all from one shell inside
# the namespace so that only the tool itself is timed (bash's EPOCHREALTIME: no clock
# process); prints microseconds, one per run.
time_up() {
	in_ns a env TOOL="$1" RUNS="$RUNS" WARREN="$WARREN" CONF="$WT_DIR/$IF.conf" STATE="$STATE" \
		WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go WG_HIDE_KEYS=always bash -c '
		us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
		for ((i = 0; i < RUNS; i++)); do
			case $TOOL in
			warren) t0=$(us); "$WARREN" up --state-dir "$STATE" "$CONF" >/dev/null 2>&1; t1=$(us)
				"$WARREN" down --state-dir "$STATE" "$CONF" >/dev/null 2>&1 ;;
			wg-quick) t0=$(us); wg-quick up "$CONF" >/dev/null 2>&1; t1=$(us)
				wg-quick down "$CONF" >/dev/null 2>&1 ;;
			true) t0=$(us); /bin/true; t1=$(us) ;;
			esac
			echo $((t1 - t0))
		done' | median
}

# Starting any program costs this much here; both tools pay it once.
baseline=$(time_up true)

printf '%-30s %11s %11s %7s %7s\n' "AllowedIPs ($WARREN_BACKEND)" "wg-quick ms" "warren ms" ratio net
for allowed in "10.202.0.0/24, fd20:2::/64" "0.0.0.0/0, ::/0"; do
	write_conf "$allowed"
	wq=$(time_up wg-quick)
	wr=$(time_up warren)
	printf '%-30s %11.1f %11.1f %6.1fx %6.1fx\n' "$allowed" "$(echo "$wq / 1000" | bc -l)" \
		"$(echo "$wr / 1000" | bc -l)" "$(echo "$wq / $wr" | bc -l)" \
		"$(echo "($wq - $baseline) / ($wr - $baseline)" | bc -l)"
done
printf '(median of %d runs; starting a program costs %.2f ms of each)\n' \
	"$RUNS" "$(echo "$baseline / 1000" | bc -l)"
