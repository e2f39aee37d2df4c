#!/usr/bin/env bash
# tests/netns/t_failover.sh: a failover group of two tunnels with probes: the LAN's outage
# when the primary dies, recovery after the hold, no group flapping when the primary
# flaps, fail-closed and fail-open with every member down.
#
#   ns lan             ns gw (warren agent)          ns wan (router)          ns s1 (primary)
#   192.168.10.10 ---- 192.168.10.1                                    .----- 10.211.0.1, wg 10.9.0.1 :51820
#                      10.201.0.1 ------------------ 10.201.0.254 ----+
#                                                                      '----- ns s2 (backup)
#                                                                             10.212.0.1, wg 10.8.0.1 :51820
#   s1 and s2 both reach the same office network 172.20.0.0/16 (host 172.20.0.1 on each
#   one's lo). The WAN router also knows 172.20.0.0/16 via s1, so traffic that leaves the
#   gateway unencrypted (fail open) still arrives and can be seen on the WAN link.
. "$(dirname "$0")/lib.sh"
require ip wg nft tcpdump
need_warren

LANIF=$(lname lan) LANH=$(lname lanh) WANIF=$(lname wan) WANR=$(lname wanr)
R1=$(lname r1) S1IF=$(lname s1) R2=$(lname r2) S2IF=$(lname s2)
P=$(lname pri) B=$(lname bak) WG1=$(lname wgs1) WG2=$(lname wgs2)
ns_new lan gw wan s1 s2
ns_forward wan
veth lan "$LANH" 192.168.10.10/24 gw "$LANIF" 192.168.10.1/24
veth gw "$WANIF" 10.201.0.1/24 wan "$WANR" 10.201.0.254/24
veth wan "$R1" 10.211.0.254/24 s1 "$S1IF" 10.211.0.1/24
veth wan "$R2" 10.212.0.254/24 s2 "$S2IF" 10.212.0.1/24
ip -n "$(ns lan)" route add default via 192.168.10.1
ip -n "$(ns gw)" route add default via 10.201.0.254
ip -n "$(ns wan)" route add 172.20.0.0/16 via 10.211.0.1
ip -n "$(ns wan)" route add 192.168.10.0/24 via 10.201.0.1
ip -n "$(ns s1)" route add default via 10.211.0.254
ip -n "$(ns s2)" route add default via 10.212.0.254
addr_add s1 lo 172.20.0.1/32
addr_add s2 lo 172.20.0.1/32
KP=$(wg_genkey) KB=$(wg_genkey) KS1=$(wg_genkey) KS2=$(wg_genkey)
wg_dev s1 "$WG1" "$KS1" 51820 10.9.0.1/24
wg_add_peer s1 "$WG1" "$(wg_pubkey "$KP")" 10.9.0.10/32
wg_dev s2 "$WG2" "$KS2" 51820 10.8.0.1/24
wg_add_peer s2 "$WG2" "$(wg_pubkey "$KB")" 10.8.0.10/32

STATE=$WT_DIR/state SOCK=$WT_DIR/warren.sock CONF=$WT_DIR/warren.conf
write_conf() {
	cat >"$CONF" <<EOF
daemon = { state_dir = "$STATE"; socket = "$SOCK"; };
lan = { interfaces = [ "$LANIF" ]; subnets = [ "192.168.10.0/24" ]; };
tunnels = (
  { name = "primary"; interface = "$P"; private_key = "$KP"; address = [ "10.9.0.10/32" ];
    snat = true; probe = { target = "10.9.0.1"; };
    peers = ( { public_key = "$(wg_pubkey "$KS1")"; endpoint = "10.211.0.1:51820";
                allowed_ips = [ "10.9.0.0/24", "172.20.0.0/16" ]; persistent_keepalive = 25; } ); },
  { name = "backup"; interface = "$B"; private_key = "$KB"; address = [ "10.8.0.10/32" ];
    snat = true; probe = { target = "10.8.0.1"; };
    peers = ( { public_key = "$(wg_pubkey "$KS2")"; endpoint = "10.212.0.1:51820";
                allowed_ips = [ "10.8.0.0/24", "172.20.0.0/16" ]; persistent_keepalive = 25; } ); }
);
groups = ( { name = "office"; routes = [ "172.20.0.0/16" ]; members = [ "primary", "backup" ];
             sources = [ "lan" ]; fallback = "$1"; hold_ms = 1000; } );
EOF
}
write_conf blackhole
status_json() { in_ns gw "$WARREN" status --json -s "$SOCK" 2>/dev/null; }
active() { status_json | grep -o '"active": *[^,}]*' | sed 's/.*: *//; s/"//g'; }
switches() { status_json | grep -o '"switches": *[0-9]*' | grep -o '[0-9]*$'; }
# drop NAME SERVER_IP: the WAN router silently drops that server's WireGuard traffic.
drop() { in_ns wan nft add rule inet t filt ip daddr "$2" udp dport 51820 drop comment "\"$1\""; in_ns wan nft add rule inet t filt ip saddr "$2" udp sport 51820 drop comment "\"$1\""; }
undrop() {
	local h
	for h in $(in_ns wan nft -a list chain inet t filt | awk -v c="\"$1\"" '$0 ~ c { print $NF }'); do
		in_ns wan nft delete rule inet t filt handle "$h"
	done
}
in_ns wan nft add table inet t
in_ns wan nft add chain inet t filt '{ type filter hook forward priority 0; }'

spawn s1 office1 nc -n -l -k 172.20.0.1 5005
spawn s2 office2 nc -n -l -k 172.20.0.1 5005
spawn gw agent "$WARREN" agent -c "$CONF"
check "both tunnels healthy" wait_for 10 bash -c \
	"[ \$(ip netns exec $(ns gw) '$WARREN' status --json -s '$SOCK' | grep -o '\"health\": *\"up\"' | wc -l) = 2 ]"
check_eq "the group starts on the primary" primary "$(active)"
check "status shows each probe's health, RTT and loss" bash -c \
	"ip netns exec $(ns gw) '$WARREN' status -s '$SOCK' | grep -Eq '^  probe up since [0-9:]+  rtt [0-9]+\.[0-9] ms  loss 0%\$'"
check "the LAN reaches the office" ping_ok lan 172.20.0.1

# The primary dies while the LAN host sends 50 packets a second.
in_ns lan ping -n -q -i 0.02 -c 250 -W 1 172.20.0.1 >"$WT_DIR/ping.out" 2>&1 &
PING=$!
sleep 1.5
drop primary 10.211.0.1
wait "$PING"
rcv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$WT_DIR/ping.out")
outage=$(((250 - rcv) * 20))
diag "outage when the primary died: $outage ms ($((250 - rcv)) of 250 packets lost)"
check "the outage is at most 1 s with the default probe settings" test "$outage" -le 1000
check_eq "the group moved to the backup" backup "$(active)"
check "a new TCP connection to the office works through the backup" in_ns lan nc -n -z -w 2 172.20.0.1 5005

# The primary comes back: the group waits for the hold before moving back.
undrop primary
check "the primary's probe recovers" wait_for 5 bash -c \
	"ip netns exec $(ns gw) '$WARREN' status --json -s '$SOCK' | grep -q '\"name\": *\"primary\",[^]]*\"health\": *\"up\"'"
check_eq "right after recovering, the backup keeps the group (hold)" backup "$(active)"
check "after the hold the primary wins back" wait_for 10 bash -c \
	"ip netns exec $(ns gw) '$WARREN' status --json -s '$SOCK' | grep -q '\"active\": *\"primary\"'"

# The primary flaps at 1 Hz for 8 s: the group does not flap with it.
sw0=$(switches)
for i in 1 2 3 4 5 6 7 8; do drop primary 10.211.0.1; sleep 0.5; undrop primary; sleep 0.5; done
sleep 1
sw1=$(switches)
diag "group switches while the primary flapped at 1 Hz for 8 s: $((sw1 - sw0))"
check "flapping at 1 Hz moves the group at most once" test $((sw1 - sw0)) -le 1
check "the office is reachable after the flapping" ping_ok lan 172.20.0.1 5

# Every member down, fail closed: nothing from the LAN leaves on the WAN link.
drop primary 10.211.0.1; drop backup 10.212.0.1
check "with every member down the group has no active member" wait_for 5 bash -c \
	"ip netns exec $(ns gw) '$WARREN' status --json -s '$SOCK' | grep -q '\"active\": *null'"
spawn gw cap tcpdump -n -i "$WANIF" -c 1 'host 172.20.0.1 and icmp'
sleep 0.5
in_ns lan ping -n -c 3 -W 1 172.20.0.1 >/dev/null 2>&1
sleep 0.5
check_eq "fail closed: the WAN capture saw no LAN packet" "" "$(grep 'ICMP' "$WT_DIR/cap.log")"

# Fail open: the same with fallback = "main" sends the LAN's traffic out natively.
write_conf main
check "reload to fallback main" in_ns gw "$WARREN" reload -s "$SOCK"
check "fail open: the LAN reaches the office over the WAN" ping_ok lan 172.20.0.1
check "and the WAN link carried it" wait_for 2 grep -q "192.168.10.10 > 172.20.0.1: ICMP" "$WT_DIR/cap.log"
finish
