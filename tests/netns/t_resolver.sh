#!/usr/bin/env bash
# tests/netns/t_resolver.sh: the server's built-in DNS with real clients through stock
# wg-quick: internal names that follow the users, PTR, admin records; forwarding to a
# local authoritative server (nsd) with DNSSEC (secure, bogus, insecure); a block list
# for one group and not another, an allow rule over it; no leaks (a query to 8.8.8.8
# answered by warren and logged against the user, DoT and DoH refused, the canary
# answered as filtered); the query log's user and device; a flooding client limited while
# another is served; malformed packets; stop leaves no trace.
#
#   ns a (alice, staff)  10.201.0.2 ---- 10.201.0.1  ns srv (warren)  10.210.0.1 ---- ns up
#   ns b (bob, guests)   10.202.0.2 ---- 10.202.0.1   wg 10.9.0.1/24               10.210.0.53
#                                                     resolver :53                 nsd :53,
#                                                                                  TCP 443, 853, 80
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dnsauth.sh"
require ip wg wg-quick nft socat jq dig nsd ldns-signzone dnsmasq
need_warren

VA=$(lname va) CA=$(lname ca) VB=$(lname vb) CB=$(lname cb) VE=$(lname ve) VU=$(lname vu)
WGS=$(lname wgs) WA=$(lname wra) WB=$(lname wrb)
ns_new srv a b up
ns_forward srv
veth srv "$VA" 10.201.0.1/24 a "$CA" 10.201.0.2/24
veth srv "$VB" 10.202.0.1/24 b "$CB" 10.202.0.2/24
veth srv "$VE" 10.210.0.1/24 up "$VU" 10.210.0.53/24
ip -n "$(ns up)" addr add 10.210.0.54/24 dev "$VU"
ip -n "$(ns b)" route add 10.201.0.0/24 via 10.202.0.1
# 8.8.8.8 stands for a public resolver: the up namespace has it, so a leak would be answered.
ip -n "$(ns up)" addr add 8.8.8.8/32 dev "$VU"
ip -n "$(ns srv)" route add 8.8.8.8/32 via 10.210.0.53
AUTH=$WT_DIR/auth
dnsauth_start "$AUTH" 10.210.0.53 53 "$(ns up)" || { not_ok "nsd starts in ns up"; exit 1; }
at_exit dnsauth_stop "$AUTH"
# The "public resolver" answers every name with 6.6.6.6: a leak would show it.
spawn up leak dnsmasq -k --listen-address=8.8.8.8 --bind-interfaces --no-resolv --no-hosts \
	--address=/#/6.6.6.6 --pid-file= --user=root
for p in 80 443 853; do
	spawn up "tcp$p" socat TCP-LISTEN:$p,fork,reuseaddr SYSTEM:'echo ok'
done

SOCK=$WT_DIR/server.sock CONF=$WT_DIR/server.conf DB=$WT_DIR/warren.db
cat >"$WT_DIR/ads.txt" <<'EOF'
# a list in several formats
0.0.0.0 www.unsigned.example
||mail.unsigned.example^
this is not a domain
EOF
cat >"$CONF" <<EOF
daemon = { state_dir = "$WT_DIR/state"; socket = "$SOCK"; };
server = { interface = "$WGS"; listen_port = 51820; private_key = "$(wg_genkey)";
           endpoint = "10.201.0.1:51820"; pool = [ "10.9.0.0/24", "fd09::/64" ];
           client_allowed_ips = [ "10.9.0.0/24", "10.210.0.0/24", "8.8.8.8/32" ];
           egress = "$VE"; snat = true; database = "$DB";
           resolver = { upstream = [ "10.210.0.53" ]; trust_anchor_file = "$AUTH/anchors.key";
                        doh = [ "10.210.0.54/32" ]; rate_limit = 100;
                        log = { rate = 20; burst = 40; }; }; };
EOF
W() { in_ns srv "$WARREN" "$@" -s "$SOCK"; }
state_save srv before
spawn srv server "$WARREN" server -c "$CONF"
SERVER=$WT_LAST_PID
wait_for 10 test -S "$SOCK" && wait_for 5 in_ns srv wg show "$WGS"
check "the server starts with its resolver" test $? = 0

W group add staff >/dev/null
W group add guests >/dev/null
W user add alice --group staff >/dev/null
W user add bob --group guests >/dev/null
W user config alice >"$WT_DIR/alice.full"
check "a client's file points its DNS at the server's tunnel addresses" \
	grep -q '^DNS = 10.9.0.1, fd09::1' "$WT_DIR/alice.full"

# up NS USER IF: the user's file without its DNS line (wg-quick would rewrite the host's
# resolv.conf), brought up with wg-quick as IF.
up() {
	W user config "$2" | grep -v '^DNS' >"$WT_DIR/$3.conf"
	chmod 600 "$WT_DIR/$3.conf"
	in_ns "$1" wg-quick up "$WT_DIR/$3.conf" >"$WT_DIR/$3.up" 2>&1
}
check "alice brings her file up with wg-quick" up a alice "$WA"
check "bob brings his file up with wg-quick" up b bob "$WB"
at_exit "ip netns exec '$(ns a)' wg-quick down '$WT_DIR/$WA.conf' >/dev/null 2>&1"
at_exit "ip netns exec '$(ns b)' wg-quick down '$WT_DIR/$WB.conf' >/dev/null 2>&1"
check "alice's tunnel carries" ping_ok a 10.9.0.1 5
check "bob's tunnel carries" ping_ok b 10.9.0.1 5

# q NS NAME [TYPE] [SERVER]: the answer section's data, one per line.
q() { in_ns "$1" dig +time=2 +tries=1 +short "@${4:-10.9.0.1}" "$2" "${3:-A}" 2>/dev/null; }
# rc NS NAME [TYPE] [SERVER]: the answer's status (NOERROR, NXDOMAIN, SERVFAIL ...).
rc() {
	in_ns "$1" dig +time=2 +tries=1 "@${4:-10.9.0.1}" "$2" "${3:-A}" 2>/dev/null |
		sed -n 's/.*status: \([A-Z]*\),.*/\1/p'
}
flags() { in_ns "$1" dig +time=2 +tries=1 +dnssec "@10.9.0.1" "$2" "${3:-A}" 2>/dev/null | sed -n 's/.*;; flags: \([a-z ]*\);.*/\1/p'; }
dev_a=$(W user show alice --json | jq -r '.devices[0].name')
addr_a=$(W user show alice --json | jq -r '.devices[0].addresses[0]' | cut -d/ -f1)

# ---- internal names
check_eq "DEVICE.USER.vpn.internal answers the device's address" "$addr_a" "$(q a "$dev_a.alice.vpn.internal")"
check "USER.vpn.internal answers its devices' addresses" bash -c "[ \"\$(ip netns exec '$(ns a)' dig +short @10.9.0.1 alice.vpn.internal | sort | head -1)\" != '' ]"
check "the answer is authoritative" bash -c "ip netns exec '$(ns a)' dig @10.9.0.1 alice.vpn.internal | grep -q 'flags:.* aa'"
check_eq "a name that does not exist in the zone is NXDOMAIN" NXDOMAIN "$(rc a nobody.vpn.internal)"
rev=$(printf '%s' "$addr_a" | awk -F. '{ print $4"."$3"."$2"."$1".in-addr.arpa" }')
check_eq "PTR of a device's address names the device" "$dev_a.alice.vpn.internal." "$(q a "$rev" PTR)"
check_eq "PTR of a pool address no device has is NXDOMAIN" NXDOMAIN "$(rc a 250.0.9.10.in-addr.arpa PTR)"
check "AAAA of the device answers its IPv6 address" bash -c "ip netns exec '$(ns a)' dig +short @10.9.0.1 $dev_a.alice.vpn.internal AAAA | grep -q '^fd09::'"
W device add tablet --user bob --config >/dev/null
check "a device added is answered within 2 s" wait_for 2 bash -c "[ -n \"\$(ip netns exec '$(ns a)' dig +short @10.9.0.1 tablet.bob.vpn.internal)\" ]"
W device delete tablet --user bob >/dev/null
check "and gone within 2 s of its deletion" wait_for 2 bash -c "[ \"\$(ip netns exec '$(ns a)' dig @10.9.0.1 tablet.bob.vpn.internal | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')\" = NXDOMAIN ]"
W dns record add git.vpn.internal A 10.210.0.80 >/dev/null
W dns record add intranet.corp.example CNAME git.vpn.internal >/dev/null
W dns record add _sip._udp.vpn.internal SRV "10 5 5060 git.vpn.internal" >/dev/null
check_eq "an admin's A record answers" 10.210.0.80 "$(q a git.vpn.internal)"
check "a CNAME outside the zone is followed to its target" bash -c "ip netns exec '$(ns a)' dig +short @10.9.0.1 intranet.corp.example | grep -qx 10.210.0.80"
check_eq "an SRV record answers" "10 5 5060 git.vpn.internal." "$(q a _sip._udp.vpn.internal SRV)"

# ---- forwarding and DNSSEC
check_eq "a name outside is forwarded to the upstream" 192.0.2.90 "$(q a www.unsigned.example)"
check_eq "a signed answer is forwarded" 192.0.2.80 "$(q a www.test.example)"
check "and validated: the AD flag" bash -c "ip netns exec '$(ns a)' dig +dnssec @10.9.0.1 www.test.example | grep -q 'flags:.* ad'"
check_eq "a bogus signature is SERVFAIL" SERVFAIL "$(rc a www.bad.example)"
check_eq "a name the upstream does not have is NXDOMAIN" NXDOMAIN "$(rc a nothing.test.example)"
check "TCP is answered too" bash -c "ip netns exec '$(ns a)' dig +tcp +short @10.9.0.1 www.test.example | grep -qx 192.0.2.80"

# ---- filtering
W dns list add ads "$WT_DIR/ads.txt" --group guests >/dev/null
check "the list is loaded with its bad line counted" wait_for 5 bash -c "'$WARREN' dns list show ads --json -s '$SOCK' | jq -e '.entries == 2 and .bad_lines == 1'"
check_eq "the guests' list blocks for bob" 0.0.0.0 "$(q b www.unsigned.example)"
check_eq "the adblock line blocks its subtree for bob" "" "$(q b mail.unsigned.example AAAA | grep -v '^::$')"
check_eq "and not for alice, whose group does not use it" 192.0.2.90 "$(q a www.unsigned.example)"
W dns rule add allow www.unsigned.example --group guests >/dev/null
check "an allow rule wins over the list" wait_for 5 bash -c "[ \"\$(ip netns exec '$(ns b)' dig +short @10.9.0.1 www.unsigned.example)\" = 192.0.2.90 ]"
W dns rule add block txt.test.example >/dev/null
check "a block rule for every group blocks for alice" wait_for 5 bash -c "[ \"\$(ip netns exec '$(ns a)' dig +short @10.9.0.1 txt.test.example A)\" = 0.0.0.0 ]"

# ---- no leaks
check_eq "a query to 8.8.8.8 from the tunnel is answered by warren, not 8.8.8.8" 192.0.2.90 "$(q a www.unsigned.example A 8.8.8.8)"
check "and over TCP" bash -c "[ \"\$(ip netns exec '$(ns a)' dig +tcp +short @8.8.8.8 www.unsigned.example)\" = 192.0.2.90 ]"
check "the public resolver does answer from outside the tunnel (the probe can tell)" bash -c "[ \"\$(ip netns exec '$(ns srv)' dig +short @8.8.8.8 www.unsigned.example)\" = 6.6.6.6 ]"
tcp() { [ "$(in_ns "$1" socat -T 1.5 - "TCP:$2:$3,connect-timeout=1.5" </dev/null 2>/dev/null)" = ok ]; }
check "plain TCP to the outside connects" tcp a 10.210.0.53 80
check_not "DNS over TLS (853) to the outside is refused" tcp a 10.210.0.53 853
check_not "HTTPS to a DoH resolver is refused" tcp a 10.210.0.54 443
check "HTTPS elsewhere is not" tcp a 10.210.0.53 443
check "the refusals are counted in the status" bash -c "'$WARREN' status --json -s '$SOCK' | jq -e '.server.resolver.refused_dot_doh >= 2' >/dev/null"
check_eq "the canary domain is answered as filtered (NXDOMAIN)" NXDOMAIN "$(rc a use-application-dns.net)"

# ---- the query log
sleep 1.5
log=$(W dns log --user alice --json)
check "the log holds alice's queries with her device" bash -c "jq -e --arg d '$dev_a' '[.entries[] | select(.user == \"alice\" and .device == \$d)] | length > 5' <<<'$log' >/dev/null"
check "the query sent to 8.8.8.8 is logged against alice" bash -c "jq -e '[.entries[] | select(.name == \"www.unsigned.example\" and .user == \"alice\")] | length > 0' <<<'$log' >/dev/null"
blog=$(W dns log --user bob --blocked --json)
check "bob's blocked query names the list" bash -c "jq -e '[.entries[] | select(.name == \"www.unsigned.example\" and .blocked and .list == \"ads\")] | length > 0' <<<'$blog' >/dev/null"

# ---- a flood from alice, bob served meanwhile
for i in $(seq 2000); do echo "n$i.vpn.internal A"; done >"$WT_DIR/flood.txt"
if command -v dnsperf >/dev/null; then
	in_ns a dnsperf -s 10.9.0.1 -d "$WT_DIR/flood.txt" -l 3 -Q 2000 -q 2000 -t 1 >"$WT_DIR/flood.out" 2>&1 &
	FP=$!
	sleep 1
	check_eq "bob is answered while alice floods" 192.0.2.90 "$(q b www.unsigned.example)"
	wait $FP
	done_q=$(sed -n 's/.*Queries completed: *\([0-9]*\).*/\1/p' "$WT_DIR/flood.out")
	sent_q=$(sed -n 's/.*Queries sent: *\([0-9]*\).*/\1/p' "$WT_DIR/flood.out")
	diag "flood: $sent_q sent, $done_q answered (rate_limit 100/s, burst 200)"
	check "alice's flood is limited: at most about 100 a second answered" test "${done_q:-9999}" -le 700
	check "the status counts the limited queries" bash -c "'$WARREN' status --json -s '$SOCK' | jq -e '.server.resolver.rate_limited > 500' >/dev/null"
	sleep 1.5
	check "the log collapsed the flood into counted rows" bash -c "'$WARREN' dns log --user alice --json -s '$SOCK' | jq -e '[.entries[] | select(.collapsed > 0)] | length > 0' >/dev/null"
else
	skip "a flooding client is limited" "dnsperf missing"
fi

# ---- malformed packets never crash it
# Random bytes of many lengths, and query headers over garbage.
for i in $(seq 300); do
	n=$(( (i * 7919) % 700 ))
	if [ $((i % 3)) = 0 ]; then
		{ printf "\\x$(printf %02x $((i % 256)))\\x$(printf %02x $((i / 256)))\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00"
		  head -c "$n" /dev/urandom; }
	else
		head -c "$n" /dev/urandom
	fi >"$WT_DIR/junk"
	in_ns b socat -u "FILE:$WT_DIR/junk" UDP:10.9.0.1:53 2>/dev/null
done
check "after 300 malformed datagrams the server runs" kill -0 "$SERVER"
check_eq "and answers" 192.0.2.80 "$(q b www.test.example)"

# ---- stop leaves no trace
kill -TERM "$SERVER"
wait_for 10 bash -c "! kill -0 $SERVER 2>/dev/null"
check "the server stops on SIGTERM" test $? = 0
check_not "nothing listens on port 53 after stop" bash -c "ip netns exec '$(ns srv)' ss -lnu | grep -q ':53 '"
check_state "stop leaves the namespace as it was" srv before
finish
