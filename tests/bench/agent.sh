#!/usr/bin/env bash
# tests/bench/agent.sh: the agent's footprint with 8 tunnels: resident memory, wakeups
# while idle, and netlink writes of a converge with nothing to do. Not a pass/fail test.
#
#   ns gw (warren agent, 8 tunnels) ---- veth ---- ns srv (8 wireguard-go servers)
#   10.201.0.1/24                                  10.201.0.2/24, ports 51821-51828
#
# IDLE_SECONDS (default 60) sets how long wakeups are counted.
. "$(dirname "$0")/../netns/lib.sh"
require ip wg
need_warren
IDLE_SECONDS=${IDLE_SECONDS:-60}
N=8

GW=$(lname gw) SRV=$(lname srv)
ns_new gw srv
veth gw "$GW" 10.201.0.1/24 srv "$SRV" 10.201.0.2/24
CONF=$WT_DIR/warren.conf SOCK=$WT_DIR/warren.sock
{
	echo "daemon = { state_dir = \"$WT_DIR/state\"; socket = \"$SOCK\"; };"
	echo "tunnels = ("
	for ((i = 1; i <= N; i++)); do
		kc=$(wg_genkey) ks=$(wg_genkey) ifs=$(lname s$i) ifc=$(lname t$i)
		wg_dev srv "$ifs" "$ks" $((51820 + i)) 10.$((100 + i)).0.1/24 >/dev/null
		wg_add_peer srv "$ifs" "$(wg_pubkey "$kc")" 10.$((100 + i)).0.2/32
		[ $i -gt 1 ] && echo ","
		echo "{ name = \"t$i\"; interface = \"$ifc\"; private_key = \"$kc\";"
		echo "  address = [ \"10.$((100 + i)).0.2/32\" ]; routes = [ \"10.$((100 + i)).0.0/24\" ];"
		echo "  peers = ( { public_key = \"$(wg_pubkey "$ks")\"; endpoint = \"10.201.0.2:$((51820 + i))\";"
		echo "              allowed_ips = [ \"10.$((100 + i)).0.0/24\" ]; persistent_keepalive = 25; } ); }"
	done
	echo ");"
} >"$CONF"

spawn gw agent "$WARREN" agent -c "$CONF"
AGENT=$WT_LAST_PID
status() { in_ns gw "$WARREN" status --json -s "$SOCK" 2>/dev/null; }
wait_for 20 bash -c "[ \"\$(ip netns exec $(ns gw) '$WARREN' status --json -s '$SOCK' 2>/dev/null |
	grep -o '\"state\": *\"up\"' | wc -l)\" = $N ]" || { echo "the agent did not bring $N tunnels up"; exit 1; }
for ((i = 1; i <= N; i++)); do ping_ok gw 10.$((100 + i)).0.1 >/dev/null; done

pid=$(pgrep -f "warren agent -c $CONF" | head -n1)
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
field() { grep -o "\"$1\": *[0-9]*" | grep -o '[0-9]*$'; }
w0=$(status | field writes)
in_ns gw "$WARREN" reload -s "$SOCK"
w1=$(status | field writes)
ctx() { awk '/ctxt_switches/ { s += $2 } END { print s }' "/proc/$pid/status"; }
sleep 2
c0=$(ctx); sleep "$IDLE_SECONDS"; c1=$(ctx)

printf '%-44s %10s %10s\n' "figure (8 tunnels, $WARREN_BACKEND backend)" measured target
printf '%-44s %9.1f MB %10s\n' "agent resident memory (VmRSS)" "$(echo "$rss / 1024" | bc -l)" "<= 5 MB"
printf '%-44s %8.2f/s %10s\n' "idle wakeups (context switches, ${IDLE_SECONDS} s)" \
	"$(echo "($c1 - $c0) / $IDLE_SECONDS" | bc -l)" "<= 1/s"
printf '%-44s %10d %10s\n' "netlink writes of a no-op converge (reload)" $((w1 - w0)) 0
