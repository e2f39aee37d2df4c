#!/usr/bin/env bash
# tests/netns/t_roles.sh: the agent and the server on one host, from one configuration
# file: each converges, repairs, survives the other's crash and stops without touching
# the other's link, table, journal, socket or forwarding; `warren up` beside them too.
#
#   ns cl (phone: a server user,          ns gw (warren agent + warren server)      ns far
#          and a LAN host of the agent)
#   vcl 10.211.0.2/24 ------------------- gcl 10.211.0.1/24 (the agent's LAN)
#   wg 10.79.0.2 (user alice)             gfar 10.212.0.1/24 (egress) ------------- ufar 10.212.0.2/24
#   routes 10.78.0.0/24 via gw            wgs 10.79.0.1/24 :51820 (server, snat)    wgf 10.78.0.2/24 :51821
#                                         wga 10.78.0.1/32 (agent tunnel, snat) === (wireguard-go)
#   cl reaches far's underlay through the server (SNAT by inet warren_server) and far's
#   tunnel address through the agent (SNAT by inet warren); far routes back to neither.
. "$(dirname "$0")/lib.sh"
require ip wg nft
need_warren

VCL=$(lname vcl) GCL=$(lname gcl) GFAR=$(lname gfar) UFAR=$(lname ufar)
WGS=$(lname wgs) WGA=$(lname wga) WGF=$(lname wgf) WGX=$(lname wgx) AL=$(lname al)
ns_new cl gw far
veth cl "$VCL" 10.211.0.2/24 gw "$GCL" 10.211.0.1/24
veth gw "$GFAR" 10.212.0.1/24 far "$UFAR" 10.212.0.2/24
ip -n "$(ns cl)" route add 10.78.0.0/24 via 10.211.0.1
KA=$(wg_genkey) KF=$(wg_genkey)
wg_dev far "$WGF" "$KF" 51821 10.78.0.2/24
wg_add_peer far "$WGF" "$(wg_pubkey "$KA")" 10.78.0.1/32

STATE=$WT_DIR/state ASOCK=$WT_DIR/agent.sock SSOCK=$WT_DIR/server.sock CONF=$WT_DIR/warren.conf
cat >"$CONF" <<EOF
daemon = { state_dir = "$STATE"; socket = "$ASOCK"; };
lan = { interfaces = [ "$GCL" ]; subnets = [ "10.211.0.0/24" ]; };
tunnels = (
  { name = "far"; interface = "$WGA"; private_key = "$KA"; address = [ "10.78.0.1/32" ];
    snat = true;
    peers = ( { public_key = "$(wg_pubkey "$KF")"; endpoint = "10.212.0.2:51821";
                allowed_ips = [ "10.78.0.0/24" ]; persistent_keepalive = 1; } ); }
);
server = { interface = "$WGS"; listen_port = 51820; private_key = "$(wg_genkey)";
           socket = "$SSOCK"; endpoint = "10.211.0.1:51820"; pool = [ "10.79.0.0/24" ];
           client_allowed_ips = [ "10.79.0.0/24", "10.212.0.0/24" ];
           egress = "$GFAR"; snat = true; database = "$WT_DIR/warren.db"; };
EOF
state_save gw before
FWD0=$(in_ns gw sysctl -n net.ipv4.ip_forward)
fwd() { in_ns gw sysctl -n net.ipv4.ip_forward; }
table() { in_ns gw nft -s list table inet "$1" 2>/dev/null; }
has_table() { in_ns gw nft list table inet "$1" >/dev/null 2>&1; }
agent_up() {
	wait_for "${1:-10}" bash -c "'$WARREN' status --json -s '$ASOCK' 2>/dev/null | grep -q '\"state\": *\"up\"'"
}
start_agent() {
	spawn gw "agent$1" "$WARREN" agent -c "$CONF"
	AGENT=$WT_LAST_PID
	wait_for 10 test -S "$ASOCK" && agent_up
}
start_server() {
	spawn gw "server$1" "$WARREN" server -c "$CONF"
	SERVER=$WT_LAST_PID
	wait_for 10 test -S "$SSOCK" && wait_for 5 has_table warren_server
}
stop() { kill -TERM "$1" && wait "$1"; }
via_server() { ping_ok cl 10.212.0.2 5; }
via_agent() { ping_ok cl 10.78.0.2 5; }

check "the configuration with both roles is valid" "$WARREN" check -c "$CONF"
start_server 1
check "the server starts" test $? = 0
start_agent 1
check "the agent starts beside it and its tunnel comes up" test $? = 0
check "the agent's table inet warren" has_table warren
check "the server's table inet warren_server" has_table warren_server
check "the agent masquerades its LAN into its tunnel in its own table" bash -c "ip netns exec '$(ns gw)' nft list table inet warren | grep -q 'oifname \"$WGA\".*masquerade'"
check "the server masquerades its pool out of egress in its own" bash -c \
	"ip netns exec '$(ns gw)' nft list table inet warren_server | grep -q 'oifname \"$GFAR\".*masquerade'"
check "two sockets, one per role" test -S "$ASOCK" -a -S "$SSOCK"

check_eq "user add over -c reaches the server, not the agent" \
	"user alice added: 10.79.0.2/32" "$(in_ns gw "$WARREN" user add alice -c "$CONF")"
in_ns gw "$WARREN" user config alice -c "$CONF" >"$WT_DIR/$AL.conf"
check "alice brings her config up" in_ns cl "$WARREN" up --state-dir "$WT_DIR/cl" "$WT_DIR/$AL.conf"
check "alice reaches far's underlay through the server" via_server
check "the LAN host reaches far's tunnel through the agent" via_agent

out=$(in_ns gw "$WARREN" status --json -c "$CONF")
check_eq "status -c shows both roles, agent first" "agent server" \
	"$(printf '%s\n' "$out" | grep -o '"role": *"[a-z]*"' | cut -d'"' -f4 | xargs)"
out=$(in_ns gw "$WARREN" status -c "$CONF")
check "and as text, the agent's tunnel and the server's user" bash -c \
	"printf '%s\n' \"\$1\" | grep -q far && printf '%s\n' \"\$1\" | grep -q alice" _ "$out"
check "reload -c reloads both" in_ns gw "$WARREN" reload -c "$CONF"

# Tampering with one role's table is repaired by that role alone.
a1=$(table warren) s1=$(table warren_server)
n1=$(grep -c 'deleted by' "$WT_DIR/server1.log")
in_ns gw nft delete table inet warren_server
check "the server puts its table back" wait_for 3 has_table warren_server
check_eq "exactly as it was" "$s1" "$(table warren_server)"
check_eq "the agent's table was not touched" "$a1" "$(table warren)"
in_ns gw nft delete table inet warren
check "the agent puts its table back" wait_for 3 has_table warren
sleep 1.5
check_eq "exactly as it was" "$a1" "$(table warren)"
check_eq "and the server did not react to the agent's table" "$((n1 + 1))" \
	"$(grep -c 'deleted by' "$WT_DIR/server1.log")"

# A crash of one leaves the other running; the restart takes over only its own.
kill -KILL "$AGENT"; wait "$AGENT" 2>/dev/null
start_agent 2
check "the agent restarts after kill -9" test $? = 0
check "the server's link survived the agent's start" in_ns gw ip link show "$WGS"
check "and still carries alice" via_server
check "the agent carries the LAN again" via_agent
check_eq "one table each, no duplicates" "table inet warren table inet warren_server" \
	"$(in_ns gw nft list tables | sort | xargs)"
kill -KILL "$SERVER"; wait "$SERVER" 2>/dev/null
start_server 2
check "the server restarts after kill -9 and takes its link over" grep -q "taking over" "$WT_DIR/server2.log"
check "alice is carried again" via_server
check_eq "the agent's table stayed as it was" "$a1" "$(table warren)"

# Stopping one leaves the other whole, forwarding on; the last one out restores it.
stop "$AGENT"
check "the agent's table is gone at its stop" test -z "$(table warren)"
check "its link is gone" bash -c "! ip -n '$(ns gw)' link show '$WGA' 2>/dev/null"
check_eq "the server's table is untouched" "$s1" "$(table warren_server)"
check_eq "forwarding stays on for the server" 1 "$(fwd)"
check "alice is still carried" via_server
stop "$SERVER"
check_state "after both stopped, gw is as before" gw before
check_eq "forwarding is back to what it was" "$FWD0" "$(fwd)"

# The other order: the server stops first.
start_agent 3
start_server 3
check "both run again" bash -c "test -S '$ASOCK' && test -S '$SSOCK'"
stop "$SERVER"
check "the server's table is gone at its stop" test -z "$(table warren_server)"
check_eq "the agent's table is untouched" "$a1" "$(table warren)"
check_eq "forwarding stays on for the agent" 1 "$(fwd)"
check "the agent still carries the LAN" via_agent

# `warren up` in the same state directory: the agent neither sweeps nor adopts it, and
# `warren down` refuses a link the server's journal holds.
printf '[Interface]\nPrivateKey = %s\nAddress = 10.80.0.1/24\n' "$(wg_genkey)" >"$WT_DIR/$WGX.conf"
check "warren up beside the agent" warren_in gw up --state-dir "$STATE" "$WT_DIR/$WGX.conf"
stop "$AGENT"
start_agent 4
check "the agent's start leaves the up tunnel alone" in_ns gw ip link show "$WGX"
stop "$AGENT"
check "and so does its stop" in_ns gw ip link show "$WGX"
check "warren down removes it" warren_in gw down --state-dir "$STATE" "$WT_DIR/$WGX.conf"
check_state "gw is as before" gw before
start_server 4
printf '[Interface]\nPrivateKey = %s\nAddress = 10.81.0.1/24\n' "$(wg_genkey)" >"$WT_DIR/$WGS.conf"
out=$(warren_in gw down --state-dir "$STATE" "$WT_DIR/$WGS.conf" 2>&1); rc=$?
check_eq "warren down of the server's link is refused" \
	"1 warren: tunnel ${WGS:0:12}: link $WGS belongs to the running server, not to \"warren up\"" "$rc $out"
out=$(warren_in gw up --state-dir "$STATE" "$WT_DIR/$WGS.conf" 2>&1); rc=$?
check_eq "and so is warren up" "1 warren: tunnel ${WGS:0:12}: link $WGS belongs to the running server" "$rc $out"
# A stop deleted the link: alice's client handshakes again after its ~15 s silence.
check "the server's link is untouched" ping_ok cl 10.212.0.2 15
stop "$SERVER"
check_state "gw is as before at the end" gw before
check_eq "forwarding is as before at the end" "$FWD0" "$(fwd)"
finish
