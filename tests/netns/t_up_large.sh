#!/usr/bin/env bash
# tests/netns/t_up_large.sh: `warren up` of wg-quick files too large for one netlink message:
# 10,000 peers with one /32 each, and one peer with 10,000 /32s, all outside the interface's
# prefix (10,000 routes). Everything reads back, a packet crosses through the one real peer
# among them, a second up writes nothing, `down` leaves the namespace as it was, and a route
# the kernel refuses is named in the error and leaves nothing behind.
#
#   ns a (warren up)                          ns b (the one real peer)
#   +----------------------------------+ veth +----------------------------------+
#   | ua  10.201.0.1/24                |------| ub  10.201.0.2/24                |
#   | wk1 10.63.0.1/24, 10,000 peers:  |======| wgb 10.64.4.210/32 :51820        |
#   |     10.64.0.0/32 .. 10.64.39.15  |  wg  |     route 10.63.0.0/24 dev wgb   |
#   |     (peer 1234 is b)             |      |     peer a: 10.63.0.1/32         |
#   | wk2 10.63.0.1/24, one peer (b):  |      |                                  |
#   |     the same 10,000 /32s         |      |                                  |
#   +----------------------------------+      +----------------------------------+
. "$(dirname "$0")/lib.sh"
require ip wg awk sort
need_warren

N=10000
REAL=1234                        # 10.64.4.210: 1234 = 4 * 256 + 210
UA=$(lname ua) UB=$(lname ub) WK1=$(lname wk1) WK2=$(lname wk2) WGB=$(lname wgb)
ns_new a b
veth a "$UA" 10.201.0.1/24 b "$UB" 10.201.0.2/24
KA=$(wg_genkey) KB=$(wg_genkey)
wg_dev b "$WGB" "$KB" 51820 10.64.4.210/32
wg_add_peer b "$WGB" "$(wg_pubkey "$KA")" 10.63.0.1/32
ip -n "$(ns b)" route add 10.63.0.0/24 dev "$WGB"
STATE=$WT_DIR/state
state_save a before

# gen MODE: MODE peers (N peers of one /32; peer REAL is b) or ips (b alone, N /32s).
# Other peers' keys are made up: 39 fixed base64 digits, 3 counting, one with its low bits
# clear, so each is canonical base64 of 32 bytes.
gen() {
	awk -v mode="$1" -v n="$N" -v real="$REAL" -v priv="$KA" -v pub="$(wg_pubkey "$KB")" 'BEGIN {
		b = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
		pre = "bWFueXBlZXJzbWFueXBlZXJzbWFueXBlZXJzbWF"
		printf "[Interface]\nPrivateKey = %s\nAddress = 10.63.0.1/24\n", priv
		if (mode == "ips")
			printf "\n[Peer]\nPublicKey = %s\nEndpoint = 10.201.0.2:51820\n", pub
		for (i = 0; i < n; i++) {
			ip = sprintf("10.64.%d.%d/32", int(i / 256), i % 256)
			if (mode == "ips") {
				printf "AllowedIPs = %s\n", ip
				continue
			}
			if (i == real) {
				printf "\n[Peer]\nPublicKey = %s\nEndpoint = 10.201.0.2:51820\nAllowedIPs = %s\n", pub, ip
				continue
			}
			k = substr(b, int(i / 4096) % 64 + 1, 1) substr(b, int(i / 64) % 64 + 1, 1) substr(b, i % 64 + 1, 1)
			printf "\n[Peer]\nPublicKey = %s%sA=\nAllowedIPs = %s\n", pre, k, ip
		}
	}'
}
gen peers >"$WT_DIR/$WK1.conf"
gen ips >"$WT_DIR/$WK2.conf"
# What both must read back: the N host routes, as ip(8) prints them.
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) printf "10.64.%d.%d\n", int(i / 256), i % 256 }' |
	sort >"$WT_DIR/want"

# routes IF: the destinations of warren's routes through IF, sorted.
routes() { in_ns a ip -4 route show dev "$1" proto 57 | awk '{ print $1 }' | sort; }
# allowed IF: every allowed IP of IF, without /32, sorted.
allowed() { in_ns a wg show "$1" allowed-ips | awk '{ for (i = 2; i <= NF; i++) { sub(/\/32$/, "", $i); print $i } }' | sort; }

for IF in "$WK1" "$WK2"; do
	case $IF in "$WK1") what="10,000 peers" peers=$N ;; *) what="one peer with 10,000 allowed IPs" peers=1 ;; esac
	t0=$(date +%s%N)
	out=$(warren_in a up --state-dir "$STATE" "$WT_DIR/$IF.conf" 2>&1); rc=$?
	t1=$(date +%s%N)
	check_eq "$what: warren up exits 0" "0 " "$rc $(grep -v '^warren: warning' <<<"$out")"
	diag "$what: up took $(( (t1 - t0) / 1000000 )) ms"
	check_eq "$what: $peers peers read back" "$peers" "$(in_ns a wg show "$IF" peers | wc -l)"
	allowed "$IF" >"$WT_DIR/got.allowed"
	check "$what: the 10,000 allowed IPs read back" cmp -s "$WT_DIR/want" "$WT_DIR/got.allowed"
	routes "$IF" >"$WT_DIR/got.routes"
	check "$what: the 10,000 routes are in main" cmp -s "$WT_DIR/want" "$WT_DIR/got.routes"
	check "$what: a ping crosses to the real peer" ping_ok a 10.64.4.210 5

	# A second up finds everything right and writes nothing.
	spawn a monitor ip monitor link address route rule
	sleep 0.2
	check "$what: a second up exits 0" warren_in a up --state-dir "$STATE" "$WT_DIR/$IF.conf"
	sleep 0.3
	kill "$WT_LAST_PID" 2>/dev/null
	check_eq "$what: the second up sent no netlink change" "" "$(head -c 300 "$WT_DIR/monitor.log")"

	t0=$(date +%s%N)
	check "$what: warren down exits 0" warren_in a down --state-dir "$STATE" "$WT_DIR/$IF.conf"
	t1=$(date +%s%N)
	diag "$what: down took $(( (t1 - t0) / 1000000 )) ms"
	check_state "$what: down leaves the namespace as before up" a before
done

# Someone else's route to one of the 10,000: the kernel refuses ours (NLM_F_EXCL), the error
# names it, and the rollback removes what the other 9,999 made while the foreign one stays.
ip -n "$(ns a)" route add 10.64.3.7/32 dev lo proto static
state_save a foreign
out=$(warren_in a up --state-dir "$STATE" "$WT_DIR/$WK2.conf" 2>&1); rc=$?
check_eq "a refused route: up exits 1" 1 "$rc"
check_eq "a refused route: the error names the tunnel, the route and the cause" \
	"warren: tunnel $WK2: route 10.64.3.7/32 table 254: File exists" "$out"
check_state "a refused route: nothing is left behind" a foreign
check "a refused route: no journal is left" test -z "$(ls -A "$STATE/journal" 2>/dev/null)"
check "a refused route: no userspace socket is left" test ! -e "$WT_SOCK_DIR/$WK2.sock"
finish
