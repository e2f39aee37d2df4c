#!/usr/bin/env bash
# tests/netns/t_shape.sh: netcfg/tc's HTB classes, picked by nftables' meta priority as the
# server sets it per address, hold iperf3 to the set rate both ways; an address without a
# class is not limited; root del leaves the links' default qdisc and no trace.
#
#   ns cl (client)                  ns gw (router: tcshape + nft)          ns sv (iperf3 -s)
#   vcl 10.213.0.2/24 (class 1) --- gcl 10.213.0.1/24    gsv 10.214.0.1/24 --- usv 10.214.0.2/24
#       10.213.0.4/24 (class 2)     HTB 5752: on gcl (download) and on gsv (upload)
#       10.213.0.3/24 (no class)    postrouting: meta priority set 5752:N by client address
#
# SHAPE_RATES="20 5" (Mbit of class 1 and 2), SHAPE_SECS (iperf3 -t, 4), SHAPE_TOL (%, 10).
. "$(dirname "$0")/lib.sh"
require ip tc nft iperf3 jq

TCSHAPE=${TCSHAPE:-$WT_ROOT/build/tests/netns/tcshape}
if [ ! -x "$TCSHAPE" ] && command -v cc >/dev/null; then
	make -s -C "$WT_ROOT" "${TCSHAPE#"$WT_ROOT"/}" >/dev/null 2>&1
fi
[ -x "$TCSHAPE" ] || skip_all "no $TCSHAPE (make netns-drivers)"
read -r R1 R2 <<<"${SHAPE_RATES:-20 5}"
SECS=${SHAPE_SECS:-4} TOL=${SHAPE_TOL:-10}

VCL=$(lname vcl) GCL=$(lname gcl) GSV=$(lname gsv) USV=$(lname usv)
ns_new cl gw sv
ns_forward gw
veth cl "$VCL" 10.213.0.2/24,10.213.0.3/24,10.213.0.4/24 gw "$GCL" 10.213.0.1/24 || exit 1
veth gw "$GSV" 10.214.0.1/24 sv "$USV" 10.214.0.2/24 || exit 1
ip -n "$(ns cl)" route add 10.214.0.0/24 via 10.213.0.1
# HTB does not split GSO packets (TBF does) and a 64 kB one takes 26 ms at 20 Mbit, over
# fq_codel's 5 ms target: its drops then hold TCP under the rate (87 % under emulation).
# The senders are kept to two segments a packet, as a WireGuard link's traffic is.
ip -n "$(ns cl)" link set "$VCL" gso_max_size 3000
ip -n "$(ns sv)" link set "$USV" gso_max_size 3000
ip -n "$(ns sv)" route add 10.213.0.0/24 via 10.214.0.1
in_ns gw tc qdisc show dev "$GCL" >"$WT_DIR/gcl.before"
in_ns gw tc qdisc show dev "$GSV" >"$WT_DIR/gsv.before"

if ! in_ns gw "$TCSHAPE" "$GCL" root-add 2>"$WT_DIR/err" ||
	! in_ns gw "$TCSHAPE" "$GSV" root-add 2>>"$WT_DIR/err"; then
	grep -q 'unknown' "$WT_DIR/err" && skip_all "no sch_htb: $(cat "$WT_DIR/err")"
	not_ok "root qdisc on both links" "$(cat "$WT_DIR/err")"; finish
fi
ok "our HTB root on the client-facing and the egress link"
for l in "$GCL" "$GSV"; do
	in_ns gw "$TCSHAPE" "$l" class-set 1 $((R1 * 1000000)) 2 $((R2 * 1000000)) ||
		{ not_ok "classes on $l"; finish; }
done
leaf=$(in_ns gw tc qdisc show dev "$GCL" | awk '/ parent 5752:1 / { print $2, $3 }')
case $leaf in
"fq_codel 1:") ok "class 5752:1's leaf is fq_codel 1:" ;;
# HTB's own pfifo leaf is invisible to a plain qdisc show.
''|pfifo*) skip "class 5752:1's leaf is fq_codel 1:" "no sch_fq_codel here (HTB's pfifo)" ;;
*) not_ok "class 5752:1's leaf is fq_codel 1:" "leaf: ${leaf:-none}" ;;
esac
check_eq "root-get says ours" ours "$(in_ns gw "$TCSHAPE" "$GCL" root-get)"

# As the server will: one element per shaped address, download by destination on the
# client-facing link, upload by source on the egress link (after forwarding, which sets
# skb->priority from the TOS).
in_ns gw nft -f - <<EOF || { not_ok "nft ruleset"; finish; }
table inet tshape {
	map down { type ipv4_addr : classid; elements = { 10.213.0.2 : 5752:1, 10.213.0.4 : 5752:2 } }
	map up { type ipv4_addr : classid; elements = { 10.213.0.2 : 5752:1, 10.213.0.4 : 5752:2 } }
	chain post {
		type filter hook postrouting priority 0; policy accept;
		oifname "$GCL" meta priority set ip daddr map @down
		oifname "$GSV" meta priority set ip saddr map @up
	}
}
EOF
ok "nft sets meta priority by address"

spawn sv iperf3 iperf3 -s -B 10.214.0.2
wait_for 5 eval "ip netns exec '$(ns sv)' ss -ltn | grep -q ':5201 '"

# kbit SRC [-R]: iperf3's received rate (kbit/s, integer) from SRC, download with -R.
kbit() {
	local j
	j=$(in_ns cl iperf3 -c 10.214.0.2 -B "$1" -t "$SECS" -O 1 -J ${2:-} 2>/dev/null) || return 1
	printf '%s\n' "$j" | jq -r '.end.sum_received.bits_per_second / 1000 | floor'
}
mb() { printf '%d.%02d' $(( $1 / 1000 )) $(( $1 % 1000 / 10 )); }

# within WANT GOT: GOT (kbit/s of TCP payload) within TOL % of WANT (Mbit/s). HTB counts
# frames (with the Ethernet header), so payload is some 4 % under the rate at MTU 1500.
within() { [ -n "$2" ] && [ $(( $2 * 100 )) -ge $(( $1 * 1000 * (100 - TOL) )) ] &&
	[ $(( $2 * 100 )) -le $(( $1 * 1000 * (100 + TOL) )) ]; }

for t in "10.213.0.2 $R1 1" "10.213.0.4 $R2 2"; do
	read -r src want cls <<<"$t"
	for dir in up down; do
		got=$(kbit "$src" $([ $dir = down ] && echo -R))
		if within "$want" "$got"; then
			ok "$dir from $src (class $cls): $(mb "$got") Mbit/s for $want Mbit/s"
		else
			not_ok "$dir from $src (class $cls): $(mb "${got:-0}") Mbit/s for $want Mbit/s"
		fi
	done
done
for l in "$GCL" "$GSV"; do
	sent=$(in_ns gw tc -s class show dev "$l" classid 5752:1 | awk '/Sent/ { print $2 }')
	[ "${sent:-0}" -gt 1000000 ] && ok "class 5752:1 on $l carried it ($sent bytes)" ||
		not_ok "class 5752:1 on $l carried it" "sent: ${sent:-none}"
done

# Unshaped: well above both rates (a veth does gigabits, an emulated CPU hundreds of Mbit).
floor=$(( (R1 > R2 ? R1 : R2) * 3000 ))
for dir in up down; do
	got=$(kbit 10.213.0.3 $([ $dir = down ] && echo -R))
	if [ -n "$got" ] && [ "$got" -gt "$floor" ]; then
		ok "$dir from 10.213.0.3 (no class) not limited: $(mb "$got") Mbit/s"
	else
		not_ok "$dir from 10.213.0.3 (no class) not limited" "got ${got:-nothing} kbit/s, want > $floor"
	fi
done

# A class change takes hold at once; a deleted class's address falls to the default class.
in_ns gw "$TCSHAPE" "$GCL" class-set 2 $((R2 * 2000000))
got=$(kbit 10.213.0.4 -R)
within $((R2 * 2)) "$got" && ok "class 2 changed to $((R2 * 2)) Mbit/s: $(mb "$got")" ||
	not_ok "class 2 changed to $((R2 * 2)) Mbit/s" "got ${got:-nothing}"
in_ns gw "$TCSHAPE" "$GCL" class-del 2
got=$(kbit 10.213.0.4 -R)
[ -n "$got" ] && [ "$got" -gt "$floor" ] && ok "class 2 deleted: not limited ($(mb "$got") Mbit/s)" ||
	not_ok "class 2 deleted: not limited" "got ${got:-nothing}"

for l in "$GCL" "$GSV"; do
	in_ns gw "$TCSHAPE" "$l" root-del || not_ok "root-del on $l"
done
check_eq "root-get after root-del" other "$(in_ns gw "$TCSHAPE" "$GCL" root-get)"
check_eq "client-facing link's qdisc is the default again" "$(cat "$WT_DIR/gcl.before")" \
	"$(in_ns gw tc qdisc show dev "$GCL")"
check_eq "egress link's qdisc is the default again" "$(cat "$WT_DIR/gsv.before")" \
	"$(in_ns gw tc qdisc show dev "$GSV")"
check_eq "no class left" "" "$(in_ns gw tc class show dev "$GCL"; in_ns gw tc class show dev "$GSV")"
check "root-del again is fine" in_ns gw "$TCSHAPE" "$GCL" root-del
finish
