#!/usr/bin/env bash
# tests/netns/t_up_fulltunnel.sh: full tunnels (0.0.0.0/0 and ::/0) whose endpoints lie inside
# their own routes: no loop, a second full tunnel does not chain through the first, and
# `down` is exact even after the link was deleted by hand.
#
#   ns a (warren up)          ns b (router, server 1)          ns c (server 2, "internet")
#   +------------------+ veth +-------------------------+ veth +--------------------------+
#   | ua 10.201.0.1/24 |------| ub 10.201.0.2/24        |------| cb 10.204.0.2/24         |
#   |    fd20:1::1/64  |      |    fd20:1::2/64         |  bc  |    fd20:4::2/64          |
#   | default via b    |      | bc 10.204.0.1/24        |      | default via b            |
#   |                  |      |    fd20:4::1/64         |      | lo 198.51.100.1/32       |
#   | wg1 10.202.0.1   |======| wgb 10.202.0.2/24 :51820|      |    2001:db8:100::1/128   |
#   |     fd20:2::1    |  wg  |     fd20:2::2/64        |      | wgc 10.203.0.2/24 :51821 |
#   | wg2 10.203.0.1   |=================(through b)==========|                          |
#   +------------------+      +-------------------------+      +--------------------------+
. "$(dirname "$0")/lib.sh"
require ip wg nc
need_warren

UA=$(lname ua) UB=$(lname ub) BC=$(lname bc) CB=$(lname cb)
WG1=$(lname wg1) WG2=$(lname wg2) WGB=$(lname wgb) WGC=$(lname wgc)
ns_new a b c
ns_forward b
veth a "$UA" 10.201.0.1/24,fd20:1::1/64 b "$UB" 10.201.0.2/24,fd20:1::2/64
veth b "$BC" 10.204.0.1/24,fd20:4::1/64 c "$CB" 10.204.0.2/24,fd20:4::2/64
ip -n "$(ns a)" route add default via 10.201.0.2
ip -n "$(ns a)" -6 route add default via fd20:1::2
ip -n "$(ns c)" route add default via 10.204.0.1
ip -n "$(ns c)" -6 route add default via fd20:4::1
addr_add c lo 198.51.100.1/32,2001:db8:100::1/128
ip -n "$(ns b)" route add 198.51.100.0/24 via 10.204.0.2
ip -n "$(ns b)" -6 route add 2001:db8:100::/48 via fd20:4::2
K1=$(wg_genkey) K2=$(wg_genkey) KB=$(wg_genkey) KC=$(wg_genkey)
wg_dev b "$WGB" "$KB" 51820 10.202.0.2/24,fd20:2::2/64
wg_add_peer b "$WGB" "$(wg_pubkey "$K1")" 10.202.0.1/32,fd20:2::1/128
wg_dev c "$WGC" "$KC" 51821 10.203.0.2/24
wg_add_peer c "$WGC" "$(wg_pubkey "$K2")" 10.203.0.1/32
STATE=$WT_DIR/state
state_save a before
SVM=$(in_ns a sysctl -n net.ipv4.conf.all.src_valid_mark)

cat >"$WT_DIR/$WG1.conf" <<EOF
[Interface]
PrivateKey = $K1
Address = 10.202.0.1/24, fd20:2::1/64
[Peer]
PublicKey = $(wg_pubkey "$KB")
Endpoint = 10.201.0.2:51820
AllowedIPs = 0.0.0.0/0, ::/0
EOF
cat >"$WT_DIR/$WG2.conf" <<EOF
[Interface]
PrivateKey = $K2
Address = 10.203.0.1/24
[Peer]
PublicKey = $(wg_pubkey "$KC")
Endpoint = 10.204.0.2:51821
AllowedIPs = 0.0.0.0/0
EOF

check "full tunnel up exits 0" warren_in a up --state-dir "$STATE" "$WT_DIR/$WG1.conf"
tx0=$(in_ns a cat /sys/class/net/"$UA"/statistics/tx_packets)
check "the internet is reached over IPv4" ping_ok a 198.51.100.1
check "the internet is reached over IPv6" ping_ok a 2001:db8:100::1
in_ns a ping -n -q -c 10 -i 0.05 198.51.100.1 >/dev/null
tx1=$(in_ns a cat /sys/class/net/"$UA"/statistics/tx_packets)
check "no loop: the underlay carried a bounded number of packets ($((tx1 - tx0)))" \
	test $((tx1 - tx0)) -lt 40
check "the underlay next hop is still reached directly" ping_ok a 10.201.0.2
spawn c nc-listen nc -n -l -v 198.51.100.1 5002
sleep 0.3
echo through | in_ns a nc -n -N -w 3 198.51.100.1 5002
wait_for 3 grep -q through "$WT_DIR/nc-listen.log"
check "the internet host sees the tunnel address" \
	grep -q "^Connection received on 10.202.0.1 " "$WT_DIR/nc-listen.log"
check_eq "src_valid_mark is on while a full tunnel is up" 1 \
	"$(in_ns a sysctl -n net.ipv4.conf.all.src_valid_mark)"

# The second full tunnel's endpoint is reachable only through the default route. Its
# encrypted packets carry warren's mark, so they skip the first tunnel's table.
check "second full tunnel up exits 0" warren_in a up --state-dir "$STATE" "$WT_DIR/$WG2.conf"
check "the second tunnel carries traffic" ping_ok a 10.203.0.2
check_eq "server 2 sees the underlay address, not a chain through tunnel 1" 10.201.0.1 \
	"$(in_ns c wg show "$WGC" endpoints | awk '{ sub(/:[0-9]+$/, "", $2); print $2 }')"
check "the first tunnel still carries the default route" ping_ok a 198.51.100.1
check_eq "rules sit in warren's range with its protocol" \
	"6200 6201 6202 6203" "$(in_ns a ip -4 rule show | grep ' proto 57' | cut -d: -f1 | xargs)"

check "down of the second exits 0" warren_in a down --state-dir "$STATE" "$WT_DIR/$WG2.conf"
check_eq "src_valid_mark stays on while the first needs it" 1 \
	"$(in_ns a sysctl -n net.ipv4.conf.all.src_valid_mark)"
check "the first tunnel still works" ping_ok a 198.51.100.1

# Someone deletes the link by hand: its rules stay behind until down removes them.
ip -n "$(ns a)" link del "$WG1"
check "down after the link was deleted by hand exits 0" \
	warren_in a down --state-dir "$STATE" "$WT_DIR/$WG1.conf"
check_state "the namespace is as before the first up" a before
check_eq "src_valid_mark is restored" "$SVM" "$(in_ns a sysctl -n net.ipv4.conf.all.src_valid_mark)"
finish
