#!/usr/bin/env bash
# tests/bench/failover.sh: the LAN's outage when the active tunnel dies, median of RUNS (5)
# runs, with the default probe settings (200 ms, 3 lost) and with 50 ms probes, side by
# side. Not a pass/fail test.
#
#   ns lan ---- ns gw (warren agent, group of primary + backup) ---- ns wan ---- ns s1, ns s2
#   The LAN host pings the office (172.20.0.1, behind both servers) 100 times a second;
#   the WAN router then drops the primary's WireGuard traffic. Outage = lost replies x 10 ms.
. "$(dirname "$0")/../netns/lib.sh"
require ip wg nft
need_warren
RUNS=${RUNS:-5}

LANIF=$(lname lan) LANH=$(lname lanh) WANIF=$(lname wan) WANR=$(lname wanr)
R1=$(lname r1) S1IF=$(lname s1) R2=$(lname r2) S2IF=$(lname s2)
P=$(lname pri) B=$(lname bak) WG1=$(lname wgs1) WG2=$(lname wgs2)
ns_new lan gw wan s1 s2
ns_forward wan
veth lan "$LANH" 192.168.10.10/24 gw "$LANIF" 192.168.10.1/24 >/dev/null
veth gw "$WANIF" 10.201.0.1/24 wan "$WANR" 10.201.0.254/24 >/dev/null
veth wan "$R1" 10.211.0.254/24 s1 "$S1IF" 10.211.0.1/24 >/dev/null
veth wan "$R2" 10.212.0.254/24 s2 "$S2IF" 10.212.0.1/24 >/dev/null
ip -n "$(ns lan)" route add default via 192.168.10.1
ip -n "$(ns gw)" route add default via 10.201.0.254
ip -n "$(ns s1)" route add default via 10.211.0.254
ip -n "$(ns s2)" route add default via 10.212.0.254
addr_add s1 lo 172.20.0.1/32
addr_add s2 lo 172.20.0.1/32
KP=$(wg_genkey) KB=$(wg_genkey) KS1=$(wg_genkey) KS2=$(wg_genkey)
wg_dev s1 "$WG1" "$KS1" 51820 10.9.0.1/24
wg_add_peer s1 "$WG1" "$(wg_pubkey "$KP")" 10.9.0.10/32
wg_dev s2 "$WG2" "$KS2" 51820 10.8.0.1/24
wg_add_peer s2 "$WG2" "$(wg_pubkey "$KB")" 10.8.0.10/32
in_ns wan nft add table inet t
in_ns wan nft add chain inet t filt '{ type filter hook forward priority 0; }'

STATE=$WT_DIR/state SOCK=$WT_DIR/warren.sock CONF=$WT_DIR/warren.conf
write_conf() {
	cat >"$CONF" <<EOF
daemon = { state_dir = "$STATE"; socket = "$SOCK"; };
lan = { interfaces = [ "$LANIF" ]; subnets = [ "192.168.10.0/24" ]; };
tunnels = (
  { name = "primary"; interface = "$P"; private_key = "$KP"; address = [ "10.9.0.10/32" ];
    snat = true; probe = { target = "10.9.0.1"; $1 };
    peers = ( { public_key = "$(wg_pubkey "$KS1")"; endpoint = "10.211.0.1:51820";
                allowed_ips = [ "10.9.0.0/24", "172.20.0.0/16" ]; persistent_keepalive = 25; } ); },
  { name = "backup"; interface = "$B"; private_key = "$KB"; address = [ "10.8.0.10/32" ];
    snat = true; probe = { target = "10.8.0.1"; $1 };
    peers = ( { public_key = "$(wg_pubkey "$KS2")"; endpoint = "10.212.0.1:51820";
                allowed_ips = [ "10.8.0.0/24", "172.20.0.0/16" ]; persistent_keepalive = 25; } ); }
);
groups = ( { name = "office"; routes = [ "172.20.0.0/16" ]; members = [ "primary", "backup" ];
             sources = [ "lan" ]; hold_ms = 0; } );
EOF
}
healthy() {
	wait_for 10 bash -c "[ \$(ip netns exec $(ns gw) '$WARREN' status --json -s '$SOCK' |
		grep -o '\"health\": *\"up\"' | wc -l) = 2 ] &&
		ip netns exec $(ns gw) '$WARREN' status --json -s '$SOCK' | grep -q '\"active\": *\"primary\"'"
}

# outage_once: one failover, in ms.
outage_once() {
	local rcv
	in_ns lan ping -n -q -i 0.01 -c 400 -W 1 172.20.0.1 >"$WT_DIR/ping.out" 2>&1 &
	local pid=$!
	sleep 1.5
	in_ns wan nft add rule inet t filt ip daddr 10.211.0.1 udp dport 51820 drop
	wait "$pid"
	in_ns wan nft flush chain inet t filt
	rcv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$WT_DIR/ping.out")
	echo $(((400 - rcv) * 10))
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# measure PROBE_SETTINGS: median outage over RUNS agent runs.
measure() {
	local i
	write_conf "$1"
	for ((i = 0; i < RUNS; i++)); do
		spawn gw agent "$WARREN" agent -c "$CONF"
		healthy || { echo "agent not ready" >&2; kill "$WT_LAST_PID"; continue; }
		outage_once
		kill "$WT_LAST_PID"; wait "$WT_LAST_PID" 2>/dev/null
	done | tee "$WT_DIR/runs" | median
}

default=$(measure "")
d_runs=$(xargs <"$WT_DIR/runs")
fast=$(measure "interval_ms = 50; timeout_ms = 50;")
f_runs=$(xargs <"$WT_DIR/runs")
printf '%-40s %12s %12s\n' "LAN outage when the active tunnel dies" "default" "50 ms probes"
printf '%-40s %9s ms %9s ms\n' "median of $RUNS ($WARREN_BACKEND)" "$default" "$fast"
printf '%-40s %12s %12s\n' "runs (ms)" "$d_runs" "$f_runs"
echo "(target: <= 1000 ms with the default settings; mwan3 defaults ~60 s)"
