#!/usr/bin/env bash
# tests/netns/t_agent.sh: `warren agent` with two tunnels: policy routing for the LAN and
# the host, SNAT on one tunnel only, repair of tampering, reload, crash and clean stop.
#
#   ns lan                  ns gw (warren agent)            ns wan (router)
#   192.168.10.10/24 ------ lanif 192.168.10.1/24
#   default via .1          wanif 10.201.0.1/24 ------------ 10.201.0.254/24
#                           default via 10.201.0.254         10.211.0.254/24 ---- ns s1 (hq server)
#                                                            10.212.0.254/24 ---- ns s2 (cloud server)
#   s1: 10.211.0.1, wg 10.9.0.1/24 :51820, behind it 172.16.0.1 (on lo);
#       wg 10.7.0.1/24 :51821 for tunnel far, whose endpoint is a host name
#       (far.warren.test) that resolves only once the test adds it to gw's hosts file
#   s2: 10.212.0.1, wg 10.8.0.1/24 :51820, "internet" 198.51.100.1 (on lo), no forwarding
#   gw tunnels: hq (172.16.0.0/16, snat) and cloud (member of group "internet" 0.0.0.0/0,
#   sources lan and host, no snat: s2 routes 192.168.10.0/24 back into its tunnel)
. "$(dirname "$0")/lib.sh"
require ip wg nc nft
need_warren

LANIF=$(lname lan) LANH=$(lname lanh) WANIF=$(lname wan) WANR=$(lname wanr)
R1=$(lname r1) S1IF=$(lname s1) R2=$(lname r2) S2IF=$(lname s2)
HQ=$(lname hq) CL=$(lname cl) FAR=$(lname far) WG1=$(lname wgs1) WG2=$(lname wgs2) WG3=$(lname wgs3)
ns_new lan gw wan s1 s2
ns_forward wan   # not gw: the agent turns forwarding on there, and back off at stop
veth lan "$LANH" 192.168.10.10/24 gw "$LANIF" 192.168.10.1/24
veth gw "$WANIF" 10.201.0.1/24 wan "$WANR" 10.201.0.254/24
veth wan "$R1" 10.211.0.254/24 s1 "$S1IF" 10.211.0.1/24
veth wan "$R2" 10.212.0.254/24 s2 "$S2IF" 10.212.0.1/24
ip -n "$(ns lan)" route add default via 192.168.10.1
ip -n "$(ns gw)" route add default via 10.201.0.254
ip -n "$(ns s1)" route add default via 10.211.0.254
ip -n "$(ns s2)" route add default via 10.212.0.254
addr_add s1 lo 172.16.0.1/32
addr_add s2 lo 198.51.100.1/32
KHQ=$(wg_genkey) KCL=$(wg_genkey) KFAR=$(wg_genkey) KS1=$(wg_genkey) KS2=$(wg_genkey) KS3=$(wg_genkey)
wg_dev s1 "$WG1" "$KS1" 51820 10.9.0.1/24
wg_add_peer s1 "$WG1" "$(wg_pubkey "$KHQ")" 10.9.0.10/32
wg_dev s2 "$WG2" "$KS2" 51820 10.8.0.1/24
wg_add_peer s2 "$WG2" "$(wg_pubkey "$KCL")" 10.8.0.10/32,192.168.10.0/24
ip -n "$(ns s2)" route add 192.168.10.0/24 dev "$WG2"
wg_dev s1 "$WG3" "$KS3" 51821 10.7.0.1/24
wg_add_peer s1 "$WG3" "$(wg_pubkey "$KFAR")" 10.7.0.10/32

# gw resolves names from its own hosts file only (ip netns exec mounts /etc/netns/NS/*):
# no lookup ever leaves the machine.
ETCNS=/etc/netns/$(ns gw)
mkdir -p "$ETCNS"
at_exit rm -rf "$ETCNS"
[ -e /etc/resolv.conf ] &&
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$ETCNS/resolv.conf"
printf '127.0.0.1 localhost\n' >"$ETCNS/hosts"

STATE=$WT_DIR/state SOCK=$WT_DIR/warren.sock CONF=$WT_DIR/warren.conf
write_conf() {
	cat >"$CONF" <<EOF
daemon = { state_dir = "$STATE"; socket = "$SOCK"; on_event = [ "$WT_DIR/event.sh", "arg 1" ]; };
lan = { interfaces = [ "$LANIF" ]; subnets = [ "192.168.10.0/24" ]; };
tunnels = (
  { name = "hq"; interface = "$HQ"; private_key = "$KHQ"; address = [ "10.9.0.10/32" ];
    snat = true; routes = [ "172.16.0.0/16", "10.9.0.0/24" ];
    peers = ( { public_key = "$(wg_pubkey "$KS1")"; endpoint = "10.211.0.1:51820";
                allowed_ips = [ "10.9.0.0/24", "172.16.0.0/16" ]; persistent_keepalive = 1; } ); },
  { name = "cloud"; interface = "$CL"; private_key = "$KCL"; address = [ $1 ];
    peers = ( { public_key = "$(wg_pubkey "$KS2")"; endpoint = "10.212.0.1:51820";
                allowed_ips = [ "0.0.0.0/0" ]; persistent_keepalive = 1; } ); ${2:-} },
  { name = "far"; interface = "$FAR"; private_key = "$KFAR"; address = [ "10.7.0.10/32" ];
    peers = ( { public_key = "$(wg_pubkey "$KS3")"; endpoint = "far.warren.test:51821";
                allowed_ips = [ "10.7.0.0/24" ]; } ); }
);
groups = ( { name = "internet"; routes = [ "0.0.0.0/0" ]; members = [ "cloud" ];
             sources = [ "lan", "host" ]; fallback = "blackhole"; } );
EOF
}
# on_event gets argv as given (no shell) and the event in its environment.
cat >"$WT_DIR/event.sh" <<'EOF'
#!/bin/sh
echo "$1|$WARREN_EVENT|$WARREN_TUNNEL|$WARREN_GROUP|$WARREN_ACTIVE|$WARREN_PREVIOUS" >>"${0%/*}/events.log"
EOF
chmod +x "$WT_DIR/event.sh"
write_conf '"10.8.0.10/32"'
state_save gw before
FWD=$(in_ns gw sysctl -n net.ipv4.ip_forward)

# start_agent LOG N: call directly (not in $(...) or check) so the pid is tracked; waits
# for N tunnels up.
start_agent() {
	spawn gw "agent$1" "$WARREN" agent -c "$CONF"
	AGENT=$WT_LAST_PID
	wait_for 10 test -S "$SOCK" && tunnels_up "$2"
}
tunnels_up() {   # tunnels_up N [SECONDS]
	wait_for "${2:-10}" bash -c \
		"'$WARREN' status --json -s '$SOCK' 2>/dev/null | grep -o '\"state\": *\"up\"' | wc -l | grep -qx $1"
}
status_json() { in_ns gw "$WARREN" status --json -s "$SOCK"; }

start_agent 1 2
check "the agent starts and hq and cloud come up" test $? = 0
check "far waits for its name without holding the others up" bash -c \
	"'$WARREN' status --json -s '$SOCK' | grep -q '\"name\": *\"far\",[^}]*\"state\": *\"resolving\"'"
check_eq "the agent turned forwarding on" 1 "$(in_ns gw sysctl -n net.ipv4.ip_forward)"
wait_for 2 grep -q "group-switch" "$WT_DIR/events.log"
check "on_event ran for hq coming up" grep -qx "arg 1|tunnel-up|hq|||" "$WT_DIR/events.log"
check "on_event ran for the group's first active member" \
	grep -qx "arg 1|group-switch||internet|cloud|" "$WT_DIR/events.log"
check "LAN host reaches the network behind hq" ping_ok lan 172.16.0.1
check "LAN host reaches the internet through cloud" ping_ok lan 198.51.100.1
check "the gateway itself reaches the internet through cloud" ping_ok gw 198.51.100.1

# Who does the far end see? hq SNATs to its tunnel address; cloud carries the LAN address.
spawn s1 nc1 nc -n -l -v 172.16.0.1 5001
spawn s2 nc2 nc -n -l -v 198.51.100.1 5002
sleep 0.3
echo one | in_ns lan nc -n -N -w 3 172.16.0.1 5001
echo two | in_ns lan nc -n -N -w 3 198.51.100.1 5002
wait_for 3 grep -q one "$WT_DIR/nc1.log"; wait_for 3 grep -q two "$WT_DIR/nc2.log"
check "hq's far end sees the tunnel address (snat = true)" \
	grep -q "^Connection received on 10.9.0.10 " "$WT_DIR/nc1.log"
check "cloud's far end sees the LAN address (snat = false)" \
	grep -q "^Connection received on 192.168.10.10 " "$WT_DIR/nc2.log"
check "replies from the gateway's own WAN address stay on main" ping_ok wan 10.201.0.1
check "the underlay next hop is still reached directly" ping_ok gw 10.201.0.254

# The name appears: far comes up on its own, within its retry backoff (which has grown
# to 32 s when the run got here slowly, as under emulation).
echo "10.211.0.1 far.warren.test" >>"$ETCNS/hosts"
tunnels_up 3 40
check "far comes up once its name resolves" test $? = 0
check "far carries traffic" ping_ok gw 10.7.0.1

st=$(status_json)
check "status --json names the tunnels up" bash -c \
	'[ "$(grep -o "\"state\": *\"up\"" <<<"$1" | wc -l)" = 3 ]' _ "$st"
check "status --json shows the group's active member" grep -q '"active": *"cloud"' <<<"$st"
check "status (text) shows the tunnels" bash -c "in_ns() { ip netns exec \"\$1\" \"\${@:2}\"; }; \
	ip netns exec $(ns gw) '$WARREN' status -s '$SOCK' | grep -q '^tunnel hq: $HQ'"
check "nftables masquerades LAN traffic into hq only" bash -c \
	"ip netns exec $(ns gw) nft list table inet warren | grep -q 'oifname \"$HQ\" ip saddr 192.168.10.0/24 masquerade' &&
	 ! ip netns exec $(ns gw) nft list table inet warren | grep -q 'oifname \"$CL\" .*masquerade'"

# TCP MSS is clamped to the tunnel's path MTU: hq's far end sees 1380 (1420 - 40), not 1460.
spawn s1 syn tcpdump -n -v -i "$WG1" -c 1 'tcp[tcpflags] & tcp-syn != 0 and dst port 5004'
spawn s1 nc4 nc -n -l 172.16.0.1 5004
sleep 0.5
echo mss | in_ns lan nc -n -N -w 3 172.16.0.1 5004
wait_for 3 grep -q "mss" "$WT_DIR/syn.log"
check "the SYN through hq carries the clamped MSS 1380" grep -q "mss 1380" "$WT_DIR/syn.log"

# A packet for a tunnel's own address arriving from the LAN is dropped (anti-spoofing).
ip -n "$(ns lan)" route add 10.9.0.10/32 via 192.168.10.1
check_not "the LAN cannot reach hq's tunnel address from outside the tunnel" \
	in_ns lan ping -n -c 1 -W 1 10.9.0.10
ip -n "$(ns lan)" route del 10.9.0.10/32

# Nothing enters the LAN from a tunnel unless the LAN asked for it, or the tunnel allows it.
spawn lan nc-in nc -n -l -k 192.168.10.10 5003
sleep 0.3
check_not "a new connection from cloud's side into the LAN is refused" \
	in_ns s2 nc -n -z -w 2 -s 10.8.0.1 192.168.10.10 5003

# A userspace implementation that dies is restarted.
if [ "$WARREN_BACKEND" = userspace ]; then
	pkill -9 -f "wireguard-go -f $HQ\$"
	check "hq's implementation is restarted after it died" wait_for 10 ping_ok lan 172.16.0.1 1
else
	skip "hq's implementation is restarted after it died" "kernel backend has no process"
fi

# Tampering is repaired within a second.
rules_before=$(in_ns gw ip rule show | grep -c 'proto 57')
in_ns gw nft delete table inet warren
check "a deleted nft table is restored within 1 s" wait_for 1 in_ns gw nft list table inet warren
tbl=$(in_ns gw ip route show table all | awk '/172.16.0.0\/16/ { for (i = 1; i <= NF; i++) if ($i == "table") print $(i + 1) }' | head -n1)
in_ns gw ip route del 172.16.0.0/16 table "$tbl"
check "a deleted route is restored within 1 s" wait_for 1 bash -c \
	"ip -n $(ns gw) route show table $tbl | grep -q '^172.16.0.0/16'"
prio=$(in_ns gw ip rule show | awk -F: '/proto 57/ && /suppress_prefixlength 0/ { print $1; exit }')
in_ns gw ip rule del pref "$prio"
check "a deleted rule is restored within 1 s" wait_for 1 bash -c \
	"ip -n $(ns gw) rule show | grep -q '^$prio:.*suppress_prefixlength 0'"
in_ns gw ip link set "$HQ" down
check "a link set down is brought up within 1 s" wait_for 1 bash -c \
	"ip -n $(ns gw) link show $HQ | grep -q '[<,]UP[,>]'"
check "traffic through hq works after the repairs" ping_ok lan 172.16.0.1

# A converge with nothing to do writes nothing: reload the same file. The repairs above
# may still have one converge due (they are rate-limited): wait until the count rests.
converges() { status_json | grep -o '"converges": *[0-9]*' | grep -o '[0-9]*$'; }
resting() { local a; a=$(converges); sleep 0.6; [ "$a" = "$(converges)" ]; }
wait_for 5 resting
w0=$(status_json | grep -o '"writes": *[0-9]*' | grep -o '[0-9]*$')
c0=$(status_json | grep -o '"converges": *[0-9]*' | grep -o '[0-9]*$')
check "reload of an unchanged file exits 0" in_ns gw "$WARREN" reload -s "$SOCK"
check_eq "it converged once more" $((c0 + 1)) "$(status_json | grep -o '"converges": *[0-9]*' | grep -o '[0-9]*$')"
check_eq "and made no netlink write" "$w0" "$(status_json | grep -o '"writes": *[0-9]*' | grep -o '[0-9]*$')"

# A reload that changes cloud leaves hq's session alone.
hs=$(in_ns gw wg show "$HQ" latest-handshakes | awk '{ print $2 }')
rx=$(in_ns gw wg show "$HQ" transfer | awk '{ print $2 }')
write_conf '"10.8.0.10/32", "10.8.1.10/32"' 'allow_inbound = true;'
check "warren reload exits 0" in_ns gw "$WARREN" reload -s "$SOCK"
check "the reload added cloud's new address" wait_for 2 bash -c \
	"ip -n $(ns gw) addr show dev $CL | grep -q 10.8.1.10/32"
check "with allow_inbound, cloud's side may connect into the LAN" \
	in_ns s2 nc -n -z -w 2 -s 10.8.0.1 192.168.10.10 5003
check_eq "hq's handshake time survived the reload" "$hs" "$(in_ns gw wg show "$HQ" latest-handshakes | awk '{ print $2 }')"
check "hq's counters were not reset" test "$(in_ns gw wg show "$HQ" transfer | awk '{ print $2 }')" -ge "$rx"

# A broken configuration on reload: the old one keeps running, the error is reported.
cp "$CONF" "$WT_DIR/good.conf"
sed -i 's/persistent_keepalive = 1; } ); },/persistent_keepalive = 99999; } ); },/' "$CONF"
out=$(in_ns gw "$WARREN" reload -s "$SOCK" 2>&1); rc=$?
check_eq "reload of a broken file exits 1" 1 "$rc"
check "and prints FILE:LINE" grep -q "^$CONF:[0-9]*: tunnel hq: peer 1: persistent_keepalive" <<<"$out"
check "the tunnels keep working" ping_ok lan 172.16.0.1
cp "$WT_DIR/good.conf" "$CONF"

# kill -9, then a new agent converges without duplicating anything.
state_save gw running
kill -9 "$AGENT"; wait "$AGENT" 2>/dev/null
start_agent 2 3
check "after kill -9 a new agent starts" test $? = 0
check_eq "no duplicate rules after the restart" "$rules_before" "$(in_ns gw ip rule show | grep -c 'proto 57')"
check_state "the restarted agent converged to the same state" gw running
check "traffic flows after the restart" ping_ok lan 198.51.100.1

kill -TERM "$AGENT"
check "SIGTERM stops the agent" wait_for 10 bash -c "! kill -0 $AGENT 2>/dev/null"
check_state "after stop the gateway is as before the agent started" gw before
check_eq "forwarding is back as it was" "$FWD" "$(in_ns gw sysctl -n net.ipv4.ip_forward)"
check "the control socket is gone" test ! -e "$SOCK"
finish
