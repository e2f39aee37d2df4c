#!/usr/bin/env bash
# tests/netns/t_up_wgquick.sh: `warren up` of plain wg-quick files: traffic crosses over IPv4
# and IPv6 underlays, `up` twice changes nothing, `down` leaves the namespace as it was.
#
#   ns a (warren up)                     ns b (server, wg peer)
#   +-------------------------+  veth   +-------------------------+
#   | ua  10.201.0.1/24       |---------| ub  10.201.0.2/24       |
#   |     fd20:1::1/64        |         |     fd20:1::2/64        |
#   | wga 10.202.0.1/24       |=========| wgb 10.202.0.2/24       |
#   |     fd20:2::1/64        |   wg    |     fd20:2::2/64 :51820 |
#   +-------------------------+         +-------------------------+
. "$(dirname "$0")/lib.sh"
require ip wg nc
need_warren

UA=$(lname ua) UB=$(lname ub) WGA=$(lname wga) WGB=$(lname wgb)
ns_new a b
veth a "$UA" 10.201.0.1/24,fd20:1::1/64 b "$UB" 10.201.0.2/24,fd20:1::2/64
KA=$(wg_genkey) KB=$(wg_genkey)
wg_dev b "$WGB" "$KB" 51820 10.202.0.2/24,fd20:2::2/64
wg_add_peer b "$WGB" "$(wg_pubkey "$KA")" 10.202.0.1/32,fd20:2::1/128
STATE=$WT_DIR/state
state_save a before

# A file as providers hand them out: odd spacing, comments, a DNS line warren reads.
conf() {
	cat <<-EOF
	# $1 underlay
	[Interface]
	PrivateKey = $KA
	Address = 10.202.0.1/24,  fd20:2::1/64
	DNS = 10.202.0.2

	[Peer]
	PublicKey = $(wg_pubkey "$KB")
	Endpoint = $2:51820   # the server
	AllowedIPs = 10.202.0.0/24, fd20:2::/64
	PersistentKeepalive = 25
	EOF
}
conf IPv4 10.201.0.2 >"$WT_DIR/$WGA.conf"

check "warren up exits 0" warren_in a up --state-dir "$STATE" "$WT_DIR/$WGA.conf"
check "IPv4 ping crosses the tunnel" ping_ok a 10.202.0.2
check "IPv6 ping crosses the tunnel" ping_ok a fd20:2::2
check_eq "the server sees the client's IPv4 underlay address" 10.201.0.1 \
	"$(in_ns b wg show "$WGB" endpoints | awk '{ sub(/:[0-9]+$/, "", $2); print $2 }')"
check_eq "MTU is the underlay's less 80" 1420 "$(in_ns a cat /sys/class/net/"$WGA"/mtu)"
check_eq "the link carries warren's fwmark" 0x5700 "$(in_ns a wg show "$WGA" fwmark)"

# TCP: a line sent from a arrives at b, from a's tunnel address.
spawn b nc-listen nc -n -l -v 10.202.0.2 5001
sleep 0.3
echo "across the tunnel" | in_ns a nc -n -N -w 3 10.202.0.2 5001
wait_for 3 grep -q "across the tunnel" "$WT_DIR/nc-listen.log"
check "TCP data crossed" grep -q "across the tunnel" "$WT_DIR/nc-listen.log"
check "TCP source at the far end is the tunnel address" grep -q "^Connection received on 10.202.0.1 " "$WT_DIR/nc-listen.log"

# Idempotent: a second up makes no change at all, not even a rewrite.
state_save a up
spawn a monitor ip monitor link address route rule
sleep 0.2
check "second warren up exits 0" warren_in a up --state-dir "$STATE" "$WT_DIR/$WGA.conf"
sleep 0.3
kill "$WT_LAST_PID" 2>/dev/null
check_state "second up leaves the state as it was" a up
check_eq "second up sent no netlink change" "" "$(cat "$WT_DIR/monitor.log")"
check "the tunnel still works" ping_ok a 10.202.0.2

# A changed file converges: what it no longer asks for goes, what is new comes.
cp "$WT_DIR/$WGA.conf" "$WT_DIR/orig.conf"
sed -i -e 's#^Address = .*#Address = 10.202.0.1/24#' \
	-e 's#^AllowedIPs = .*#AllowedIPs = 10.202.0.0/24, 10.210.0.0/16#' "$WT_DIR/$WGA.conf"
check "up of the changed file exits 0" warren_in a up --state-dir "$STATE" "$WT_DIR/$WGA.conf"
check_eq "the dropped address is gone" "" "$(in_ns a ip -6 -o addr show dev "$WGA" scope global)"
check_eq "the new route is there" "10.210.0.0/16 proto 57 scope link" \
	"$(in_ns a ip route show 10.210.0.0/16 dev "$WGA" | sed 's/ *$//')"
check "the tunnel still works" ping_ok a 10.202.0.2
cp "$WT_DIR/orig.conf" "$WT_DIR/$WGA.conf"
check "up of the original file exits 0" warren_in a up --state-dir "$STATE" "$WT_DIR/$WGA.conf"
check_state "and the state is as after the first up" a up

check "warren down exits 0" warren_in a down --state-dir "$STATE" "$WT_DIR/$WGA.conf"
check_state "down leaves the namespace as before up" a before
check "the userspace socket is gone" test ! -e "$WT_SOCK_DIR/$WGA.sock"
check_not "no journal is left" test -e "$STATE/journal/$WGA"
check_not "a second down fails" warren_in a down --state-dir "$STATE" "$WT_DIR/$WGA.conf"

# The same over the IPv6 underlay.
conf IPv6 '[fd20:1::2]' >"$WT_DIR/$WGA.conf"
check "warren up over IPv6 exits 0" warren_in a up --state-dir "$STATE" "$WT_DIR/$WGA.conf"
check "IPv4 ping over the IPv6 underlay" ping_ok a 10.202.0.2
check "IPv6 ping over the IPv6 underlay" ping_ok a fd20:2::2
check_eq "the server sees the client's IPv6 underlay address" "[fd20:1::1]" \
	"$(in_ns b wg show "$WGB" endpoints | awk '{ sub(/:[0-9]+$/, "", $2); print $2 }')"
check "warren down exits 0" warren_in a down --state-dir "$STATE" "$WT_DIR/$WGA.conf"
check_state "down after the IPv6 run leaves the namespace as before" a before

# A link warren did not make is never taken over.
ip -n "$(ns a)" link add "$WGA" type veth peer name "$(lname x)"
state_save a foreign
out=$(warren_in a up --state-dir "$STATE" "$WT_DIR/$WGA.conf" 2>&1); rc=$?
check_eq "up over a foreign link exits 1" 1 "$rc"
check_eq "and says why" "warren: tunnel $WGA: link $WGA exists and was not made by warren" "$out"
check_state "the foreign link is untouched" a foreign
ip -n "$(ns a)" link del "$WGA"

# A broken file changes nothing and exits 2 with FILE:LINE.
sed 's/^Endpoint = .*/Endpoint = 10.201.0.2:99999/' "$WT_DIR/$WGA.conf" >"$WT_DIR/bad.conf"
out=$(warren_in a up --state-dir "$STATE" "$WT_DIR/bad.conf" 2>&1); rc=$?
check_eq "a broken file exits 2" 2 "$rc"
check "the error names file and line" grep -q "^$WT_DIR/bad.conf:9: " <<<"$out"
check_state "a broken file changes nothing" a before
finish
