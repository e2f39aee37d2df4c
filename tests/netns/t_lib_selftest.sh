#!/usr/bin/env bash
# tests/netns/t_lib_selftest.sh: proves lib.sh and both WireGuard backends: tunnel over IPv4 and IPv6 underlays, state digests, assertions.
#
#   ns a                                 ns b
#   +-------------------------+  veth   +-------------------------+
#   | ua  10.201.0.1/24       |---------| ub  10.201.0.2/24       |
#   |     fd20:1::1/64        |         |     fd20:1::2/64        |
#   | wga 10.202.0.1/24       |=========| wgb 10.202.0.2/24       |
#   |     fd20:2::1/64 :51801 |   wg    |     fd20:2::2/64 :51802 |
#   +-------------------------+         +-------------------------+
#
# The tunnel first runs over the IPv4 underlay, then both ends are pointed at the IPv6
# underlay; b must then see a's endpoint as [fd20:1::1].
. "$(dirname "$0")/lib.sh"
require ip wg nft ping sha256sum
[ "$WARREN_BACKEND" = userspace ] && require wireguard-go

UA=$(lname ua) UB=$(lname ub) WGA=$(lname wga) WGB=$(lname wgb)
check "link names fit IFNAMSIZ and carry the run tag" \
	test ${#WGA} -le 15 -a "${WGA%-"$WT_TAG"}" != "$WGA" -a "$(lname averyveryverylongname)" != ""
check_eq "long names are cut to 15 bytes" 15 "$(lname averyveryverylongname | tr -d '\n' | wc -c)"

ns_new a b
check "namespaces carry the pid" test -e "/run/netns/wt-$$-a" -a -e "/run/netns/wt-$$-b"
veth a "$UA" 10.201.0.1/24,fd20:1::1/64 b "$UB" 10.201.0.2/24,fd20:1::2/64
check "underlay IPv4 ping" ping_ok a 10.201.0.2
check "underlay IPv6 ping (nodad: usable at once)" in_ns a ping -n -c 1 -W 2 fd20:1::2

state_save a before
state_save b before
check_eq "digest is stable" "$(state_digest a)" "$(state_digest a)"

# Digest sensitivity: each object changes it, removing the objects restores it.
in_ns a nft -f - <<'EOF'
table inet wt_selftest {
	chain post { type filter hook postrouting priority 0; counter accept; }
}
EOF
ip -n "$(ns a)" route add 192.0.2.0/24 dev "$UA" table 6201 proto 57
ip -n "$(ns a)" -6 route add 2001:db8::/32 dev "$UA" table 6201 proto 57
ip -n "$(ns a)" rule add pref 6250 from 10.201.0.0/24 lookup 6201
ip -n "$(ns a)" -6 rule add pref 6250 from fd20:1::/64 lookup 6201
ip -n "$(ns a)" link set "$UA" mtu 1400
check_not "digest changes when objects are added" \
	test "$(state_digest a)" = "$(sha256sum <"$WT_DIR/state.$(ns a).before" | cut -d' ' -f1)"
in_ns a ping -n -c 2 -i 0.2 10.201.0.2 >/dev/null    # counters move; the digest must not
d=$(state_dump a)
check "dump lists nft table, routes, rules and mtu" bash -c '
	grep -q "table inet wt_selftest" <<<"$1" && grep -q "^192.0.2.0/24 .*table 6201 proto 57" <<<"$1" &&
	grep -q "^2001:db8::/32 .*table 6201 proto 57" <<<"$1" && grep -q "^6250:" <<<"$1" &&
	grep -q "mtu 1400" <<<"$1" && ! grep -q "packets [1-9]" <<<"$1"' _ "$d"
in_ns a nft delete table inet wt_selftest
ip -n "$(ns a)" route del 192.0.2.0/24 table 6201
ip -n "$(ns a)" -6 route del 2001:db8::/32 table 6201
ip -n "$(ns a)" rule del pref 6250
ip -n "$(ns a)" -6 rule del pref 6250
ip -n "$(ns a)" link set "$UA" mtu 1500
check_state "digest equal after the objects are removed" a before

# The tunnel, on the backend under test.
KA=$(wg_genkey) KB=$(wg_genkey)
PA=$(wg_pubkey "$KA") PB=$(wg_pubkey "$KB")
wg_dev a "$WGA" "$KA" 51801 10.202.0.1/24,fd20:2::1/64
wg_dev b "$WGB" "$KB" 51802 10.202.0.2/24,fd20:2::2/64
wg_add_peer a "$WGA" "$PB" 10.202.0.2/32,fd20:2::2/128 10.201.0.2:51802
wg_add_peer b "$WGB" "$PA" 10.202.0.1/32,fd20:2::1/128
check "$WARREN_BACKEND link kind" bash -c "ip -n $(ns a) -d link show $WGA | grep -qw $(
	[ "$WARREN_BACKEND" = kernel ] && echo wireguard || echo tun)"
check "tunnel ping over IPv4 underlay" ping_ok a 10.202.0.2
check "handshake completed" wg_handshake a "$WGA"
check_eq "b sees a at its IPv4 underlay address" "$PA	10.201.0.1:51801" \
	"$(in_ns b wg show "$WGB" endpoints)"
check "IPv6 inside the tunnel" ping_ok a fd20:2::2

wg_add_peer a "$WGA" "$PB" 10.202.0.2/32,fd20:2::2/128 "[fd20:1::2]:51802"
wg_add_peer b "$WGB" "$PA" 10.202.0.1/32,fd20:2::1/128 "[fd20:1::1]:51801"
check "tunnel ping over IPv6 underlay" ping_ok a 10.202.0.2
check "tunnel ping back from b over IPv6 underlay" ping_ok b fd20:2::1
check_eq "b sees a at its IPv6 underlay address" "$PA	[fd20:1::1]:51801" \
	"$(in_ns b wg show "$WGB" endpoints)"

wg_del a "$WGA"
wg_del b "$WGB"
check_state "a back to its digest after the tunnel is removed" a before
check_state "b back to its digest after the tunnel is removed" b before
if [ "$WARREN_BACKEND" = userspace ]; then
	check "UAPI sockets removed with their links" test ! -e "$WT_SOCK_DIR/$WGA.sock" -a ! -e "$WT_SOCK_DIR/$WGB.sock"
fi

# The assertion helpers themselves: a failing check must fail the scenario.
out=$(bash -c '. "$1"; check "inner pass" true; check "inner fail" false; finish' _ "$WT_ROOT/tests/netns/lib.sh" 2>&1)
rc=$?
check_eq "a failing check makes finish exit 1" 1 "$rc"
check "a failing check prints not ok" grep -q '^not ok - inner fail$' <<<"$out"
out=$(bash -c '. "$1"; ns_new x; echo "$WT_DIR $(ns x)"; ok inner; finish' _ "$WT_ROOT/tests/netns/lib.sh" 2>&1)
set -- $out
check "inner run cleaned up its namespace and directory" test ! -e "/run/netns/$2" -a ! -e "$1"
check "and its private resolvconf configuration" test ! -e "/etc/netns/$2"
if [ -e /etc/resolvconf.conf ]; then
	ns_new r
	check "a namespace's resolvconf keeps its state in the run's directory" \
		grep -qx "state_dir=$WT_DIR/dns/$(ns r)/run" "/etc/netns/$(ns r)/resolvconf.conf"
else
	skip "a namespace's resolvconf keeps its state in the run's directory" "no openresolv"
fi

finish
