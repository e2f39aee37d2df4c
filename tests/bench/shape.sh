#!/usr/bin/env bash
# tests/bench/shape.sh: how close netcfg/tc's HTB classes hold iperf3 to their rate (5, 20
# and 100 Mbit, upload and download through a router namespace, as tests/netns/t_shape.sh
# builds it), and how long adding 10,000 classes and changing one among them takes.
#
# Prints "shape RATE Mbit up|down: GOT Mbit/s (PCT % of the rate)" per rate and direction,
# then "shape classes: add N classes: X s (Y us each); change one at N: Z ms".
# Environment: SHAPE_RATES (Mbit, "5 20 100"), SHAPE_SECS (iperf3 -t, 5), SHAPE_CLASSES
# (10000), TCSHAPE (the driver; default $B/tests/netns/tcshape, built when missing).
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${B:-build}
RATES=${SHAPE_RATES:-5 20 100} SECS=${SHAPE_SECS:-5} N=${SHAPE_CLASSES:-10000}
TCSHAPE=${TCSHAPE:-$B/tests/netns/tcshape}

[ "$(id -u)" = 0 ] || { echo "shape: skipped (needs root)"; exit 0; }
for c in ip tc nft iperf3 jq; do
	command -v $c >/dev/null || { echo "shape: skipped (no $c)"; exit 0; }
done
if command -v cc >/dev/null && [ -f tests/netns/tcshape.c ]; then
	make -s B="$B" "$TCSHAPE" || { echo "shape: building $TCSHAPE failed"; exit 1; }
fi
[ -x "$TCSHAPE" ] || { echo "shape: skipped (no $TCSHAPE)"; exit 0; }
case $TCSHAPE in /*) ;; *) TCSHAPE=$PWD/$TCSHAPE ;; esac

P=wb-$$
cleanup() { for n in cl gw sv; do ip netns del "$P-$n" 2>/dev/null; done; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
for n in cl gw sv; do ip netns add "$P-$n" && ip -n "$P-$n" link set lo up || exit 1; done
x() { local n=$1; shift; ip netns exec "$P-$n" "$@"; }
x gw sysctl -qw net.ipv4.ip_forward=1
ip -n $P-cl link add vcl type veth peer name gcl netns $P-gw
ip -n $P-gw link add gsv type veth peer name usv netns $P-sv
ip -n $P-cl addr add 10.213.0.2/24 dev vcl
ip -n $P-gw addr add 10.213.0.1/24 dev gcl
ip -n $P-gw addr add 10.214.0.1/24 dev gsv
ip -n $P-sv addr add 10.214.0.2/24 dev usv
for l in "cl vcl" "gw gcl" "gw gsv" "sv usv"; do set -- $l; ip -n $P-$1 link set "$2" up; done
ip -n $P-cl route add 10.214.0.0/24 via 10.213.0.1
ip -n $P-sv route add 10.213.0.0/24 via 10.214.0.1
for l in gcl gsv; do
	x gw "$TCSHAPE" $l root-add || { echo "shape: root-add on $l failed"; exit 1; }
done
x gw nft -f - <<'EOF' || { echo "shape: nft failed"; exit 1; }
table inet tshape {
	chain post {
		type filter hook postrouting priority 0; policy accept;
		oifname "gcl" ip daddr 10.213.0.2 meta priority set 5752:1
		oifname "gsv" ip saddr 10.213.0.2 meta priority set 5752:1
	}
}
EOF
x sv iperf3 -s -B 10.214.0.2 >/dev/null 2>&1 &
SRV=$!
trap 'kill $SRV 2>/dev/null; cleanup' EXIT
for i in $(seq 50); do x sv ss -ltn | grep -q ':5201 ' && break; sleep 0.1; done
sleep 1   # links up (linkwatch) before the first measurement

for r in $RATES; do
	for l in gcl gsv; do x gw "$TCSHAPE" $l class-set 1 $((r * 1000000)); done
	for dir in up down; do
		bps=$(x cl iperf3 -c 10.214.0.2 -B 10.213.0.2 -t "$SECS" -O 1 -J \
			$([ $dir = down ] && echo -R) 2>/dev/null | jq -r '.end.sum_received.bits_per_second')
		awk -v r="$r" -v d="$dir" -v b="${bps:-0}" 'BEGIN {
			printf "shape %s Mbit %s: %.2f Mbit/s (%.1f %% of the rate)\n", r, d, b / 1e6, b / 1e4 / r }'
	done
done

# The class counts on a link of its own: a fresh veth with only our root on it.
ip -n $P-gw link add bnc0 type veth peer name bnc1
ip -n $P-gw link set bnc0 up
x gw "$TCSHAPE" bnc0 root-add || exit 1
printf 'shape classes: '
x gw "$TCSHAPE" bnc0 bench "$N"
t0=$(date +%s%N)
x gw "$TCSHAPE" bnc0 root-del
echo "shape classes: root del with $N classes: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
