#!/usr/bin/env bash
# tests/web/t_dns_web.sh: the built-in resolver in the console and the portal, in Debian's
# Chromium against a real warren server with server.resolver (its upstream unreachable:
# internal names and filtered names need none). alice's device is a real WireGuard peer
# in ns tun; every row of the query log comes from a real query dig sends through her
# tunnel to the server's tunnel address. An admin adds a record, a rule and a block list
# in the console (dig then sees them), searches and pages the query log, reads the
# statistics over 24 hours and 7 days, turns the list off and on, fetches it again and
# deletes what it made; a viewer sees no change control; alice reads her device's name,
# her counts and her latest queries on the portal and copies the name. Both languages at
# 1280x800 and 390x844, every control labelled, no console error, no CSP violation;
# dns.mjs does the browser's part, screenshots into build/web-shots/.
#
#   ns cli (chromium)    veth     ns web (warren server, resolver)    veth    ns tun (alice)
#   vc 10.208.0.2/24 ------------ vw 10.208.0.1/24                             wg 10.9.x.y
#                                 vt 10.209.0.1/24 --------------------------- vu 10.209.0.2/24
#   portal https://10.208.0.1:8443, resolver on 10.9.0.1 (the server's tunnel address)
. "$(dirname "$0")/../netns/lib.sh"
require ip wg openssl node jq dig
need_warren
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip_all "no $CHROMIUM (make deps installs chromium)"
[ -d "$WT_ROOT/tests/web/node_modules/playwright-core" ] ||
	skip_all "no playwright-core in tests/web/node_modules (make deps runs npm ci)"

VW=$(lname vw) VC=$(lname vc) VT=$(lname vt) VU=$(lname vu) WGS=$(lname wgd) WGC=$(lname wge)
ns_new web cli tun
veth web "$VW" 10.208.0.1/24 cli "$VC" 10.208.0.2/24
veth web "$VT" 10.209.0.1/24 tun "$VU" 10.209.0.2/24
SOCK=$WT_DIR/server.sock CONF=$WT_DIR/server.conf URL=https://10.208.0.1:8443

test_ca 10.208.0.1 || finish
SPKI=$(openssl x509 -in "$WT_DIR/portal.crt" -noout -pubkey | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)
SKEY=$(wg_genkey)

# A block list in a file on the server: two names in two notations and one line no
# reader takes.
printf '# test list\n0.0.0.0 tracker.example\n||ads.example.net^\nthis is not a list line !!\n' \
	>"$WT_DIR/block.hosts"

cat >"$CONF" <<EOF2
daemon = { state_dir = "$WT_DIR/state"; socket = "$SOCK"; };
server = { interface = "$WGS"; listen_port = 51820; private_key = "$SKEY";
           endpoint = "10.209.0.1:51820"; pool = [ "10.9.0.0/16" ];
           client_allowed_ips = [ "10.9.0.0/16" ]; egress = "$VW"; snat = false;
           database = "$WT_DIR/warren.db";
           resolver = { upstream = [ "127.0.0.1:5399" ]; };
           portal = { listen = "10.208.0.1:8443"; tls_cert_file = "$WT_DIR/portal.crt";
                      tls_key_file = "$WT_DIR/portal.key"; }; };
EOF2
spawn web server "$WARREN" server -c "$CONF"
SERVER=$WT_LAST_PID
portal_up() { in_ns cli curl -s -o /dev/null --cacert "$WT_DIR/ca.pem" "$URL/"; }
if ! wait_for 10 test -S "$SOCK" || ! wait_for 5 portal_up; then
	not_ok "the server starts with its portal and resolver" "$(tail -n 20 "$WT_DIR/server.log")"
	finish
fi
ok "the server starts with its portal and resolver"
W() { in_ns web "$WARREN" "$@" -s "$SOCK"; }

# alice's device is a WireGuard peer in ns tun; bob has a device that never connects.
CKEY=$(wg_genkey)
W group add staff >/dev/null
W user add alice --group staff --public-key "$(wg_pubkey "$CKEY")" >/dev/null
W user add bob >/dev/null
ADDR=$(W user show alice --json | jq -r '.devices[0].addresses[0] // empty')
check "alice's device has an address ($ADDR)" test -n "$ADDR"
wg_dev tun "$WGC" "$CKEY" 0 "${ADDR%/*}/32" || finish
wg_add_peer tun "$WGC" "$(wg_pubkey "$SKEY")" 10.9.0.0/16 10.209.0.1:51820 25
# The server gave the device a preshared key; its file says which.
PSK=$(W user config alice | sed -n 's/^PresharedKey *= *//p')
[ -n "$PSK" ] && in_ns tun wg set "$WGC" peer "$(wg_pubkey "$SKEY")" preshared-key "$(wg_keyfile "$PSK")"
in_ns tun ip route add 10.9.0.0/16 dev "$WGC"
DNS=10.9.0.1
q() { in_ns tun dig @"$DNS" +tries=1 +time=3 "$@"; }
check "alice's tunnel carries DNS: her own name answers with her address" \
	wait_for 10 sh -c "ip netns exec $(ns tun) dig @$DNS +short +tries=1 +time=2 alice.alice.vpn.internal | grep -qx ${ADDR%/*}"
if ! q +short alice.alice.vpn.internal | grep -qx "${ADDR%/*}"; then
	diag "$(in_ns tun wg show "$WGC" 2>&1 | head -12)"
	diag "$(tail -n 15 "$WT_DIR/server.log")"
	diag "$(in_ns web ss -lunp 2>&1 | head)"
fi
check_eq "a name of the zone that does not exist is NXDOMAIN" NXDOMAIN \
	"$(q nothing.alice.vpn.internal | sed -n 's/.*status: \([A-Z]*\).*/\1/p')"

P_ALICE=$(W user passwd alice)
P_ROOT=$(W admin add root)
P_EVE=$(W admin add eve --role viewer)
check "the one-time passwords are printed" test -n "$P_ALICE" -a -n "$P_ROOT" -a -n "$P_EVE"

mkdir -p "$WT_DIR/home" "$WT_ROOT/build/web-shots"
in_ns cli env HOME="$WT_DIR/home" CHROMIUM="$CHROMIUM" SPKI="$SPKI" URL="$URL" \
	SHOTS="$WT_ROOT/build/web-shots" WEB="$WT_ROOT/web" WORK="$WT_DIR" \
	WARREN="$WARREN" SOCK="$SOCK" P_ROOT="$P_ROOT" P_EVE="$P_EVE" P_ALICE="$P_ALICE" \
	TUN_NS="$(ns tun)" DNS="$DNS" ADDR="${ADDR%/*}" LIST_FILE="$WT_DIR/block.hosts" \
	node "$WT_ROOT/tests/web/dns.mjs" >"$WT_DIR/dns.out" 2>&1
rc=$?
cat "$WT_DIR/dns.out"
WT_PASS=$((WT_PASS + $(grep -c '^ok' "$WT_DIR/dns.out")))
nok=$(grep -c '^not ok' "$WT_DIR/dns.out")
WT_FAIL=$((WT_FAIL + nok))
[ "$rc" != 0 ] && [ "$nok" = 0 ] && not_ok "dns.mjs exited $rc"
check "the server is still running" kill -0 "$SERVER"
finish
