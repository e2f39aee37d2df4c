#!/usr/bin/env bash
# tests/netns/t_warp.sh: WARP-style family bridging. An IPv6-only gateway and its LAN reach
# IPv4 through a tunnel limited to IPv4, imported from a wgcf-style profile whose endpoint
# name has only an IPv6 address; the gateway's IPv6 traffic stays native.
#
#   ns lan                ns gw (warren agent)           ns isp (IPv6 router)        ns warp (server)
#   192.168.10.10/24 ---- 192.168.10.1/24
#                         2001:db8:1::1/64 ------------- 2001:db8:1::fe/64
#                         (no IPv4 underlay)             2001:db8:2::fe/64 --------- 2001:db8:2::1/64
#                                                        lo 2001:db8:ff::1 (native)  wg 172.16.0.1/24 :2408
#                                                                                    lo 198.51.100.1 (IPv4)
. "$(dirname "$0")/lib.sh"
require ip wg tcpdump
need_warren

LANIF=$(lname lan) LANH=$(lname lanh) G6=$(lname g6) I6=$(lname i6) I7=$(lname i7) W6=$(lname w6)
WP=$(lname warp) WS=$(lname wgws)
ns_new lan gw isp warp
ns_forward isp
veth lan "$LANH" 192.168.10.10/24 gw "$LANIF" 192.168.10.1/24
veth gw "$G6" 2001:db8:1::1/64 isp "$I6" 2001:db8:1::fe/64
veth isp "$I7" 2001:db8:2::fe/64 warp "$W6" 2001:db8:2::1/64
ip -n "$(ns lan)" route add default via 192.168.10.1
ip -n "$(ns gw)" -6 route add default via 2001:db8:1::fe
ip -n "$(ns warp)" -6 route add default via 2001:db8:2::fe
addr_add isp lo 2001:db8:ff::1/128
addr_add warp lo 198.51.100.1/32
KG=$(wg_genkey) KW=$(wg_genkey)
wg_dev warp "$WS" "$KW" 2408 172.16.0.1/24
wg_add_peer warp "$WS" "$(wg_pubkey "$KG")" 172.16.0.2/32

# The endpoint's name has only an IPv6 address (gw's own hosts file; no lookup leaves).
ETCNS=/etc/netns/$(ns gw)
mkdir -p "$ETCNS"
at_exit rm -rf "$ETCNS"
printf '2001:db8:2::1 engage.warp.test\n' >"$ETCNS/hosts"
[ -e /etc/resolv.conf ] && printf 'nameserver ::1\noptions timeout:1 attempts:1\n' >"$ETCNS/resolv.conf"

cat >"$WT_DIR/wgcf-profile.conf" <<EOF
[Interface]
PrivateKey = $KG
Address = 172.16.0.2/32
Address = fd01:5ca1:ab1e::2/128
DNS = 192.0.2.53
MTU = 1280
[Peer]
PublicKey = $(wg_pubkey "$KW")
AllowedIPs = 0.0.0.0/0
AllowedIPs = ::/0
Endpoint = engage.warp.test:2408
EOF
SOCK=$WT_DIR/warren.sock CONF=$WT_DIR/warren.conf
cat >"$CONF" <<EOF
daemon = { state_dir = "$WT_DIR/state"; socket = "$SOCK"; };
lan = { interfaces = [ "$LANIF" ]; subnets = [ "192.168.10.0/24" ]; };
tunnels = ( { name = "warp"; interface = "$WP"; import = "wgcf-profile.conf";
              families = [ "ipv4" ]; snat = true; } );
groups = ( { name = "v4"; routes = [ "0.0.0.0/0" ]; members = [ "warp" ];
             sources = [ "lan", "host" ]; fallback = "main"; } );
EOF
state_save gw before
spawn gw agent "$WARREN" agent -c "$CONF"
AGENT=$WT_LAST_PID
check "the agent brings warp up" wait_for 10 bash -c \
	"ip netns exec $(ns gw) '$WARREN' status --json -s '$SOCK' 2>/dev/null | grep -q '\"state\": *\"up\"'"
check_eq "the endpoint is the name's IPv6 address" "[2001:db8:2::1]:2408" \
	"$(in_ns gw wg show "$WP" endpoints | awk '{ print $2 }')"
check "the IPv6-only gateway reaches IPv4 through warp" ping_ok gw 198.51.100.1
check "its LAN reaches IPv4 through warp" ping_ok lan 198.51.100.1

# IPv6 stays native: the capture on the ISP link sees the gateway's own echo in clear.
spawn gw cap6 tcpdump -n -i "$G6" -c 1 'icmp6 and dst host 2001:db8:ff::1'
sleep 0.5
check "the gateway reaches native IPv6" ping_ok gw 2001:db8:ff::1
wait_for 2 grep -q "2001:db8:ff::1" "$WT_DIR/cap6.log"
check "native IPv6 left on the ISP link, not through warp" \
	grep -q "2001:db8:1::1 > 2001:db8:ff::1: ICMP6, echo request" "$WT_DIR/cap6.log"

# The IPv4-only tunnel never carries IPv6: no IPv6 address, route or allowed IP.
check_eq "no global IPv6 address on warp" "" "$(in_ns gw ip -6 -o addr show dev "$WP" scope global)"
check_eq "no IPv6 route through warp in any table" "" \
	"$(in_ns gw ip -6 route show table all dev "$WP" | grep -v 'fe80::\|^multicast ff00::/8')"
check_eq "WireGuard accepts only IPv4 from the peer" "0.0.0.0/0" \
	"$(in_ns gw wg show "$WP" allowed-ips | awk '{ print $2 }')"

kill -TERM "$AGENT"
wait_for 10 bash -c "! kill -0 $AGENT 2>/dev/null"
check_state "after stop the gateway is as before" gw before
finish
