#!/usr/bin/env bash
# tests/web/t_pages.sh: the console and the portal in Debian's Chromium against a real
# warren server and its portal, with 10,000 users: sign-in with a one-time password from
# `warren admin add` and the forced change, every console page in English and Chinese,
# users made, edited, disabled and deleted, a configuration downloaded by the browser
# bringing a real tunnel up with stock wg-quick, its QR code decoding to the same file,
# CSV import and export, roles, TOTP; without console errors or CSP violations; the
# headers, gzip, caching and 304s of every answer. pages.mjs does the browser's part and
# takes the screenshots into build/web-shots/; it prints the users page's first render
# and the API time of one page.
#
#   ns web (warren server)           veth           ns cli (chromium, playwright-core)
#   vw 10.201.0.1/24 ------------------------------ vc 10.201.0.2/24
#   portal https://10.201.0.1:8443
#   wg :51820, tunnel 10.9.0.1
#   vt 10.202.0.1/24 ------------------------------ vu 10.202.0.2/24
#                                    veth           ns tun (wg-quick + wireguard-go:
#                                                    the downloaded file, ping 10.9.0.1)
. "$(dirname "$0")/../netns/lib.sh"
require ip wg wg-quick wireguard-go openssl node rsvg-convert zbarimg
need_warren
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip_all "no $CHROMIUM (make deps installs chromium)"
[ -d "$WT_ROOT/tests/web/node_modules/playwright-core" ] ||
	skip_all "no playwright-core in tests/web/node_modules (make deps runs npm ci)"
NUSERS=${NUSERS:-10000}

VW=$(lname vw) VC=$(lname vc) VT=$(lname vt) VU=$(lname vu) WGS=$(lname wgw) WGC=$(lname wgc)
ns_new web cli tun
veth web "$VW" 10.201.0.1/24 cli "$VC" 10.201.0.2/24
veth web "$VT" 10.202.0.1/24 tun "$VU" 10.202.0.2/24
ip -n "$(ns tun)" route add 10.201.0.0/24 via 10.202.0.1
SOCK=$WT_DIR/server.sock CONF=$WT_DIR/server.conf URL=https://10.201.0.1:8443

# A test CA and the portal's certificate for its address.
test_ca 10.201.0.1 || finish
# Chromium trusts the portal's key by its hash (--ignore-certificate-errors-spki-list),
# so the page is a secure context that caches as any other.
SPKI=$(openssl x509 -in "$WT_DIR/portal.crt" -noout -pubkey | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)

cat >"$CONF" <<EOF2
daemon = { state_dir = "$WT_DIR/state"; socket = "$SOCK"; };
server = { interface = "$WGS"; listen_port = 51820; private_key = "$(wg_genkey)";
           endpoint = "10.201.0.1:51820"; pool = [ "10.9.0.0/16" ];
           client_allowed_ips = [ "10.9.0.0/16" ]; egress = "$VW"; snat = false;
           database = "$WT_DIR/warren.db";
           portal = { listen = "10.201.0.1:8443"; tls_cert_file = "$WT_DIR/portal.crt";
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

# 10,000 users through `warren user import`, in pieces of 1,000: some in groups, with
# expiry dates (a few past), quotas and emails, as a real gateway has them.
for g in staff contractors branch; do W group add "$g" >/dev/null; done
t0=$(date +%s%N)
awk -v n="$NUSERS" -v dir="$WT_DIR" 'BEGIN {
	split("alice bob chen dmitri eva fatima hiro ingrid jamal kofi lina maria noah olga priya rosa sven tariq wang yuki zhang omar sara tom", first, " ")
	split(",staff,contractors,branch,staff,", groups, ",")
	for (i = 0; i < n; i++) {
		if (i % 1000 == 0) { f = sprintf("%s/seed-%05d.csv", dir, i); print "name,expires,quota,group,email" > f }
		name = sprintf("%s.%05d", first[i % 24 + 1], i)
		ends = (i % 4) ? "" : sprintf("2027-%02d-%02d", i % 12 + 1, i % 27 + 1)
		if (i % 23 == 5) ends = sprintf("2020-01-%02d", i % 27 + 1)
		q = (i % 3 == 0) ? "" : (i % 2 ? "50GiB/month" : "200GiB")
		mail = (i % 5 == 0) ? name "@example.net" : ""
		print name "," ends "," q "," groups[i % 6 + 1] "," mail > f
	}
}'
seeded=0
for f in "$WT_DIR"/seed-*.csv; do
	W user import "$f" >/dev/null 2>"$WT_DIR/import.err" && seeded=$((seeded + $(($(wc -l <"$f") - 1))))
done
check_eq "$NUSERS users seeded through user import in pieces ($(( ($(date +%s%N) - t0) / 1000000 )) ms)" \
	"$NUSERS" "$seeded"

# The console accounts: the first admin's one-time password, as a new install has it,
# and a viewer's.
P_ROOT=$(W admin add root)
P_EVE=$(W admin add eve --role viewer)
check "admin add prints the one-time passwords" test -n "$P_ROOT" -a -n "$P_EVE"

# Chromium wants a writable home for its caches; the run's own, gone with it.
mkdir -p "$WT_DIR/home" "$WT_DIR/dl" "$WT_ROOT/build/web-shots"
in_ns cli env HOME="$WT_DIR/home" CHROMIUM="$CHROMIUM" SPKI="$SPKI" URL="$URL" \
	SHOTS="$WT_ROOT/build/web-shots" WEB="$WT_ROOT/web" WORK="$WT_DIR" NUSERS="$NUSERS" \
	P_ROOT="$P_ROOT" P_EVE="$P_EVE" TUN_NS="$(ns tun)" WG_IF="$WGC" WARREN="$WARREN" SOCK="$SOCK" \
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
