#!/usr/bin/env bash
# tests/netns/t_policy.sh: a group's access policy enforced in the kernel, with real
# clients through stock wg-quick: destinations by address, port and protocol (TCP, UDP,
# ping); isolation on and off; a schedule boundary crossed on the daemon's clock (moved by
# its test hook, not the host's) both ways within 1 s, also across midnight; an endpoint
# that moves out of the group's sources cut within 2 s and let back; forced portal login
# (DNS and the portal only before, everything after, cut after logout and after the idle
# time); per-user rates measured with iperf3 both ways; a user moved between groups
# touching only its own elements (nft monitor); tamper repaired; stop leaves no trace.
#
#   ns a (alice)  10.201.0.2 ---- 10.201.0.1  ns srv (warren server)  10.210.0.1 ---- ns dst
#   ns b (bob)    10.202.0.2 ---- 10.202.0.1   wg 10.9.0.1/24 :51820 (egress, SNAT)  10.210.0.2
#                 (moves to 10.202.0.100)      portal 0.0.0.0:8443                   10.210.0.3
#   dst: TCP 80, 81, 5201 (iperf3); UDP 5005, 6000; both addresses answer ping.
#   srv: a UDP echo on port 53 stands for the server's DNS.
. "$(dirname "$0")/lib.sh"
require ip wg wg-quick nft socat curl jq
need_warren

VA=$(lname va) CA=$(lname ca) VB=$(lname vb) CB=$(lname cb) VE=$(lname ve) VD=$(lname vd)
WGS=$(lname wgs) WA=$(lname wpa) WB=$(lname wpb)
ns_new srv a b dst
ns_forward srv
veth srv "$VA" 10.201.0.1/24 a "$CA" 10.201.0.2/24
veth srv "$VB" 10.202.0.1/24 b "$CB" 10.202.0.2/24
veth srv "$VE" 10.210.0.1/24 dst "$VD" 10.210.0.2/24
ip -n "$(ns dst)" addr add 10.210.0.3/24 dev "$VD"
ip -n "$(ns b)" route add 10.201.0.0/24 via 10.202.0.1
for p in 80 81; do spawn dst "tcp$p" socat TCP-LISTEN:$p,fork,reuseaddr SYSTEM:'echo ok'; done
for p in 5005 6000; do spawn dst "udp$p" socat -T 1 UDP4-RECVFROM:$p,fork EXEC:cat; done
command -v iperf3 >/dev/null && { spawn dst iperf3 iperf3 -s -B 10.210.0.2; }
spawn srv dns socat -T 1 UDP4-RECVFROM:53,fork EXEC:cat
test_ca 10.9.0.1 || exit 1

SOCK=$WT_DIR/server.sock CONF=$WT_DIR/server.conf DB=$WT_DIR/warren.db URL=https://10.9.0.1:8443
cat >"$CONF" <<EOF
daemon = { state_dir = "$WT_DIR/state"; socket = "$SOCK"; };
server = { interface = "$WGS"; listen_port = 51820; private_key = "$(wg_genkey)";
           endpoint = "10.201.0.1:51820"; pool = [ "10.9.0.0/24", "fd09::/64" ];
           client_allowed_ips = [ "10.9.0.0/24", "10.210.0.0/24" ]; timezone = "Europe/Berlin";
           egress = "$VE"; snat = true; database = "$DB"; policy = { log = true; };
           portal = { listen = "0.0.0.0:8443"; tls_cert_file = "$WT_DIR/portal.crt";
                      tls_key_file = "$WT_DIR/portal.key"; }; };
EOF
W() { in_ns srv "$WARREN" "$@" -s "$SOCK"; }
# ctl WORD...: one request on the control socket (warren/1, words separated by blanks).
ctl() { printf 'warren/1 %s\n' "$*" | in_ns srv socat -t 2 - "UNIX-CONNECT:$SOCK" >/dev/null; }
# The kernel logs from a namespace other than the first only when asked to.
LOGALL=$(cat /proc/sys/net/netfilter/nf_log_all_netns 2>/dev/null || echo 0)
echo 1 >/proc/sys/net/netfilter/nf_log_all_netns 2>/dev/null
at_exit "echo $LOGALL >/proc/sys/net/netfilter/nf_log_all_netns 2>/dev/null"
state_save srv before
spawn srv server env WARREN_TEST_CLOCK=1 "$WARREN" server -c "$CONF"
SERVER=$WT_LAST_PID
wait_for 10 test -S "$SOCK" && wait_for 5 in_ns srv wg show "$WGS"
check "the server starts" test $? = 0

W group add staff --destinations "10.210.0.2:80/tcp, 10.210.0.2:5005/udp, 10.210.0.2:5201/tcp, 10.210.0.3" >/dev/null
W group add guests --destinations "10.210.0.0/24" --sources "10.202.0.0/28" >/dev/null
W user add alice --group staff >/dev/null
W user add bob --group guests >/dev/null
check "the table holds a verdict map of device addresses" \
	bash -c "ip netns exec '$(ns srv)' nft list map inet warren_server dev4 | grep -q '10.9.0.2'"

# up NS FILE IF: the user's file without DNS, brought up with wg-quick as IF.
up() {
	W user config "$2" | grep -v '^DNS' >"$WT_DIR/$3.conf"
	chmod 600 "$WT_DIR/$3.conf"
	in_ns "$1" wg-quick up "$WT_DIR/$3.conf" >"$WT_DIR/$3.up" 2>&1
}
check "alice brings her file up with wg-quick" up a alice "$WA"
check "bob brings his file up with wg-quick" up b bob "$WB"
at_exit "ip netns exec '$(ns a)' wg-quick down '$WT_DIR/$WA.conf' >/dev/null 2>&1"
at_exit "ip netns exec '$(ns b)' wg-quick down '$WT_DIR/$WB.conf' >/dev/null 2>&1"

# tcp NS HOST PORT [SECONDS]: the far end's "ok" came back; udp: the datagram came back.
tcp() { [ "$(in_ns "$1" socat -T "${4:-1.5}" - "TCP:$2:$3,connect-timeout=${4:-1.5}" </dev/null 2>/dev/null)" = ok ]; }
udp() { [ "$(echo probe | in_ns "$1" socat -T "${4:-1.5}" - "UDP:$2:$3" 2>/dev/null)" = probe ]; }
ping1() { in_ns "$1" ping -n -q -c 1 -W 1 "$2" >/dev/null 2>&1; }
not() { ! "$@"; }
# portal NS: the portal answers HTTPS on the server's tunnel address.
portal() { [ "$(in_ns "$1" curl -s -o /dev/null -w '%{http_code}' -m 2 --cacert "$WT_DIR/ca.pem" "$URL/")" = 200 ]; }
# cut_ms NS ADDR SECONDS: ms until a short probe (0.2 s) first goes unanswered, counted
# from the probe's start; up_ms: until one is answered. 99999 when it never happens.
cut_ms() {
	local t0 end; t0=$(date +%s%N); end=$((t0 + $3 * 1000000000))
	while [ "$(date +%s%N)" -lt "$end" ]; do
		local t; t=$(date +%s%N)
		in_ns "$1" ping -n -q -c 1 -W 0.2 "$2" >/dev/null 2>&1 || { echo $(( (t - t0) / 1000000 )); return; }
		sleep 0.05
	done
	echo 99999
}
up_ms() {
	local t0 end; t0=$(date +%s%N); end=$((t0 + $3 * 1000000000))
	while [ "$(date +%s%N)" -lt "$end" ]; do
		in_ns "$1" ping -n -q -c 1 -W 0.2 "$2" >/dev/null 2>&1 && { echo $(( ($(date +%s%N) - t0) / 1000000 )); return; }
	done
	echo 99999
}
ping_ok a 10.9.0.1 5 >/dev/null
wait_for 5 tcp a 10.210.0.2 80
check "staff: TCP to an allowed address and port connects" tcp a 10.210.0.2 80
check_not "staff: TCP to another port of it is refused" tcp a 10.210.0.2 81
check "staff: UDP to the allowed port comes back" udp a 10.210.0.2 5005
check_not "staff: UDP to another port does not" udp a 10.210.0.2 6000
check_not "staff: ping to an address allowed only by port is refused" ping1 a 10.210.0.2
check "staff: a whole address allows ping" ping1 a 10.210.0.3
check "staff: and any port on it" tcp a 10.210.0.3 81
blocked=$(W user show alice --json | jq '[.devices[].policy.blocked_packets] | add')
check "alice's refused packets are counted in her status" test "${blocked:-0}" -gt 0
check "and sampled to the kernel log with her address" bash -c "dmesg | grep -q 'warren-blocked .*SRC=10.9.0.2 '"

# ---- isolation
ping_ok b 10.9.0.1 5 >/dev/null
wait_for 3 ping1 b 10.210.0.2
check "guests: bob reaches the whole network" ping1 b 10.210.0.2
check "clients see each other while the group does not isolate" ping1 a 10.9.0.3
W group set staff --isolate >/dev/null
check_not "isolated: alice no longer reaches bob" ping1 a 10.9.0.3
check "isolated: she still reaches her destinations" tcp a 10.210.0.2 80
W group set staff --no-isolate >/dev/null
check "isolation off again: she reaches bob" ping1 a 10.9.0.3

# ---- sources: bob's endpoint moves out of 10.202.0.0/28 and back
check_eq "bob's endpoint is inside: allowed" true \
	"$(W user show bob --json | jq -r '.devices[0].policy.endpoint_allowed')"
in_ns b ping -n -q -i 0.2 -w 30 10.210.0.2 >/dev/null 2>&1 &
track_pid $!
# The old address goes; the new one, promoted, is the source from then on.
in_ns b sysctl -qw "net.ipv4.conf.$CB.promote_secondaries=1"
ip -n "$(ns b)" addr add 10.202.0.100/24 dev "$CB"
ip -n "$(ns b)" addr del 10.202.0.2/24 dev "$CB"
# A roaming client's socket starts over on the new network, as a phone's does.
in_ns b wg set "$WB" listen-port 0
t1=$(cut_ms b 10.210.0.2 4)
check "an endpoint outside the sources is cut within 2 s ($t1 ms)" test "$t1" -le 2000
check_eq "the state says so" false "$(W user show bob --json | jq -r '.devices[0].policy.endpoint_allowed')"
check "the event is logged with the endpoint" grep -q 'bob/bob: endpoint 10.202.0.100:[0-9]* outside' "$WT_DIR/server.log"
ip -n "$(ns b)" addr add 10.202.0.2/24 dev "$CB"
ip -n "$(ns b)" addr del 10.202.0.100/24 dev "$CB"
in_ns b wg set "$WB" listen-port 0
t1=$(up_ms b 10.210.0.2 4)
check "back inside: restored within 2 s ($t1 ms)" test "$t1" -le 2000

# ---- schedule: guests Mon-Fri 08:00-18:00, Sat 22:00-02:00 in Europe/Berlin
W group set guests --schedule "Mon-Fri 08:00-18:00, Sat 22:00-02:00" >/dev/null
# offset TARGET: the daemon's clock moved so that it reads TARGET (Berlin time) now.
offset() { echo $(( $(TZ=Europe/Berlin date -d "$1" +%s) - $(date +%s) )); }
ctl clock "$(offset '2027-03-01 07:59:58')"   # a Monday, two seconds before opening
check_not "before the window: bob carries nothing" ping1 b 10.210.0.2
check "but the portal still answers" portal b
check "and the server's DNS answers" udp b 10.9.0.1 53
t1=$(up_ms b 10.210.0.2 5)
check "the window opens at 08:00 on the daemon's clock, within 1 s (up $t1 ms after 2 s less)" \
	test "$t1" -le 3000
ctl clock "$(offset '2027-03-01 17:59:58')"
check "at 17:59:58 it is open" ping1 b 10.210.0.2
t1=$(cut_ms b 10.210.0.2 5)
check "and closed within 1 s of 18:00 (cut $t1 ms after 2 s less)" test "$t1" -le 3000
ctl clock "$(offset '2027-03-06 23:30:00')"   # Saturday night
check "Saturday 23:30 is inside the window that crosses midnight" ping1 b 10.210.0.2
# a few seconds before the end: a slow guest's ping must not cross 02:00 itself
ctl clock "$(offset '2027-03-07 01:59:56')"
check "so is Sunday 01:59:56" ping1 b 10.210.0.2
sleep 4.5
check_not "Sunday 02:00 is not" ping1 b 10.210.0.2
check_eq "the group's state shows the schedule closed" false \
	"$(W group show guests --json | jq -r '.state.open')"
ctl clock 0
W group set guests --inherit schedule >/dev/null
check "the schedule back to the file's (always): bob carries again" ping1 b 10.210.0.2

# ---- a user moved between groups: one user's elements only
spawn srv monitor nft monitor
MON=$WT_LAST_PID
sleep 0.5
check "as a guest bob pings the far end" ping1 b 10.210.0.2
W user set bob --group staff >/dev/null
t1=$(cut_ms b 10.210.0.2 3)
check "bob moved to staff behaves as staff within 1 s ($t1 ms)" test "$t1" -le 1000
check "and reaches staff's destinations" tcp b 10.210.0.2 80
sleep 0.5
kill "$MON" 2>/dev/null
check "nft monitor saw bob's elements change" grep -q '10.9.0.3' "$WT_DIR/monitor.log"
check_not "and nothing of alice's" grep -q '10.9.0.2\b' "$WT_DIR/monitor.log"
W user set bob --group guests >/dev/null

# ---- forced portal login, idle 3 s
W group set staff --portal-login --idle 3s >/dev/null
wait_for 2 not tcp a 10.210.0.2 80 1
check_not "portal login: before signing in alice reaches nothing" tcp a 10.210.0.2 80
check "but the portal answers through the tunnel" portal a
check "and the server's DNS answers" udp a 10.9.0.1 53
PW=$(W user passwd alice)
API_NS=a login alice "$PW"
check_eq "she signs in on the portal through the tunnel" 200 "$ST"
wait_for 2 tcp a 10.210.0.2 80
check "signed in: everything her group allows" tcp a 10.210.0.2 80
check_eq "the state says signed in" true "$(W user show alice --json | jq -r '.devices[0].policy.signed_in')"
API_NS=a req POST /api/v1/logout
t1=$(cut_ms a 10.210.0.3 3)
check "signed out: cut again within 1 s ($t1 ms)" test "$t1" -le 1000
API_NS=a login alice "$PW"
wait_for 2 tcp a 10.210.0.2 80
check "signed in again" tcp a 10.210.0.2 80
sleep 4.5
check_not "after 3 s without traffic the tunnel is closed again" tcp a 10.210.0.2 80
API_NS=a req GET /api/v1/me
check_eq "and the portal session went with it" 401 "$ST"
W group set staff --no-portal-login >/dev/null

# ---- rates: alice 8 Mbit down / 4 Mbit up, measured both ways
if command -v iperf3 >/dev/null; then
W user set alice --rate 8Mbit/4Mbit >/dev/null
rate() { in_ns a iperf3 -c 10.210.0.2 -t 4 -O 1 -J "$@" 2>/dev/null | jq '.end.sum_received.bits_per_second // 0 | floor'; }
up_bps=$(rate)
dn_bps=$(rate -R)
check "upload within 10 % of 4 Mbit/s ($up_bps)" test "$up_bps" -ge 3600000 -a "$up_bps" -le 4400000
check "download within 10 % of 8 Mbit/s ($dn_bps)" test "$dn_bps" -ge 7200000 -a "$dn_bps" -le 8800000
W user set alice --rate-inherit >/dev/null
free_bps=$(rate -R)
check "without her rate she is not shaped ($free_bps)" test "$free_bps" -gt 12000000
else
	skip "rates measured with iperf3" "no iperf3"
fi

# ---- tamper and stop
in_ns srv nft delete element inet warren_server dev4 '{ 10.9.0.2 }'
wait_for 5 bash -c "ip netns exec '$(ns srv)' nft list map inet warren_server dev4 | grep -q '10.9.0.2 '"
check "a deleted element is put back" test $? = 0
check "and alice reaches her destinations again" tcp a 10.210.0.2 80
fwd() { in_ns srv nft list chain inet warren_server forward | grep -v handle; }
fwd >"$WT_DIR/forward.before"
repairs() { W status --json | jq .server.repairs; }
r0=$(repairs)
in_ns srv nft flush chain inet warren_server forward
wait_for 5 bash -c "[ \"\$(ip netns exec '$(ns srv)' nft list chain inet warren_server forward)\" = \"\$(cat '$WT_DIR/forward.before')\" ]"
check "a flushed chain is made again, rule for rule" test $? = 0
check "and the repair is counted in status ($r0 -> $(repairs))" test "$(repairs)" -gt "$r0"

# ---- a crash and a restart: the table is made whole again; stop still leaves nothing
kill -KILL "$SERVER"
wait "$SERVER" 2>/dev/null
check "after a crash the table is still in place" in_ns srv nft list table inet warren_server
spawn srv server2 env WARREN_TEST_CLOCK=1 "$WARREN" server -c "$CONF"
SERVER=$WT_LAST_PID
wait_for 15 W status
check "the server restarts over what the crash left" test $? = 0
wait_for 10 tcp a 10.210.0.2 80
check "alice reaches her destinations again" tcp a 10.210.0.2 80
check_not "and still only those" tcp a 10.210.0.2 81
check "the restart counted no second table" test "$(in_ns srv nft list tables | grep -c warren_server)" = 1

in_ns a wg-quick down "$WT_DIR/$WA.conf" >/dev/null 2>&1
in_ns b wg-quick down "$WT_DIR/$WB.conf" >/dev/null 2>&1
kill -TERM "$SERVER"
wait "$SERVER" 2>/dev/null
check_not "stop: no table of warren's is left" in_ns srv nft list table inet warren_server
check_not "and no qdisc of warren's on the egress" bash -c "ip netns exec '$(ns srv)' tc qdisc show dev '$VE' | grep -q 5752:"
check_state "stop leaves the server's namespace as it was" srv before
finish
