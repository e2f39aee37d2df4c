#!/usr/bin/env bash
# tests/web/t_console13.sh: the console's announcements, services and vouchers pages in
# Debian's Chromium against a real warren server and its portal, with users in groups:
# an admin publishes an announcement (with its preview), adds a service for two groups,
# makes a batch of 5 vouchers whose codes are shown once (copied, downloaded as a CSV of
# 5 rows, printed as a sheet whose 5 QR codes decode with zbarimg to the codes' portal
# links), sees a redemption on the batch's page and revokes the batch; a viewer sees no
# change control; every page in English and Chinese at 1280x800 and 390x844, without
# console errors or CSP violations. console13.mjs does the browser's part and takes the
# screenshots into build/web-shots/.
#
#   ns web (warren server)           veth           ns cli (chromium, playwright-core)
#   vw 10.203.0.1/24 ------------------------------ vc 10.203.0.2/24
#   portal https://10.203.0.1:8443
. "$(dirname "$0")/../netns/lib.sh"
require ip wg openssl node zbarimg
need_warren
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip_all "no $CHROMIUM (make deps installs chromium)"
[ -d "$WT_ROOT/tests/web/node_modules/playwright-core" ] ||
	skip_all "no playwright-core in tests/web/node_modules (make deps runs npm ci)"
NUSERS=${NUSERS:-10000}

VW=$(lname vw) VC=$(lname vc) WGS=$(lname wgw)
ns_new web cli
veth web "$VW" 10.203.0.1/24 cli "$VC" 10.203.0.2/24
SOCK=$WT_DIR/server.sock CONF=$WT_DIR/server.conf URL=https://10.203.0.1:8443

test_ca 10.203.0.1 || finish
SPKI=$(openssl x509 -in "$WT_DIR/portal.crt" -noout -pubkey | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)

cat >"$CONF" <<EOF2
daemon = { state_dir = "$WT_DIR/state"; socket = "$SOCK"; };
server = { interface = "$WGS"; listen_port = 51820; private_key = "$(wg_genkey)";
           endpoint = "10.203.0.1:51820"; pool = [ "10.9.0.0/16" ];
           client_allowed_ips = [ "10.9.0.0/16" ]; egress = "$VW"; snat = false;
           database = "$WT_DIR/warren.db";
           portal = { listen = "10.203.0.1:8443"; tls_cert_file = "$WT_DIR/portal.crt";
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

# Users in groups, as a real gateway has them, through `warren user import`.
for g in staff contractors branch; do W group add "$g" >/dev/null; done
t0=$(date +%s%N)
awk -v n="$NUSERS" -v dir="$WT_DIR" 'BEGIN {
	split(",staff,contractors,branch,staff,", groups, ",")
	for (i = 0; i < n; i++) {
		if (i % 1000 == 0) { f = sprintf("%s/seed-%05d.csv", dir, i); print "name,expires,quota,group,email" > f }
		print sprintf("user.%05d", i) ",," (i % 3 ? "50GiB/month" : "") "," groups[i % 6 + 1] "," > f
	}
}'
seeded=0
for f in "$WT_DIR"/seed-*.csv; do
	W user import "$f" >/dev/null 2>"$WT_DIR/import.err" && seeded=$((seeded + $(($(wc -l <"$f") - 1))))
done
check_eq "$NUSERS users seeded in groups ($(( ($(date +%s%N) - t0) / 1000000 )) ms)" "$NUSERS" "$seeded"

P_ROOT=$(W admin add root)
P_EVE=$(W admin add eve --role viewer)
check "admin add prints the one-time passwords" test -n "$P_ROOT" -a -n "$P_EVE"

mkdir -p "$WT_DIR/home" "$WT_DIR/dl" "$WT_ROOT/build/web-shots"
in_ns cli env HOME="$WT_DIR/home" CHROMIUM="$CHROMIUM" SPKI="$SPKI" URL="$URL" \
	SHOTS="$WT_ROOT/build/web-shots" WEB="$WT_ROOT/web" WORK="$WT_DIR" \
	P_ROOT="$P_ROOT" P_EVE="$P_EVE" \
	node "$WT_ROOT/tests/web/console13.mjs" >"$WT_DIR/console13.out" 2>&1
rc=$?
cat "$WT_DIR/console13.out"
WT_PASS=$((WT_PASS + $(grep -c '^ok' "$WT_DIR/console13.out")))
nok=$(grep -c '^not ok' "$WT_DIR/console13.out")
WT_FAIL=$((WT_FAIL + nok))
[ "$rc" != 0 ] && [ "$nok" = 0 ] && not_ok "console13.mjs exited $rc"
check "the server is still running" kill -0 "$WT_LAST_PID"
finish
