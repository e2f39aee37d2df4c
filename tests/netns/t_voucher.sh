#!/usr/bin/env bash
# tests/netns/t_voucher.sh: prepaid vouchers end to end: codes made by the CLI and kept only
# as keyed hashes, redeemed over HTTPS into an account that logs in and whose device's
# config brings a tunnel up, or into more time and quota for a user's session; typing
# errors, used, expired and revoked codes refused each with its own answer; one code
# raced by 20 clients redeems once; unknown codes slowed per address; roles.
#
#   ns srv (warren server)  vs 10.201.0.1/24 ---- vc 10.201.0.2/24  ns cl (curl, wg client)
#   portal https://10.201.0.1:8443            wg 10.9.0.1/24 :51820
. "$(dirname "$0")/lib.sh"
[ "$WARREN_BACKEND" = kernel ] &&
	skip_all "vouchers are HTTP and the operations table; the kernel tier runs t_server_account's tunnels"
require ip wg jq openssl curl python3 sqlite3
need_warren

CA=$(lname ca)
server_with_portal

js() { jq -r "$1" "$WT_DIR/body"; }
logout() { COOKIE= CSRF=; }
redeem() {  # redeem CODE [NAME]: with a name a new account (password PW), else the session's
	if [ -n "${2:-}" ]; then
		req POST /api/v1/vouchers/redeem "{\"code\":\"$1\",\"name\":\"$2\",\"password\":\"$PW\"}"
	else
		req POST /api/v1/vouchers/redeem "{\"code\":\"$1\"}"
	fi
}
PW="correct horse battery"
# A code of the right form (its check right) that no batch holds.
fake_code() {
	python3 - "$1" <<'EOF'
import hashlib, sys
sy = "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U"
n = int.from_bytes(hashlib.sha256(sys.argv[1].encode()).digest()[:12], "big") >> 1
d = [(n >> (5 * (18 - i))) & 31 for i in range(19)] + [n % 37]
s = "".join(sy[x] for x in d)
print("-".join(s[i:i + 4] for i in range(0, 20, 4)))
EOF
}
SYM='[0-9A-HJKMNP-TV-Z]'

# ---- a batch from the CLI: the codes once, on stdout, and nowhere else
W group add staff >/dev/null
W voucher add --count 20 --duration 30d --quota 10GiB --group staff --name spring >"$WT_DIR/codes"
check_eq "voucher add prints one code a line" 20 "$(grep -c . "$WT_DIR/codes")"
check "each XXXX-XXXX-XXXX-XXXX-XXXX in Crockford's base32 with its check" \
	test "$(grep -cE "^$SYM{4}(-$SYM{4}){3}-$SYM{3}[0-9A-HJKMNP-TV-Z*~\$=U]\$" "$WT_DIR/codes")" = 20
check_eq "all different" 20 "$(sort -u "$WT_DIR/codes" | wc -l)"
check_eq "the database holds 20 hashes of 32 bytes" "20|32|32" \
	"$(sqlite3 "$DB" "SELECT count(*), min(length(hash)), max(length(hash)) FROM vouchers")"
sqlite3 "$DB" .dump >"$WT_DIR/dump.sql"
found=0
while read -r c; do
	for form in "$c" "${c//-/}"; do grep -qF "$form" "$WT_DIR/dump.sql" && found=$((found + 1)); done
done <"$WT_DIR/codes"
check_eq "and no code, with or without dashes (sqlite3 .dump)" 0 "$found"
check_eq "the batch lists with its counts" "spring 20 20 0 2592000 10737418240 staff 1 null" \
	"$(W voucher list --json | jq -r '.[0] | "\(.name) \(.codes) \(.unused) \(.redeemed) \(.duration) \(.quota) \(.group) \(.uses) \(.revoked)"')"
check "voucher list prints it as text" bash -c "ip netns exec '$(ns srv)' '$WARREN' voucher list -s '$SOCK' | grep -q '^spring .* 20 codes (20 unused, 0 redeemed)  30d, 10 GiB, group staff  until never'"
C1=$(sed -n 1p "$WT_DIR/codes")
C0=$(sed -n '4,$p' "$WT_DIR/codes" | grep -m1 0)     # one with a 0 in it, not used below

# ---- arguments are checked before anything is sent
out=$(W voucher add 2>&1); rc=$?
check_eq "voucher add without --count: exit 2" "2 warren voucher: --count: missing" "$rc $out"
out=$(W voucher add --count 10001 2>&1); rc=$?
check_eq "too many" "2 warren voucher: --count: 10001 is out of range (1..10000)" "$rc $out"
out=$(W voucher add --count 1 --duration 3x 2>&1); rc=$?
check_eq "a bad duration" "2 warren voucher: --duration \"3x\": expected N followed by s, m, h or d" "$rc $out"
out=$(W voucher add --count 1 --quota 10GB 2>&1); rc=$?
check_eq "a bad size" 2 "$rc"
out=$(W voucher show 2>&1); rc=$?
check_eq "show without a batch: usage" "2 warren voucher: usage: voucher show BATCH [--json]" "$rc $out"
out=$(W voucher add --count 1 --group nogroup 2>&1); rc=$?
check_eq "an unknown group is the server's refusal" "1 group: no group \"nogroup\"" "$rc $out"
out=$(W voucher add --count 1 --name spring 2>&1); rc=$?
check_eq "a batch name twice" "1 voucher batch \"spring\" exists already" "$rc $out"
check_eq "none of them made a batch" 1 "$(W voucher list --json | jq length)"
check "voucher --help" bash -c "'$WARREN' voucher --help | grep -q '^usage: warren voucher add --count N'"

# ---- redeemed without a session: a new account
redeem "$C1" carol
NOW=$(date +%s)
check_eq "a code makes an account" "201 carol true 10737418240" "$ST $(js '"\(.user) \(.created) \(.quota)"')"
E=$(js .expires)
check "expiring 30 days from now" test $((E - NOW - 2592000)) -ge -5 -a $((E - NOW - 2592000)) -le 5
check_eq "with the batch's quota and group, and a first device named like it" \
	"staff $E 10737418240 total carol enabled false" \
	"$(W user show carol | jq -r '"\(.group) \(.expires) \(.quota_bytes) \(.quota_period) \(.devices[0].name) \(.state) \(.must_change_password)"')"
login carol "$PW"
check_eq "the account logs in with the password it chose (not one-time)" "200 user false" \
	"$ST $(js '"\(.role) \(.must_change_password)"')"
logout
W user config carol >"$WT_DIR/$CA.conf"
check "its device's config brings a tunnel up" warren_in cl up --state-dir "$WT_DIR/cl" "$WT_DIR/$CA.conf"
check "that reaches the server" ping_ok cl 10.9.0.1
warren_in cl down --state-dir "$WT_DIR/cl" "$WT_DIR/$CA.conf" >/dev/null 2>&1

redeem "$C1" carol2
check_eq "the code a second time" "409 code: already used" "$ST $(err)"
check_eq "made nothing" "" "$(W user list | awk '$1 == "carol2"')"
redeem "$(sed -n 2p "$WT_DIR/codes")" carol
check_eq "a name taken" "409 name: taken" "$ST $(err)"
redeem "$(sed -n 2p "$WT_DIR/codes")" root2 >/dev/null
W admin add root >/dev/null
redeem "$(sed -n 3p "$WT_DIR/codes")" root
check_eq "a console account's name is taken too" "409 name: taken" "$ST $(err)"
req POST /api/v1/vouchers/redeem "{\"code\":\"$(sed -n 3p "$WT_DIR/codes")\",\"name\":\"weak\",\"password\":\"short\"}"
check_eq "a weak password" "400 password: shorter than 8 bytes" "$ST $(err)"
req POST /api/v1/vouchers/redeem "{\"code\":\"$(sed -n 3p "$WT_DIR/codes")\"}"
check_eq "without a session a name is needed" "400 name: missing (the new account's)" "$ST $(err)"
check_eq "the failures did not use the code" 0 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM voucher_redemptions WHERE user_name IN ('carol2', 'weak')")"

# typing errors: the check character, the form
last=${C0: -1}; other=0; [ "$last" = 0 ] && other=1
redeem "${C0%?}$other" eve
check_eq "a wrong check character is its own error" "400 code: wrong check character, a typing error?" "$ST $(err)"
redeem "${C0%?}" eve
check_eq "so is a wrong length" "400 code: 19 characters, expected 20 as in XXXX-XXXX-XXXX-XXXX-XXXX" "$ST $(err)"
redeem "${C0%?}!" eve
check_eq "and a character no code has" "400 code: \"!\" is not a character of a code" "$ST $(err)"
typed=$(printf '%s' "$C0" | tr 'A-Z0' 'a-zo' | tr -d -)
redeem "$typed" eve
check_eq "typed in lower case, O for 0, without dashes: it redeems" "201 eve" "$ST $(js .user)"

# ---- expired and revoked batches
W voucher add --count 1 --duration 1d --expires 2s --name brief >"$WT_DIR/brief"
W voucher add --count 1 --duration 1d --name withdrawn >"$WT_DIR/withdrawn"
sleep 2.5
redeem "$(cat "$WT_DIR/brief")" frank
check_eq "a batch past its expiry" "409 code: expired" "$ST $(err)"
check_eq "voucher revoke" "" "$(W voucher revoke withdrawn)"
redeem "$(cat "$WT_DIR/withdrawn")" frank
check_eq "a revoked batch's codes stop at once" "409 code: revoked" "$ST $(err)"
check "the batch says when it was revoked" test "$(W voucher show withdrawn --json | jq .revoked)" -gt 0

# ---- redeemed with a user's session: more for that account
W voucher add --count 3 --duration 10d --quota 5GiB --name more >"$WT_DIR/more"
login carol "$PW"
redeem "$(sed -n 1p "$WT_DIR/more")"
check_eq "with a session the code extends the caller" "200 carol false 16106127360 total" \
	"$ST $(js '"\(.user) \(.created) \(.quota) \(.quota_period)"')"
check_eq "its expiry 10 days after the one it had, the quotas added" "$((E + 864000)) 16106127360" \
	"$(W user show carol | jq -r '"\(.expires) \(.quota_bytes)"')"
redeem "$(sed -n 1p "$WT_DIR/more")"
check_eq "the same code again" "409 code: already used" "$ST $(err)"
W voucher add --count 1 --quota 20GiB/month --name monthly >"$WT_DIR/monthly"
redeem "$(cat "$WT_DIR/monthly")"
check_eq "a monthly quota does not replace an account's quota in all" \
	"409 code: its quota is counted a month, this account's in all" "$ST $(err)"
check_eq "which keeps its quota, the code unused" "16106127360 total 1" \
	"$(W user show carol | jq -r '"\(.quota_bytes) \(.quota_period)"') $(W voucher show monthly --json | jq .unused)"
req POST /api/v1/vouchers/redeem "{\"code\":\"$(sed -n 2p "$WT_DIR/more")\",\"name\":\"x\",\"password\":\"$PW\"}"
check_eq "a session makes no other account" "400 name: not with a session: the code extends this session's account" "$ST $(err)"
SAVED=$CSRF; CSRF=
redeem "$(sed -n 2p "$WT_DIR/more")"
check_eq "a session's change needs its CSRF token" "403 CSRF token missing or wrong" "$ST $(err)"
CSRF=$SAVED
logout
# expired, then a code: enabled again, the duration counted from now
W user set eve --expires 1s >/dev/null
state_is() { [ "$(W user show "$1" | jq -r .state)" = "$2" ]; }
check "eve expires" wait_for 5 state_is eve expired
login eve "$PW"
redeem "$(sed -n 2p "$WT_DIR/more")"
NOW=$(date +%s)
check_eq "an expired user redeems" "200 false" "$ST $(js .created)"
E2=$(js .expires)
check "its expiry 10 days from now" test $((E2 - NOW - 864000)) -ge -5 -a $((E2 - NOW - 864000)) -le 5
check_eq "and it is enabled again" enabled "$(W user show eve | jq -r .state)"
logout

# ---- roles: consoles and tokens do not redeem; a viewer reads, never adds
VT=$(W token add ci --role viewer) AT=$(W token add ops)
req POST /api/v1/vouchers/redeem "{\"code\":\"$(sed -n 3p "$WT_DIR/more")\"}" -H "Authorization: Bearer $AT"
check_eq "an admin token cannot redeem for itself" "403" "$ST"
req POST /api/v1/vouchers '{"count":1,"duration":"1d"}' -H "Authorization: Bearer $VT"
check_eq "a viewer cannot add" "403 forbidden" "$ST $(err)"
req GET /api/v1/vouchers '' -H "Authorization: Bearer $VT"
check_eq "but lists, newest first" "200 5 monthly" "$ST $(js '"\(.total) \(.vouchers[0].name)"')"
req GET '/api/v1/vouchers?limit=2' '' -H "Authorization: Bearer $VT"
P1=$(js '[.vouchers[].name] | join(" ")')
req GET "/api/v1/vouchers?limit=2&cursor=$(js .next)" '' -H "Authorization: Bearer $VT"
check_eq "keyset-paged" "monthly more|withdrawn brief" "$P1|$(js '[.vouchers[].name] | join(" ")')"
req PATCH /api/v1/vouchers/more '{"revoked":true}' -H "Authorization: Bearer $VT"
check_eq "nor revokes" 403 "$ST"
req POST /api/v1/vouchers '{"count":2,"duration":"1d"}' -H "Authorization: Bearer $AT"
check_eq "an admin token adds; the answer holds the codes, a default name from the date" \
	"201 2 $(date +%F) 2" "$ST $(js '"\(.codes | length) \(.batch.name) \(.batch.codes)"')"
AC=$(js '.codes[0]')
req POST /api/v1/vouchers '{"count":1,"duration":"1d"}' -H "Authorization: Bearer $AT"
check_eq "the next default name is another" "201 $(date +%F)-2" "$ST $(js .batch.name)"

# ---- who redeemed, and what the logs keep
W voucher show spring >"$WT_DIR/show"
check "voucher show: the batch's counts" grep -q '^spring .* 20 codes (17 unused, 3 redeemed)' "$WT_DIR/show"
check "and who redeemed, when, from where" grep -q '^  [0-9-]* [0-9:]*  carol  *from 10.201.0.2  *account made$' "$WT_DIR/show"
check_eq "each of them" 3 "$(grep -c ' from 10.201.0.2 ' "$WT_DIR/show")"
check_eq "voucher show --json" "3 carol eve root2" \
	"$(W voucher show spring --json | jq -r '"\(.redemptions | length) \([.redemptions[].user] | sort | join(" "))"')"
check_eq "an extension is recorded as one" "carol false" \
	"$(W voucher show more --json | jq -r '.redemptions[] | select(.user == "carol") | "\(.user) \(.created_account)"')"
found=0
for c in $(cat "$WT_DIR/codes" "$WT_DIR/more" "$WT_DIR/brief" "$WT_DIR/withdrawn") "$AC"; do
	grep -qF "$c" "$WT_DIR/server.log" && found=$((found + 1))
	sqlite3 "$DB" "SELECT detail FROM audit" | grep -qF "$c" && found=$((found + 1))
done
check_eq "no code in the server's log or the audit log" 0 "$found"
check_eq "the audit keeps each redemption, without code or password" \
	"voucher.redeem carol anonymous 10.201.0.2 201 {\"name\":\"carol\"}" \
	"$(sqlite3 "$DB" "SELECT op, target, actor, source, status, detail FROM audit WHERE op = 'voucher.redeem' ORDER BY id LIMIT 1" | tr '|' ' ')"
check "the server says how long a redemption took it" grep -q "vouchers: batch spring: account carol made from 10.201.0.2 (.* ms of the server's own, Argon2id .* ms off the loop)" "$WT_DIR/server.log"

# ---- one code, 20 clients at once: one account
W voucher add --count 1 --duration 1d --name race >"$WT_DIR/race"
RC=$(cat "$WT_DIR/race") racers=()
for i in $(seq 20); do
	in_ns cl curl -s -o "$WT_DIR/race.$i.body" -w '%{http_code}\n' --cacert "$WT_DIR/ca.pem" \
		-H 'Content-Type: application/json' \
		--data-binary "{\"code\":\"$RC\",\"name\":\"racer$i\",\"password\":\"$PW\"}" \
		"$URL/api/v1/vouchers/redeem" >"$WT_DIR/race.$i" &
	racers+=($!)
done
wait "${racers[@]}"
check_eq "20 redemptions of one code at once: exactly one 201, 19 409" "1 19" \
	"$(cat "$WT_DIR"/race.{1..20} | grep -c '^201$') $(cat "$WT_DIR"/race.{1..20} | grep -c '^409$')"
check_eq "each refused one says so" 19 "$(grep -l '"code: already used"' "$WT_DIR"/race.*.body | wc -l)"
check_eq "one account made" 1 "$(W user list | grep -c '^racer')"
check_eq "one redemption recorded, one use taken" "1 0 1" \
	"$(W voucher show race --json | jq -r '"\(.redemptions | length) \(.unused) \(.redeemed)"')"

# ---- a deleted batch's codes are unknown
W voucher delete brief
redeem "$(cat "$WT_DIR/brief")" gina
check_eq "voucher delete: its codes are unknown" "404 code: unknown" "$ST $(err)"
check_eq "and it is gone" "" "$(W voucher list --json | jq -r '.[] | select(.name == "brief") | .name')"

# ---- unknown codes are slowed per address (from one of its own here); typing errors
# and known codes do not count
ip -n "$(ns cl)" addr add 10.201.0.3/24 dev "$VC"
FROM=(--interface 10.201.0.3)
n404=0
for i in $(seq 10); do
	redeem "$(fake_code "$i")" gina
	[ "$ST" = 404 ] && [ "$(err)" = "code: unknown" ] && n404=$((n404 + 1))
done
check_eq "ten unknown codes from one address: 404 code: unknown" 10 "$n404"
redeem "${C0%?}$other" gina
check_eq "a typing error is still told" 400 "$ST"
redeem "$(fake_code 11)" gina
check_eq "the next unknown one is 429 with Retry-After" "429 6 too many unknown codes; try again later" \
	"$ST $(sed -n 's/^[Rr]etry-[Aa]fter: //p' "$WT_DIR/hdr" | tr -d '\r') $(err)"
redeem "$(sed -n 3p "$WT_DIR/more")" gina
check_eq "so is a good code from that address meanwhile" 429 "$ST"
FROM=()
redeem "$(sed -n 3p "$WT_DIR/more")" gina
check_eq "from another address it redeems" "201 gina" "$ST $(js .user)"
finish
