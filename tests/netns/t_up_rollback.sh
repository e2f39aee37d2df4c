#!/usr/bin/env bash
# tests/netns/t_up_rollback.sh: a warren configuration with two tunnels; when the second
# fails midway, `up` removes everything it made, says what failed and exits 1.
#
#   ns a (warren up)                     ns b (server)
#   +-------------------------+  veth   +--------------------------+
#   | ua  10.201.0.1/24       |---------| ub  10.201.0.2/24        |
#   | one 10.202.0.1/24       |=========| wgb 10.202.0.2/24 :51820 |
#   | two 10.205.0.1/24       |  (two never comes up)              |
#   | lo: 172.30.0.0/16 route (someone else's)                     |
#   +-------------------------+         +--------------------------+
. "$(dirname "$0")/lib.sh"
require ip wg
need_warren

UA=$(lname ua) UB=$(lname ub) ONE=$(lname one) TWO=$(lname two) WGB=$(lname wgb)
ns_new a b
veth a "$UA" 10.201.0.1/24 b "$UB" 10.201.0.2/24
KA=$(wg_genkey) KB=$(wg_genkey) K2=$(wg_genkey)
wg_dev b "$WGB" "$KB" 51820 10.202.0.2/24
wg_add_peer b "$WGB" "$(wg_pubkey "$KA")" 10.202.0.1/32
STATE=$WT_DIR/state
mkdir -p "$WT_DIR/keys"
(umask 077; printf '%s\n' "$KA" >"$WT_DIR/keys/one.key")

# Someone else's route: tunnel two's route to the same prefix in main cannot be added.
ip -n "$(ns a)" route add 172.30.0.0/16 dev lo
state_save a before

cat >"$WT_DIR/warren.conf" <<EOF
daemon = { state_dir = "$STATE"; };
tunnels = (
  { name = "one"; interface = "$ONE"; private_key_file = "keys/one.key";
    address = [ "10.202.0.1/24" ];
    peers = ( { public_key = "$(wg_pubkey "$KB")"; endpoint = "10.201.0.2:51820";
                allowed_ips = [ "10.202.0.0/24", "0.0.0.0/0" ]; } ); },
  { name = "two"; interface = "$TWO"; private_key = "$K2"; address = [ "10.205.0.1/24" ];
    peers = ( { public_key = "$(wg_pubkey "$KB")"; endpoint = "10.201.0.2:51821";
                allowed_ips = [ "10.205.0.0/24", "172.30.0.0/16" ]; } ); }
);
EOF
out=$(warren_in a up "$WT_DIR/warren.conf" 2>&1); rc=$?
check_eq "up exits 1 when a tunnel fails midway" 1 "$rc"
check_eq "the error names the tunnel, the object and the cause" \
	"warren: tunnel two: route 172.30.0.0/16 table 254: File exists" "$out"
check_state "everything both tunnels made is gone" a before
check "no journal is left" test -z "$(ls -A "$STATE/journal" 2>/dev/null)"
check "no userspace socket is left" test ! -e "$WT_SOCK_DIR/$ONE.sock" -a ! -e "$WT_SOCK_DIR/$TWO.sock"

# With the obstacle gone the same file comes up, and down removes it all.
ip -n "$(ns a)" route del 172.30.0.0/16 dev lo
state_save a clean
check "up succeeds once the conflict is gone" warren_in a up "$WT_DIR/warren.conf"
check "tunnel one carries traffic" ping_ok a 10.202.0.2
check_eq "the journal is private" 700 "$(stat -c %a "$STATE/journal")"
check_not "the journal holds no key" grep -rq "$KA\|$K2" "$STATE"
check "down exits 0" warren_in a down "$WT_DIR/warren.conf"
check_state "down leaves the namespace clean" a clean
finish
