#!/usr/bin/env bash
# tests/web/t_portal.sh: the self-service portal in Debian's Chromium against a real
# warren server: a user signs in with the one-time password of `warren user passwd` and
# changes it; adds a device whose keys the browser makes; downloads the file and brings
# a real tunnel up with stock wg-quick; scans the page's QR code to the same file;
# makes new keys in the browser (the old file stops, the new one works); revokes a
# device (its peer leaves the interface); reads announcements (the unread count
# follows, live); makes an account from a voucher that then connects, and is refused a
# second time; the same in Simplified Chinese. No console errors, no CSP violations;
# screenshots of every page at 1280x800 and 390x844 into build/web-shots/; the first
# render after sign-in on a phone-sized window, in ms. portal.mjs does the browser's part.
#
#   ns web (warren server)           veth           ns cli (chromium, playwright-core)
#   vw 10.204.0.1/24 ------------------------------ vc 10.204.0.2/24
#   portal https://10.204.0.1:8443
#   wg :51820, tunnel 10.9.0.1
#   vt 10.205.0.1/24 ------------------------------ vu 10.205.0.2/24
#                                    veth           ns tun (wg-quick + wireguard-go:
#                                                    the downloaded files, ping 10.9.0.1)
. "$(dirname "$0")/../netns/lib.sh"
require ip wg wg-quick wireguard-go openssl node rsvg-convert zbarimg
need_warren
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip_all "no $CHROMIUM (make deps installs chromium)"
[ -d "$WT_ROOT/tests/web/node_modules/playwright-core" ] ||
	skip_all "no playwright-core in tests/web/node_modules (make deps runs npm ci)"

VW=$(lname vw) VC=$(lname vc) VT=$(lname vt) VU=$(lname vu) WGS=$(lname wgp) WGC=$(lname wgq)
ns_new web cli tun
veth web "$VW" 10.204.0.1/24 cli "$VC" 10.204.0.2/24
veth web "$VT" 10.205.0.1/24 tun "$VU" 10.205.0.2/24
ip -n "$(ns tun)" route add 10.204.0.0/24 via 10.205.0.1
SOCK=$WT_DIR/server.sock CONF=$WT_DIR/server.conf URL=https://10.204.0.1:8443

test_ca 10.204.0.1 || finish
# Chromium trusts the portal's key by its hash, so the page is a secure context (WebCrypto).
SPKI=$(openssl x509 -in "$WT_DIR/portal.crt" -noout -pubkey | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)

cat >"$CONF" <<EOF2
daemon = { state_dir = "$WT_DIR/state"; socket = "$SOCK"; };
server = { interface = "$WGS"; listen_port = 51820; private_key = "$(wg_genkey)";
           endpoint = "10.204.0.1:51820"; pool = [ "10.9.0.0/16" ];
           client_allowed_ips = [ "10.9.0.0/16" ]; egress = "$VW"; snat = false;
           database = "$WT_DIR/warren.db"; max_devices = 3;
           portal = { listen = "10.204.0.1:8443"; tls_cert_file = "$WT_DIR/portal.crt";
                      tls_key_file = "$WT_DIR/portal.key"; }; };
EOF2
spawn web server "$WARREN" server -c "$CONF"
portal_up() { in_ns cli curl -s -o /dev/null --cacert "$WT_DIR/ca.pem" "$URL/"; }
if ! wait_for 10 test -S "$SOCK" || ! wait_for 5 portal_up; then
	not_ok "the server starts with its portal" "$(tail -n 20 "$WT_DIR/server.log")"
	finish
fi
ok "the server starts with its portal"
W() { in_ns web "$WARREN" "$@" -s "$SOCK"; }

# The users: alice (English) and chen (Chinese), each with a one-time password, a
# quota and an expiry; their first device is left to the portal.
W user add alice --expires 60d --quota 20GiB/month --no-device >/dev/null &&
	W user add chen --expires 90d --no-device >/dev/null
P_ALICE=$(W user passwd alice) P_CHEN=$(W user passwd chen)
check "user passwd prints the one-time passwords" test -n "$P_ALICE" -a -n "$P_CHEN"

mkdir -p "$WT_DIR/home" "$WT_DIR/dl" "$WT_ROOT/build/web-shots"
in_ns cli env HOME="$WT_DIR/home" CHROMIUM="$CHROMIUM" SPKI="$SPKI" URL="$URL" \
	SHOTS="$WT_ROOT/build/web-shots" WEB="$WT_ROOT/web" WORK="$WT_DIR" \
	P_ALICE="$P_ALICE" P_CHEN="$P_CHEN" TUN_NS="$(ns tun)" WEB_NS="$(ns web)" WG_IF="$WGC" WGS="$WGS" \
	WARREN="$WARREN" SOCK="$SOCK" \
	node "$WT_ROOT/tests/web/portal.mjs" >"$WT_DIR/portal.out" 2>&1
rc=$?
cat "$WT_DIR/portal.out"
WT_PASS=$((WT_PASS + $(grep -c '^ok' "$WT_DIR/portal.out")))
nok=$(grep -c '^not ok' "$WT_DIR/portal.out")
WT_FAIL=$((WT_FAIL + nok))
[ "$rc" != 0 ] && [ "$nok" = 0 ] && not_ok "portal.mjs exited $rc"
check "the server is still running" kill -0 "$WT_LAST_PID"
finish
