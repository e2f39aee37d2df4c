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

die() { echo "logins-bench: $*" >&2; exit 1; }

if [ "${WB_INNER:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || die "needs root"
	for c in curl openssl jq wg ip python3; do
		command -v "$c" >/dev/null 2>&1 || die "needs $c (make deps installs it)"
	done
	command -v wireguard-go >/dev/null 2>&1 || die "needs wireguard-go (make deps installs it)"
	[ -x "$WARREN" ] || die "no warren binary at $WARREN (run make)"
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/wblogins.XXXXXX")
	NS=wbl-$$ IF=wgl$$
	cleanup() {
		local rc=$? p
		trap - EXIT INT TERM
		for p in $(ip netns pids "$NS" 2>/dev/null); do kill "$p" 2>/dev/null; done
		for _ in $(seq 30); do [ -z "$(ip netns pids "$NS" 2>/dev/null)" ] && break; sleep 0.1; done
		for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$NS" 2>/dev/null
		rm -f "/var/run/wireguard/$IF.sock"
		if [ "${WB_KEEP:-0}" = 1 ]; then echo "# kept $TMP"; else rm -rf "$TMP"; fi
		exit "$rc"
	}
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	ip netns add "$NS" || die "cannot create namespace $NS"
	ip -n "$NS" link set lo up || die "cannot bring lo up in $NS"
	WB_INNER=1 TMP=$TMP NS=$NS IF=$IF WARREN=$WARREN ip netns exec "$NS" bash "$SELF" &
	wait $!
	exit $?
fi

# ---------------------------------------------------------------- inside ns wbl-PID
SOCK=$TMP/warren.sock CONF=$TMP/server.conf LOG=$TMP/server.log URL=https://127.0.0.1:8443
W() { "$WARREN" "$@" -s "$SOCK"; }
fail() { echo "logins-bench: $*" >&2; tail -n 20 "$LOG" >&2; exit 1; }
chmod 0711 "$TMP"
printf '[req]\ndistinguished_name = dn\n[dn]\n[ca]\nbasicConstraints = critical, CA:true\n' >"$TMP/ssl.cnf"
(
	umask 077
	export OPENSSL_CONF=$TMP/ssl.cnf
	openssl req -config "$TMP/ssl.cnf" -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-days 2 -subj /CN=warren-bench-ca -extensions ca -keyout "$TMP/ca.key" -out "$TMP/ca.pem" &&
	openssl req -config "$TMP/ssl.cnf" -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout "$TMP/portal.key" \
		-out "$TMP/portal.csr" &&
	openssl x509 -req -in "$TMP/portal.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" \
		-CAcreateserial -days 2 -copy_extensions copy -out "$TMP/portal.crt"
) >"$TMP/ssl.err" 2>&1 || { cat "$TMP/ssl.err" >&2; die "cannot make a test CA and certificate"; }

cat >"$CONF" <<EOF
daemon = { state_dir = "$TMP/state"; socket = "$SOCK"; backend = "userspace"; };
server = { interface = "$IF"; listen_port = 51820; private_key = "$(wg genkey)";
           endpoint = "127.0.0.1:51820"; pool = [ "10.9.0.0/16" ];
           client_allowed_ips = [ "10.9.0.0/16" ]; snat = false; database = "$TMP/warren.db";
           portal = { listen = "127.0.0.1:8443"; tls_cert_file = "$TMP/portal.crt";
                      tls_key_file = "$TMP/portal.key"; name = "hq"; }; };
EOF
"$WARREN" server -c "$CONF" >>"$LOG" 2>&1 &
SPID=$!
up() { curl -s -o /dev/null --cacert "$TMP/ca.pem" "$URL/"; }
for _ in $(seq 100); do [ -S "$SOCK" ] && up && break; kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
up || fail "the server and its portal did not start"

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
