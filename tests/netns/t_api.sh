#!/usr/bin/env bash
# tests/netns/t_api.sh: the administration API over HTTPS as browsers and scripts meet it:
# console accounts with one-time passwords and a forced change, session cookies and CSRF,
# roles, API tokens with roles, TOTP, throttled logins, hostile requests; each answered
# with the right status and changing nothing it must not.
#
#   ns srv (warren server)  vs 10.201.0.1/24 ---- vc 10.201.0.2/24  ns cl (curl)
#   portal https://10.201.0.1:8443
. "$(dirname "$0")/lib.sh"
[ "$WARREN_BACKEND" = kernel ] &&
	skip_all "HTTP, sessions and the operations table do not touch the WireGuard backend; the host tier runs it"
require ip wg jq openssl curl python3
need_warren

server_with_portal

# ---- a console account: a one-time password, changed at the first login
P1=$(W admin add root)
check "admin add prints one line, the one-time password" bash -c "[[ '$P1' =~ ^[a-z2-9]{4}(-[a-z2-9]{4}){3}\$ ]]"
check_eq "admin list shows it, with its one-time password" "root admin (one-time password)" \
	"$(W admin list | awk '{ print $1, $2, $3, $4 }')"
check_eq "the database keeps only an Argon2id hash" '$argon2id$v=19$m=65536,t=3,p=1$' \
	"$(sqlite3 "$WT_DIR/warren.db" "SELECT password_hash FROM admins WHERE name = 'root'" | cut -c1-31)"

login root wrong-password
check_eq "a wrong password is refused" "401 wrong name or password" "$ST $(err)"
login nobody "$P1"
check_eq "an unknown name is answered alike" "401 wrong name or password" "$ST $(err)"
check_eq "and neither sets a cookie" "" "$(set_cookie)"
login root "$P1"
check_eq "the one-time password logs in, and says it must change" "200 admin true" \
	"$ST $(jq -r '"\(.role) \(.must_change_password)"' "$WT_DIR/body")"
check "the session cookie is Secure, HttpOnly, SameSite=Strict, Path=/" \
	grep -qi '^set-cookie: __Host-warren=[A-Za-z0-9_-]\{43\}; Secure; HttpOnly; SameSite=Strict; Path=/' "$WT_DIR/hdr"
check "with a CSRF token" test "${#CSRF}" = 43
req GET /api/v1/users
check_eq "until the change every other route is refused" "403 password change required" "$ST $(err)"
OLDCOOKIE=$COOKIE
SAVED=$CSRF; CSRF=
req POST /api/v1/password "{\"old\":\"$P1\",\"new\":\"correct horse battery\"}"
check_eq "a change without the CSRF token is refused" "403 CSRF token missing or wrong" "$ST $(err)"
CSRF=wrongwrongwrongwrongwrongwrongwrongwrongwro
req POST /api/v1/password "{\"old\":\"$P1\",\"new\":\"correct horse battery\"}"
check_eq "so is one with a wrong token" "403 CSRF token missing or wrong" "$ST $(err)"
CSRF=$SAVED
req POST /api/v1/password "{\"old\":\"$P1\",\"new\":\"short\"}"
check_eq "a weak new password is refused" "400 new: shorter than 8 bytes" "$ST $(err)"
req POST /api/v1/password "{\"old\":\"nope\",\"new\":\"correct horse battery\"}"
check_eq "the old password must be right" "403 old: wrong password" "$ST $(err)"
req POST /api/v1/password "{\"old\":\"$P1\",\"new\":\"correct horse battery\"}"
check_eq "the password changes" 200 "$ST"
NEWCOOKIE=$(set_cookie) NEWCSRF=$(jq -r .csrf "$WT_DIR/body")
check "with a new session cookie" test -n "$NEWCOOKIE" -a "$NEWCOOKIE" != "$OLDCOOKIE"
COOKIE=$OLDCOOKIE CSRF=$SAVED
req GET /api/v1/me
check_eq "the session from before the change is over (a stolen cookie with it)" 401 "$ST"
COOKIE=$NEWCOOKIE CSRF=$NEWCSRF
req GET /api/v1/me
check_eq "the new one works" "200 root admin false" \
	"$ST $(jq -r '"\(.name) \(.role) \(.must_change_password)"' "$WT_DIR/body")"
login root "$P1"
check_eq "the one-time password is gone" 401 "$ST"
login root "correct horse battery"
check_eq "the new password logs in" "200 false" "$ST $(jq -r .must_change_password "$WT_DIR/body")"

# ---- the operations, through the same table the CLI uses
req POST /api/v1/users '{"name":"alice","expires":"2099-01-31","quota":"5GiB/month"}'
check_eq "user add over HTTPS" "201 alice 10.9.0.2/32 alice" \
	"$ST $(jq -r '"\(.name) \(.addresses[0]) \(.devices[0].name)"' "$WT_DIR/body")"
check_eq "the CLI sees it" "alice" "$(W user list | awk '{ print $1 }')"
W user add bob >/dev/null
req GET '/api/v1/users?limit=1&sort=name'
check_eq "a page of one, with the total and a cursor" "200 alice 2 true" \
	"$ST $(jq -r '"\(.users[0].name) \(.total) \(.next != null)"' "$WT_DIR/body")"
req GET "/api/v1/users?limit=1&sort=name&cursor=$(jq -r .next "$WT_DIR/body")"
check_eq "the next page" "200 bob null" "$ST $(jq -r '"\(.users[0].name) \(.next)"' "$WT_DIR/body")"
req GET '/api/v1/users?q=bo'
check_eq "search on the server" "bob" "$(jq -r '[.users[].name] | join(" ")' "$WT_DIR/body")"
req GET /api/v1/users/alice/devices/alice/config
check_eq "a device's config is a wg-quick attachment" "200 text/plain; charset=utf-8 attachment; filename=\"alice.conf\"" \
	"$ST $(sed -n 's/^[Cc]ontent-[Tt]ype: //p' "$WT_DIR/hdr" | tr -d '\r') $(sed -n 's/^[Cc]ontent-[Dd]isposition: //p' "$WT_DIR/hdr" | tr -d '\r')"
cp "$WT_DIR/body" "$WT_DIR/alice.conf"
check "that the CLI's config agrees with" bash -c "ip netns exec '$(ns srv)' '$WARREN' user config alice -s '$SOCK' | cmp -s - '$WT_DIR/alice.conf'"
req GET /api/v1/users/alice/devices/alice/qr.svg
check_eq "and a QR code of it as SVG" "200 image/svg+xml" "$ST $(sed -n 's/^[Cc]ontent-[Tt]ype: //p' "$WT_DIR/hdr" | tr -d '\r')"
req PATCH /api/v1/users/bob '{"state":"disabled"}'
check_eq "PATCH disables" "200 disabled" "$ST $(jq -r .state "$WT_DIR/body")"
req DELETE /api/v1/users/bob
check_eq "DELETE deletes" 204 "$ST"
req GET /api/v1/audit
check_eq "the audit log says who changed what, from where" "user.delete bob admin:root 10.201.0.2 204" \
	"$(jq -r '.audit[0] | "\(.op) \(.target) \(.actor) \(.source) \(.status)"' "$WT_DIR/body")"
check "and keeps no password in it" bash -c "! sqlite3 '$WT_DIR/warren.db' 'SELECT detail FROM audit' | grep -q 'correct horse'"

# ---- runtime settings: in the database over the file's, and every config follows
check "settings show says where a value comes from" bash -c \
	"ip netns exec '$(ns srv)' '$WARREN' settings show -s '$SOCK' | grep -q '^endpoint  *10.201.0.1:51820   (the file)'"
check "settings set over the socket" W settings set endpoint vpn.example.net:51999 dns 10.9.0.53,10.9.0.54
check_eq "settings show prints DNS servers as addresses" "10.9.0.53,10.9.0.54" \
	"$(W settings show | awk '$1 == "dns" { print $2 }')"
req GET /api/v1/settings
check_eq "the console reads it with its origin and the file's value" \
	"200 vpn.example.net:51999 database 10.201.0.1:51820 socket" \
	"$ST $(jq -r '.settings[] | select(.key == "endpoint") | "\(.value) \(.origin) \(.file) \(.updated_by)"' "$WT_DIR/body")"
check "a client config now points at the new endpoint, with the new DNS" bash -c \
	"ip netns exec '$(ns srv)' '$WARREN' user config alice -s '$SOCK' | grep -q '^Endpoint = vpn.example.net:51999' &&
	 ip netns exec '$(ns srv)' '$WARREN' user config alice -s '$SOCK' | grep -q '^DNS = 10.9.0.53, 10.9.0.54'"
req PATCH /api/v1/settings '{"mtu":100}'
check_eq "a bad value is refused, naming it" "400 mtu: expected a whole number from 1280 to 9000" "$ST $(err)"
req PATCH /api/v1/settings '{"snat":"yes"}'
check_eq "a wrong type" "400 snat: expected true or false" "$ST $(err)"
req PATCH /api/v1/settings '{"colour":"red"}'
check_eq "an unknown setting" "400 colour: unknown field" "$ST $(err)"
req PATCH /api/v1/settings '{"endpoint":null,"dns":null}'
check_eq "null puts the file's back" "200 10.201.0.1:51820 file" \
	"$ST $(jq -r '.settings[] | select(.key == "endpoint") | "\(.value) \(.origin)"' "$WT_DIR/body")"

# ---- groups, CSV, bulk: many users through the same checks as one
req POST /api/v1/groups '{"name":"staff"}'
check_eq "a group is added" 201 "$ST"
printf 'name,expires,quota,group,email\ncarol,2099-12-31,1GiB,staff,carol@example.net\ndave,,,,\nBad!,,,,\neve2,2027-02-30,,,\ncarol,,,,\n' >"$WT_DIR/in.csv"
out=$(in_ns srv "$WARREN" user import "$WT_DIR/in.csv" -s "$SOCK" 2>&1); rc=$?
check_eq "user import adds the good rows and names each bad one by its line" \
	"1|warren user import: $WT_DIR/in.csv:4: user name \"Bad!\": only a-z, 0-9, '.', '_' and '-' are allowed
warren user import: $WT_DIR/in.csv:5: date \"2027-02-30\": day out of range
warren user import: $WT_DIR/in.csv:6: user \"carol\" exists already
2 users added, 3 refused" "$rc|$out"
check_eq "carol is in her group with her email and expiry" "staff carol@example.net 2099-12-31 23:59:59" \
	"$(W user show carol | jq -r '"\(.group) \(.email)"') $(W user list | awk '$1 == "carol" { print $5, $6 }')"
req GET /api/v1/users/export
check_eq "the export is CSV" "200 text/csv; charset=utf-8" "$ST $(sed -n 's/^[Cc]ontent-[Tt]ype: //p' "$WT_DIR/hdr" | tr -d '\r')"
check "with carol's row as the import took it" grep -q '^carol,enabled,staff,carol@example.net,2099-12-31,1GiB,' "$WT_DIR/body"
cp "$WT_DIR/body" "$WT_DIR/export.csv"
out=$(in_ns srv "$WARREN" user import "$WT_DIR/export.csv" --dry-run -s "$SOCK" 2>&1)
check_eq "an export imports again (a dry run says each user exists)" "0 users would be added, 3 refused" "$(printf '%s\n' "$out" | tail -n1)"
req POST /api/v1/users/bulk '{"action":"disable","names":["carol","dave","nobody"]}'
check_eq "bulk disable does each, and says which failed" '200 carol dave|nobody: no user "nobody"' \
	"$ST $(jq -r '"\(.done | join(" "))|\(.failed[0].name): \(.failed[0].error)"' "$WT_DIR/body")"
check_eq "they are disabled" "disabled disabled" "$(W user show carol | jq -r .state) $(W user show dave | jq -r .state)"
req DELETE /api/v1/groups/staff
check_eq "a group with users stays" "409 group staff still has users" "$ST $(err)"
req GET /api/v1/groups
check_eq "groups say how many users each holds" "default:2 staff:1" \
	"$(jq -r '[.groups[] | "\(.name):\(.users)"] | join(" ")' "$WT_DIR/body")"
check_eq "so does group list" "staff                1 user" "$(W group list | grep '^staff')"

# ---- hostile requests: the right status, nothing changed
req POST /api/v1/users '{"name":'
check_eq "malformed JSON" "400 body: unexpected end of input at byte 8" "$ST $(err)"
req POST /api/v1/users '{"name":"x","admin":true}'
check_eq "an unknown field" "400 admin: unknown field" "$ST $(err)"
req POST /api/v1/users '{"name":["x"]}'
check_eq "a wrong type" "400 user name: expected a string" "$ST $(err)"
req PUT /api/v1/users '{}'
check_eq "a method the route lacks" "405 GET, POST" "$ST $(sed -n 's/^[Aa]llow: //p' "$WT_DIR/hdr" | tr -d '\r')"
head -c 100000 /dev/zero | tr '\0' a >"$WT_DIR/big"
# Announced, as a careful client does (Expect: 100-continue): the 413 comes before the
# body, so no reset of a half-sent body can hide it.
req POST /api/v1/users '' --data-binary @"$WT_DIR/big" -H 'Content-Type: application/json' -H 'Expect: 100-continue'
check_eq "a huge body" 413 "$ST"
req POST /api/v1/users '{"name":"mallory"}' -H 'Sec-Fetch-Site: cross-site'
check_eq "a cross-site request" "403 cross-site request refused" "$ST $(err)"
check_eq "none of them made a user" "alice carol dave" "$(W user list | awk '{ print $1 }' | xargs)"

# ---- roles: a viewer reads, an admin changes; tokens carry roles too
P2=$(W admin add eve --role viewer)
login eve "$P2"
req POST /api/v1/password "{\"old\":\"$P2\",\"new\":\"eve reads only\"}"
COOKIE=$(set_cookie) CSRF=$(jq -r .csrf "$WT_DIR/body")
req GET /api/v1/users
check_eq "a viewer reads users" "200 3" "$ST $(jq -r .total "$WT_DIR/body")"
req POST /api/v1/users '{"name":"viewers-user"}'
check_eq "but cannot add one" "403 forbidden" "$ST $(err)"
req GET /api/v1/users/alice/devices/alice/config
check_eq "nor read a device's keys" 403 "$ST"
# a VPN user with a portal password sees itself, and no one else's devices
UP=$(W user passwd alice)
login alice "$UP"
req POST /api/v1/password "{\"old\":\"$UP\",\"new\":\"alice in the portal\"}"
COOKIE=$(set_cookie) CSRF=$(jq -r .csrf "$WT_DIR/body")
req GET /api/v1/me
check_eq "a user reads its own account" "200 alice enabled alice" \
	"$ST $(jq -r '"\(.name) \(.state) \(.devices[0].name)"' "$WT_DIR/body")"
req GET /api/v1/users/carol/devices/carol/config
check_eq "but not another user's device" "403 forbidden" "$ST $(err)"
req GET /api/v1/users/alice/devices/alice/config
check_eq "nor its own through the admin route" 403 "$ST"
req PATCH /api/v1/users/alice '{"quota":null}'
check_eq "nor change its quota" 403 "$ST"
check_eq "which stays" "5368709120 month" "$(W user show alice | jq -r '"\(.quota_bytes) \(.quota_period)"')"
VT=$(W token add ci --role viewer)
COOKIE= CSRF=
req GET /api/v1/status '' -H "Authorization: Bearer $VT"
check_eq "a viewer token reads the status" "200 3" "$ST $(jq -r .total "$WT_DIR/body")"
req DELETE /api/v1/users/alice '' -H "Authorization: Bearer $VT"
check_eq "and cannot delete" 403 "$ST"
req GET /api/v1/users
check_eq "no credentials, no answer" "401 unauthorized" "$ST $(err)"

# ---- a session ends at logout; a client-chosen cookie is never a session
login root "correct horse battery"
LOGGED=$COOKIE
req POST /api/v1/logout
check "logout clears the cookie" grep -qi '^set-cookie: __Host-warren=; .*Max-Age=0' "$WT_DIR/hdr"
COOKIE=$LOGGED
req GET /api/v1/me
check_eq "and the session is over" 401 "$ST"
FIXED=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
COOKIE=$FIXED CSRF=
req POST /api/v1/login '{"name":"root","password":"correct horse battery"}'
check "a login with a planted cookie gets a fresh one (no session fixation)" \
	test "$ST" = 200 -a -n "$(set_cookie)" -a "$(set_cookie)" != "$FIXED"

# ---- TOTP for an admin
login root "correct horse battery"
req POST /api/v1/me/totp
SECRET=$(jq -r .secret "$WT_DIR/body")
check "TOTP enrolment gives a secret and an otpauth URI" \
	bash -c "[ '${#SECRET}' = 32 ] && jq -r .uri '$WT_DIR/body' | grep -q '^otpauth://totp/warren:root?secret=$SECRET&issuer=warren'"
totp() {   # totp SECRET [OFFSET_STEPS]
	python3 - "$1" "${2:-0}" <<'EOF'
import base64, hmac, struct, sys, time
key = base64.b32decode(sys.argv[1] + "=" * (-len(sys.argv[1]) % 8))
step = int(time.time()) // 30 + int(sys.argv[2])
h = hmac.new(key, struct.pack(">Q", step), "sha1").digest()
o = h[-1] & 15
print("%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7fffffff) % 1000000))
EOF
}
req POST /api/v1/me/totp/confirm '{"code":"000000"}'
check_eq "a wrong code does not enrol" "403 code: wrong TOTP code" "$ST $(err)"
req POST /api/v1/me/totp/confirm "{\"code\":\"$(totp "$SECRET")\"}"
check_eq "the right one does" 204 "$ST"
login root "correct horse battery"
check_eq "now a password alone is not enough" "401 TOTP code required" "$ST $(err)"
CODE=$(totp "$SECRET" 1)
login root "correct horse battery" "$CODE"
check_eq "the password and a code log in" 200 "$ST"
login root "correct horse battery" "$CODE"
check_eq "a code works once" "401 TOTP code already used: wait for the next one" "$ST $(err)"

# ---- failed logins are slowed, per account at an address, and told when to come back
for i in 1 2 3 4 5 6 7; do login alice-nobody "guess$i"; echo "$ST" >>"$WT_DIR/codes"; done
check_eq "after five misses a name is held back at this address" 429 "$(tail -n1 "$WT_DIR/codes")"
check "with Retry-After" grep -qi '^retry-after: [0-9]' "$WT_DIR/hdr"
login eve "eve reads only"
check_eq "another account at the same address is not" 200 "$ST"
check "the server runs on" kill -0 "$WT_LAST_PID"
finish
