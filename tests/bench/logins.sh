#!/usr/bin/env bash
# tests/bench/logins.sh: the profile pull's latency during a login storm (DESIGN 7 and 8:
# Argon2id never runs on the server's loop, so logins must not delay profile pulls).
# A benchmark, not a pass/fail test: it prints figures.
#
#   ns wbl-PID, lo 127.0.0.1 only
#   warren server (root) --socketpair-- warren portal (nobody)  https://127.0.0.1:8443
#   storm.py: one agent device pulling its profile, one request after the other (10 ms
#   apart), first alone, then while LOGINS threads log in over and over, each as its own
#   console account
#
# Printed: profile pull p50/p99/max alone and during the storm, logins per second and
# their p50/p99, the server's CPU time. The figure to reach: p99 during the storm
# <= 50 ms.
#
# Root only. Environment: LOGINS (50), D (seconds per run, 10), WARREN (default
# $B/warren, B=build), WB_KEEP=1 keeps the temporary directory.
set -u
export LC_ALL=C
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$SELF")/../.." || exit 1
LOGINS=${LOGINS:-50}
D=${D:-10}
WARREN=${WARREN:-${B:-build}/warren}
case $WARREN in /*) ;; *) WARREN=$PWD/$WARREN ;; esac

NAME=logins
. tests/bench/portal_lib.sh
bench_enter l python3

# ---------------------------------------------------------------- inside ns wbl-PID
bench_server 'name = "hq";'

W user add bench >/dev/null || fail "user add"
TOKEN=$(W device add gw1 --user bench) || fail "device add"
curl -s -f --cacert "$TMP/ca.pem" -d '{"token":"'"$TOKEN"'","public_key":"'"$(wg genkey | wg pubkey)"'","name":"bench"}' \
	"$URL/api/v1/agent/enroll" >"$TMP/enroll.json" || fail "the enrolment was refused"
CRED=$(jq -r .credential "$TMP/enroll.json")
: >"$TMP/accounts"
for i in $(seq "$LOGINS"); do
	echo "storm$i $(W admin add "storm$i")" >>"$TMP/accounts" || fail "admin add storm$i"
done

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
HZ=$(getconf CLK_TCK)
echo "logins-bench: $(nproc) CPUs, $WARREN; Argon2id 64 MiB, 3 passes per login; $LOGINS login threads, ${D}s per run"
s0=$(ticks "$SPID")
base=$(python3 tests/bench/storm.py "$URL" "$TMP/ca.pem" "$CRED" "$D" 0 "$TMP/accounts") || fail "the baseline run failed"
s1=$(ticks "$SPID")
storm=$(python3 tests/bench/storm.py "$URL" "$TMP/ca.pem" "$CRED" "$D" "$LOGINS" "$TMP/accounts") || fail "the storm run failed"
s2=$(ticks "$SPID")
kill -0 "$SPID" 2>/dev/null || fail "the server died"
f() { awk -v k="$2" '!/^#/ { for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$1"; }
echo "logins-bench: profile pull alone: p50 $(f "$base" p50) ms, p99 $(f "$base" p99) ms, max $(f "$base" max) ms ($(f "$base" pulls) pulls, $(f "$base" failed) failed); server CPU $(((s1 - s0) * 1000 / HZ)) ms"
echo "logins-bench: profile pull during $LOGINS concurrent logins: p50 $(f "$storm" p50) ms, p99 $(f "$storm" p99) ms, max $(f "$storm" max) ms ($(f "$storm" pulls) pulls, $(f "$storm" failed) failed); figure: p99 <= 50 ms"
grep -h '^#' <<<"$base
$storm" | sed 's/^# /logins-bench: /'
echo "logins-bench: logins: $(f "$storm" ok) succeeded ($(f "$storm" rate)/s), $(f "$storm" other) other answers; login latency p50 $(f "$storm" login_p50) ms, p99 $(f "$storm" login_p99) ms; server CPU $(((s2 - s1) * 1000 / HZ)) ms"
