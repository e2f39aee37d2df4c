#!/usr/bin/env bash
# tests/web/t_pages.sh: the console and the portal in Debian's Chromium against a real
# warren server and its portal: both pages load and sign-in renders in English and in
# Chinese, without console errors or CSP violations, every answer carries the security
# headers, files come gzip-encoded and immutable, pages revalidate with 304, unknown
# files are 404, the catalogs agree; pages.mjs also takes the screenshots into
# build/web-shots/.
#
#   ns web (warren server)           veth           ns cli (chromium, playwright-core)
#   vw 10.201.0.1/24 ------------------------------ vc 10.201.0.2/24
#   portal https://10.201.0.1:8443
. "$(dirname "$0")/../netns/lib.sh"
require ip wg openssl node
need_warren
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip_all "no $CHROMIUM (make deps installs chromium)"
[ -d "$WT_ROOT/tests/web/node_modules/playwright-core" ] ||
	skip_all "no playwright-core in tests/web/node_modules (make deps runs npm ci)"

VW=$(lname vw) VC=$(lname vc) WGS=$(lname wgw)
ns_new web cli
veth web "$VW" 10.201.0.1/24 cli "$VC" 10.201.0.2/24
SOCK=$WT_DIR/server.sock CONF=$WT_DIR/server.conf URL=https://10.201.0.1:8443

# A test CA and the portal's certificate for its address.
test_ca 10.201.0.1 || finish
# Chromium trusts the portal's key by its hash (--ignore-certificate-errors-spki-list),
# so the page is a secure context that caches as any other.
SPKI=$(openssl x509 -in "$WT_DIR/portal.crt" -noout -pubkey | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)

cat >"$CONF" <<EOF
daemon = { state_dir = "$WT_DIR/state"; socket = "$SOCK"; };
server = { interface = "$WGS"; listen_port = 51820; private_key = "$(wg_genkey)";
           endpoint = "10.201.0.1:51820"; pool = [ "10.9.0.0/24" ];
           client_allowed_ips = [ "10.9.0.0/24" ]; egress = "$VW"; snat = false;
           database = "$WT_DIR/warren.db";
           portal = { listen = "10.201.0.1:8443"; tls_cert_file = "$WT_DIR/portal.crt";
                      tls_key_file = "$WT_DIR/portal.key"; }; };
EOF
spawn web server "$WARREN" server -c "$CONF"
portal_up() { in_ns cli curl -s -o /dev/null --cacert "$WT_DIR/ca.pem" "$URL/"; }
if ! wait_for 10 test -S "$SOCK" || ! wait_for 5 portal_up; then
	not_ok "the server starts with its portal" "$(tail -n 20 "$WT_DIR/server.log")"
	finish
fi
ok "the server starts with its portal"

# Chromium wants a writable home for its caches; the run's own, gone with it.
mkdir -p "$WT_DIR/home" "$WT_ROOT/build/web-shots"
in_ns cli env HOME="$WT_DIR/home" CHROMIUM="$CHROMIUM" SPKI="$SPKI" URL="$URL" \
	SHOTS="$WT_ROOT/build/web-shots" WEB="$WT_ROOT/web" \
	node "$WT_ROOT/tests/web/pages.mjs" >"$WT_DIR/pages.out" 2>&1
rc=$?
cat "$WT_DIR/pages.out"
# pages.mjs prints its own ok/not ok lines; count them as ours.
WT_PASS=$((WT_PASS + $(grep -c '^ok' "$WT_DIR/pages.out")))
nok=$(grep -c '^not ok' "$WT_DIR/pages.out")
WT_FAIL=$((WT_FAIL + nok))
[ "$rc" != 0 ] && [ "$nok" = 0 ] && not_ok "pages.mjs exited $rc"
check "the server is still running" kill -0 "$WT_LAST_PID"
finish
