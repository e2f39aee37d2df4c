#!/usr/bin/env bash
# tests/kernel/t_kernel_smoke.sh: wireguard.ko itself: two namespaces, kernel links set up with ip and wg only, pings across.
#
#   ns a                               ns b
#   +-----------------------+  veth   +-----------------------+
#   | ua  10.211.0.1/24     |---------| ub  10.211.0.2/24     |
#   |     fd21:1::1/64      |         |     fd21:1::2/64      |
#   | wga 10.212.0.1/24     |=========| wgb 10.212.0.2/24     |
#   |     fd21:2::1/64      |   wg    |     fd21:2::2/64      |
#   +-----------------------+         +-----------------------+
#
# Runs only inside the kernel-tier VM (tests/kernel/run.sh); nothing here goes through
# lib.sh's backend switch, so a broken helper cannot hide a broken module.
. "$(dirname "$0")/../netns/lib.sh"
[ "$WARREN_BACKEND" = kernel ] || skip_all "kernel backend only (run through tests/kernel/run.sh)"

check "wireguard module loaded" test -d /sys/module/wireguard
ns_new a b
A=$(ns a) Bn=$(ns b)
veth a ua 10.211.0.1/24,fd21:1::1/64 b ub 10.211.0.2/24,fd21:1::2/64
KA=$(wg genkey) KB=$(wg genkey)
PA=$(echo "$KA" | wg pubkey) PB=$(echo "$KB" | wg pubkey)
check "ip link add type wireguard (a)" ip -n "$A" link add wga type wireguard
check "ip link add type wireguard (b)" ip -n "$Bn" link add wgb type wireguard
check "kind is wireguard" bash -c "ip -n $A -d link show wga | grep -qw wireguard"
check "wg set a" ip netns exec "$A" wg set wga private-key "$(wg_keyfile "$KA")" listen-port 51811 \
	peer "$PB" allowed-ips 10.212.0.2/32,fd21:2::2/128 endpoint 10.211.0.2:51812
check "wg set b" ip netns exec "$Bn" wg set wgb private-key "$(wg_keyfile "$KB")" listen-port 51812 \
	peer "$PA" allowed-ips 10.212.0.1/32,fd21:2::1/128 endpoint "[fd21:1::1]:51811"
ip -n "$A" addr add 10.212.0.1/24 dev wga
ip -n "$A" addr add fd21:2::1/64 dev wga nodad
ip -n "$Bn" addr add 10.212.0.2/24 dev wgb
ip -n "$Bn" addr add fd21:2::2/64 dev wgb nodad
ip -n "$A" link set wga up
ip -n "$Bn" link set wgb up
check "kernel tunnel IPv4 ping a -> b" ping_ok a 10.212.0.2
check "kernel tunnel IPv6 ping b -> a over IPv6 underlay" ping_ok b fd21:2::1
check "handshake recorded by the kernel" wg_handshake a wga
check "transfer counters moved" bash -c "ip netns exec $A wg show wga transfer | awk '\$2 > 0 && \$3 > 0 { f = 1 } END { exit !f }'"
check "nft expression modules autoload (masquerade, fib)" ip netns exec "$A" nft -f - <<'NFT'
table inet smoke {
	chain post { type nat hook postrouting priority srcnat; oifname "wga" masquerade; }
	chain pre { type filter hook prerouting priority 0; fib daddr type local accept; ct state established accept; }
}
NFT
check "ip link del removes the kernel link" ip -n "$A" link del wga
finish
