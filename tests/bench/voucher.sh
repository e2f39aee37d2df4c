#!/usr/bin/env bash
# tests/bench/voucher.sh: what a voucher redemption costs the server, with USERS users in
# its database. A benchmark, not a pass/fail test: it prints figures.
#
#   ns wbv-PID, lo 127.0.0.1 only
#   warren server (root) --socketpair-- warren portal (nobody)  https://127.0.0.1:8443
#   curl, one request after the other: N codes that make accounts (no session), then N
#   codes that extend one (its session)
#
# Printed, for each case: the server's own work per redemption as the server logs it
# (the time its loop spent on the request: parsing the code, the keyed hash and lookup,
# taking the use, making or extending the account, its device and peer, the record),
# p50/p99/max; for the create case the Argon2id hash apart (off the loop, on the hashing
# pool); the HTTPS round trip seen by curl; and the time of `voucher add --count 10000`.
# The figure to reach: the server's own work <= 20 ms.
#
# Root only. Environment: USERS (10000), N (50), WARREN (default $B/warren, B=build),
# WB_KEEP=1 keeps the temporary directory.
set -u
export LC_ALL=C
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$SELF")/../.." || exit 1
USERS=${USERS:-10000}
N=${N:-50}
WARREN=${WARREN:-${B:-build}/warren}
case $WARREN in /*) ;; *) WARREN=$PWD/$WARREN ;; esac

NAME=voucher
. tests/bench/portal_lib.sh
bench_enter v

# ---------------------------------------------------------------- inside ns wbv-PID
bench_server

echo "voucher-bench: $(nproc) CPUs, $WARREN; $USERS users, $N redemptions a case"
if [ "$USERS" -gt 0 ]; then
	{ echo name; for i in $(seq "$USERS"); do echo "u$i"; done; } >"$TMP/users.csv"
	W user import "$TMP/users.csv" >/dev/null || fail "user import"
fi

t0=$(date +%s%N)
W voucher add --count 10000 --duration 30d --name big >/dev/null || fail "voucher add 10000"
t1=$(date +%s%N)
echo "voucher-bench: voucher add --count 10000 (the CLI's round trip, 10,000 codes made, hashed, stored): $(((t1 - t0) / 1000000)) ms"
W voucher add --count "$N" --duration 30d --quota 10GiB --name create >"$TMP/create" || fail "voucher add"
W voucher add --count "$N" --duration 1d --quota 1GiB --name extend >"$TMP/extend" || fail "voucher add"

: >"$TMP/rtt.create"
i=0
while read -r code; do
	i=$((i + 1))
	curl -s -o "$TMP/body" -w '%{http_code} %{time_total}\n' --cacert "$TMP/ca.pem" \
		-H 'Content-Type: application/json' \
		--data-binary "{\"code\":\"$code\",\"name\":\"v$i\",\"password\":\"correct horse battery\"}" \
		"$URL/api/v1/vouchers/redeem" >>"$TMP/rtt.create"
done <"$TMP/create"
[ "$(grep -c '^201 ' "$TMP/rtt.create")" = "$N" ] || fail "not every create redemption succeeded: $(sort "$TMP/rtt.create" | cut -d' ' -f1 | uniq -c | xargs)"

curl -s -o "$TMP/login" -D "$TMP/hdr" --cacert "$TMP/ca.pem" -H 'Content-Type: application/json' \
	--data-binary '{"name":"v1","password":"correct horse battery"}' "$URL/api/v1/login"
COOKIE=$(sed -n 's/^[Ss]et-[Cc]ookie: __Host-warren=\([^;]*\).*/\1/p' "$TMP/hdr" | tr -d '\r')
CSRF=$(jq -r .csrf "$TMP/login")
[ -n "$COOKIE" ] || fail "v1 cannot log in"
: >"$TMP/rtt.extend"
while read -r code; do
	curl -s -o "$TMP/body" -w '%{http_code} %{time_total}\n' --cacert "$TMP/ca.pem" \
		-H 'Content-Type: application/json' -H "Cookie: __Host-warren=$COOKIE" \
		-H "X-CSRF-Token: $CSRF" --data-binary "{\"code\":\"$code\"}" \
		"$URL/api/v1/vouchers/redeem" >>"$TMP/rtt.extend"
done <"$TMP/extend"
[ "$(grep -c '^200 ' "$TMP/rtt.extend")" = "$N" ] || fail "not every extension succeeded: $(sort "$TMP/rtt.extend" | cut -d' ' -f1 | uniq -c | xargs)"
kill -0 "$SPID" 2>/dev/null || fail "the server died"

# p50 p99 max of the numbers on stdin
stats() { sort -n | awk '{ v[NR] = $1 } END { if (!NR) { print "- - -"; exit }
	i = int(NR * 0.99 + 0.999); if (i > NR) i = NR
	printf "%.2f %.2f %.2f\n", v[int((NR + 1) / 2)], v[i], v[NR] }'; }
show() { read -r p50 p99 max <<<"$2"; echo "voucher-bench: $1: p50 $p50 ms, p99 $p99 ms, max $max ms"; }
own() { sed -n "s/.*vouchers: batch $1: account .* $2 from .* (\([0-9.]*\) ms of the server's own.*/\1/p" "$LOG"; }
show "create (an account, its device and peer): the server's own work" "$(own create made | stats)"
show "create: the Argon2id hash, off the loop" \
	"$(sed -n "s/.*vouchers: batch create: .*Argon2id \([0-9.]*\) ms off the loop.*/\1/p" "$LOG" | stats)"
show "create: the HTTPS round trip (curl)" "$(awk '{ print $2 * 1000 }' "$TMP/rtt.create" | stats)"
show "extend (expiry and quota of a session's account): the server's own work" "$(own extend extended | stats)"
show "extend: the HTTPS round trip (curl)" "$(awk '{ print $2 * 1000 }' "$TMP/rtt.extend" | stats)"
echo "voucher-bench: figure: the server's own work <= 20 ms"
