#!/usr/bin/env bash
# tests/web/t_policy_web.sh: a group's access policy in the console and the portal, in
# Debian's Chromium against a real warren server whose file sets the policy's defaults
# (server.policy, server.timezone): an admin opens group staff from the groups list,
# sees every field inherited from the file, sets a schedule, a rate, isolation and
# destinations in one form; a bad schedule shows the server's error at the schedule
# field and changes nothing (`warren group show staff --json`); a field goes back to the
# file's default; a user gets a rate of its own and loses it; alice, in staff, reads
# her destinations and access hours on the portal's Services page. Both languages at
# 1280x800 and 390x844, every control labelled, no console error, no CSP violation;
# policy.mjs does the browser's part, screenshots into build/web-shots/.
#
#   ns web (warren server)           veth           ns cli (chromium, playwright-core)
#   vw 10.206.0.1/24 ------------------------------ vc 10.206.0.2/24
#   portal https://10.206.0.1:8443
. "$(dirname "$0")/../netns/lib.sh"
require ip wg openssl node jq
need_warren
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip_all "no $CHROMIUM (make deps installs chromium)"
[ -d "$WT_ROOT/tests/web/node_modules/playwright-core" ] ||
	skip_all "no playwright-core in tests/web/node_modules (make deps runs npm ci)"

VW=$(lname vw) VC=$(lname vc) WGS=$(lname wgy)
ns_new web cli
veth web "$VW" 10.206.0.1/24 cli "$VC" 10.206.0.2/24
SOCK=$WT_DIR/server.sock CONF=$WT_DIR/server.conf URL=https://10.206.0.1:8443

test_ca 10.206.0.1 || finish
SPKI=$(openssl x509 -in "$WT_DIR/portal.crt" -noout -pubkey | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)

cat >"$CONF" <<EOF2
daemon = { state_dir = "$WT_DIR/state"; socket = "$SOCK"; };
server = { interface = "$WGS"; listen_port = 51820; private_key = "$(wg_genkey)";
           endpoint = "10.206.0.1:51820"; pool = [ "10.9.0.0/16" ];
           client_allowed_ips = [ "10.9.0.0/16", "10.0.0.0/8" ]; egress = "$VW"; snat = false;
           database = "$WT_DIR/warren.db"; timezone = "Europe/Berlin";
           policy = { rate = "100Mbit/20Mbit"; idle = 900; max_maps = 2; };
           portal = { listen = "10.206.0.1:8443"; tls_cert_file = "$WT_DIR/portal.crt";
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

W group add staff >/dev/null && W group add contractors --schedule "Mon-Fri 09:00-17:00" --portal-login >/dev/null
check "groups staff and contractors are made" W group show contractors
W user add alice --group staff --expires 60d >/dev/null && W user add bob --group staff >/dev/null
P_ALICE=$(W user passwd alice)
P_ROOT=$(W admin add root)
P_EVE=$(W admin add eve --role viewer)
check "the one-time passwords are printed" test -n "$P_ALICE" -a -n "$P_ROOT" -a -n "$P_EVE"
check_eq "staff inherits its schedule from the file" "file" \
	"$(W group show staff --json | jq -r '.policy.schedule.from')"

mkdir -p "$WT_DIR/home" "$WT_ROOT/build/web-shots"
in_ns cli env HOME="$WT_DIR/home" CHROMIUM="$CHROMIUM" SPKI="$SPKI" URL="$URL" \
	SHOTS="$WT_ROOT/build/web-shots" WEB="$WT_ROOT/web" WORK="$WT_DIR" \
	WARREN="$WARREN" SOCK="$SOCK" P_ROOT="$P_ROOT" P_EVE="$P_EVE" P_ALICE="$P_ALICE" \
	node "$WT_ROOT/tests/web/policy.mjs" >"$WT_DIR/policy.out" 2>&1
rc=$?
cat "$WT_DIR/policy.out"
WT_PASS=$((WT_PASS + $(grep -c '^ok' "$WT_DIR/policy.out")))
nok=$(grep -c '^not ok' "$WT_DIR/policy.out")
WT_FAIL=$((WT_FAIL + nok))
[ "$rc" != 0 ] && [ "$nok" = 0 ] && not_ok "policy.mjs exited $rc"
check "the server is still running" kill -0 "$WT_LAST_PID"
finish
