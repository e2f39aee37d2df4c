#!/usr/bin/env bash
# tests/bench/web.sh: what live status by Server-Sent Events costs (DESIGN 14: at 10,000
# users with 100 online, at most 2 % of one core). A benchmark, not a pass/fail test: it
# prints figures.
#
#   ns wws-PID (warren server, portal)            ns wwc-PID (clients)
#   vs 10.232.0.1/24 ---------------------------- vc 10.232.0.2/24
#   wgwPID 10.9.0.1/16 :51820, N users in SQLite   ONLINE wireguard-go links wcIxPID, one
#   portal https://10.232.0.1:8443                 user's config each, each pinging
#                                                  10.9.0.1 once a second; STREAMS curl -N
#                                                  on /api/v1/events with a viewer token,
#                                                  then USER_STREAMS with online users'
#                                                  portal sessions
#
# The server runs on the userspace backend (wireguard-go) with its default accounting
# interval (2 s). With N users added and ONLINE of them online and sending, the CPU time
# of the warren server and of its portal process is read from /proc/PID/stat (utime +
# stime) over D seconds twice: without any stream, then with STREAMS streams open. The
# difference is what the streams cost: the status deltas (every online device changes at
# every poll, since all send), their JSON, the messages to the portal and its TLS writes.
# A third window adds USER_STREAMS streams of online users' own portal sessions (each
# logged in with a one-time password from `warren user passwd` and changed): each gets
# an event of its own rows, made by the server. Also printed: events and bytes the
# console streams received, and the CPU of the server's wireguard-go for scale.
#
# Nothing asks the server anything during a window: `warren status --json` at 10,000
# users costs it about 0.1 s each.
#
# Then the users page at N users: a page of 50 (first, searched, sorted, filtered), the
# server's own time and the HTTPS round trip; and last tests/bench/logins.sh, the profile
# pull's p99 during LOGINS concurrent logins, in a namespace of its own.
#
# Root only. Environment: N (10000), ONLINE (100), STREAMS (10), USER_STREAMS (ONLINE;
# 0 skips the third window), D (30 seconds per window), PAR (4: parallel `warren user add`
# while seeding), PERF=1 (perf record the server and the portal during the last window
# and print where they spend it), LOGINS (50; 0 skips the login storm), WARREN (default
# $B/warren, B=build), WB_KEEP=1 keeps the temporary directory.
set -u
export LC_ALL=C
cd "$(dirname "$0")/../.." || exit 1
N=${N:-10000}
ONLINE=${ONLINE:-100}
STREAMS=${STREAMS:-10}
USER_STREAMS=${USER_STREAMS:-$ONLINE}
D=${D:-30}
PAR=${PAR:-4}
PERF=${PERF:-0}
WARREN=${WARREN:-${B:-build}/warren}
case $WARREN in /*) ;; *) WARREN=$PWD/$WARREN ;; esac

die() { echo "web-bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root"
for c in wireguard-go wg ip curl openssl jq xargs ping; do
	command -v "$c" >/dev/null 2>&1 || die "needs $c (make deps installs it)"
done
[ -x "$WARREN" ] || die "no warren binary at $WARREN (run make)"
[ "$ONLINE" -le "$N" ] || die "ONLINE must not exceed N"
[ "$USER_STREAMS" -le "$ONLINE" ] || die "USER_STREAMS must not exceed ONLINE"
[ "$PERF" != 1 ] || command -v perf >/dev/null 2>&1 || die "PERF=1 needs perf"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/wweb.XXXXXX")
SNS=wws-$$ CNS=wwc-$$ IF=wgw$$
cleanup() {
	local rc=$? p pids=() i n
	trap - EXIT INT TERM
	for n in "$SNS" "$CNS"; do mapfile -t -O "${#pids[@]}" pids < <(ip netns pids "$n" 2>/dev/null); done
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for i in $(seq 50); do
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && break; p=; done
		[ -z "${p:-}" ] && break
		sleep 0.1
	done
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	ip netns del "$SNS" 2>/dev/null
	ip netns del "$CNS" 2>/dev/null
	rm -f "/var/run/wireguard/$IF.sock" /var/run/wireguard/wc*x$$.sock
	if [ "${WB_KEEP:-0}" = 1 ]; then echo "# kept $TMP"; else rm -rf "$TMP"; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

S() { ip netns exec "$SNS" "$@"; }
C() { ip netns exec "$CNS" "$@"; }
SOCK=$TMP/warren.sock CONF=$TMP/server.conf LOG=$TMP/server.log URL=https://10.232.0.1:8443
W() { "$WARREN" "$@" -s "$SOCK"; }
fail() { echo "web-bench: $*" >&2; echo "--- server log (tail):" >&2; tail -n 20 "$LOG" >&2; exit 1; }
# ticks PID: CPU time used so far, in clock ticks.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
pct() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" -v d="$D" 'BEGIN { printf "%.2f", t * 100 / hz / d }'; }
wait_for() {  # wait_for SECONDS CMD...
	local end=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do [ $SECONDS -ge $end ] && return 1; sleep 0.2; done
}

ip netns add "$SNS" && ip netns add "$CNS" || die "cannot create namespaces"
S ip link set lo up && C ip link set lo up
S ip link add vs type veth peer name vc netns "$CNS" &&
	S ip addr add 10.232.0.1/24 dev vs && C ip addr add 10.232.0.2/24 dev vc &&
	S ip link set vs up && C ip link set vc up || die "cannot set up the veth pair"

# A test CA and the portal's certificate for its address.
printf '[req]\ndistinguished_name = dn\n[dn]\n[ca]\nbasicConstraints = critical, CA:true\n' >"$TMP/ssl.cnf"
export OPENSSL_CONF=$TMP/ssl.cnf
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench-ca \
	-extensions ca -keyout "$TMP/ca.key" -out "$TMP/ca.pem" 2>/dev/null &&
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=10.232.0.1 \
	-addext subjectAltName=IP:10.232.0.1 -keyout "$TMP/portal.key" -out "$TMP/portal.csr" 2>/dev/null &&
openssl x509 -req -in "$TMP/portal.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" -CAcreateserial \
	-days 2 -copy_extensions copy -out "$TMP/portal.crt" 2>/dev/null || die "cannot make the test CA"
chmod 600 "$TMP/portal.key"
unset OPENSSL_CONF

cat >"$CONF" <<EOF
daemon = { state_dir = "$TMP/state"; socket = "$SOCK"; backend = "userspace"; };
server = { interface = "$IF"; listen_port = 51820; private_key = "$(wg genkey)";
           endpoint = "10.232.0.1:51820"; pool = [ "10.9.0.0/16" ];
           client_allowed_ips = [ "10.9.0.0/16" ]; snat = false; database = "$TMP/warren.db";
           portal = { listen = "10.232.0.1:8443"; tls_cert_file = "$TMP/portal.crt";
                      tls_key_file = "$TMP/portal.key"; }; };
EOF
S "$WARREN" server -c "$CONF" >>"$LOG" 2>&1 &
wait_for 15 W status || fail "the server did not start"
SPID=$(W status --json | jq .pid)
PPID_=
for p in $(ip netns pids "$SNS"); do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = warren-portal ] && PPID_=$p
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = wireguard-go ] && WGPID=$p
done
[ -n "$PPID_" ] || fail "no portal process"

echo "web-bench: $N users, $ONLINE online, $STREAMS streams, ${D} s windows, $(nproc) CPUs, $WARREN"
t0=$SECONDS
seq -f 'u%05g' 1 "$N" | xargs -P "$PAR" -I{} "$WARREN" user add {} -s "$SOCK" >/dev/null 2>"$TMP/seed.err"
[ "$(W status --json | jq .server.users)" = "$N" ] || { head -n 3 "$TMP/seed.err" >&2; fail "seeding"; }
echo "web-seed: $N users in $((SECONDS - t0)) s"

# ONLINE clients in one namespace: one wireguard-go link each, a route to the server's
# address through each (by metric), and ping bound to its link.
for ((i = 1; i <= ONLINE; i++)); do
	u=$(printf 'u%05d' "$i") l=wc${i}x$$
	W user config "$u" >"$TMP/$u.conf" || fail "user config $u"
	cfg() { sed -n "s/^$1 *= *//p" "$TMP/$u.conf" | head -n 1; }
	cfg PrivateKey >"$TMP/$u.key"; cfg PresharedKey >"$TMP/$u.psk"; chmod 600 "$TMP/$u.key" "$TMP/$u.psk"
	C env LOG_LEVEL=error wireguard-go "$l" >/dev/null 2>&1 || fail "wireguard-go $l"
	C wg set "$l" private-key "$TMP/$u.key" peer "$(cfg PublicKey)" preshared-key "$TMP/$u.psk" \
		endpoint 10.232.0.1:51820 allowed-ips 10.9.0.1/32 persistent-keepalive 25 &&
		C ip addr add "$(cfg Address | tr -d ' ' | cut -d, -f1)" dev "$l" && C ip link set "$l" up &&
		C ip route add 10.9.0.1/32 dev "$l" metric "$i" || fail "client $l"
	C ping -n -q -i 1 -I "$l" 10.9.0.1 >/dev/null 2>&1 &
done
online() { [ "$(W status --json | jq .server.online)" -ge "$ONLINE" ]; }
wait_for 90 online || echo "web-bench: only $(W status --json | jq .server.online) of $ONLINE online" >&2
echo "web-online: $(W status --json | jq .server.online) users online, each pinging once a second"

# window [perf]: CPU ticks of the server, the portal and the server's wireguard-go over
# D s; with "perf", the server and the portal are recorded meanwhile.
window() {
	local s0 p0 g0 pf=()
	if [ "${1:-}" = perf ]; then
		perf record -q -g -o "$TMP/perf.server" -p "$SPID" -- sleep "$D" >/dev/null 2>&1 &
		pf+=($!)
		perf record -q -g -o "$TMP/perf.portal" -p "$PPID_" -- sleep "$D" >/dev/null 2>&1 &
		pf+=($!)
	fi
	s0=$(ticks "$SPID"); p0=$(ticks "$PPID_"); g0=$(ticks "${WGPID:-0}")
	sleep "$D"
	echo "$(( $(ticks "$SPID") - s0 )) $(( $(ticks "$PPID_") - p0 )) $(( $(ticks "${WGPID:-0}") - g0 ))"
	[ ${#pf[@]} -eq 0 ] || wait "${pf[@]}"
}
last=
[ "$PERF" = 1 ] && last=perf
sleep 4
window >"$TMP/window"
read -r sa pa ga <"$TMP/window"

TOKEN=$(W token add bench --role viewer) || fail "token add"
for ((i = 1; i <= STREAMS; i++)); do
	C curl -sN --cacert "$TMP/ca.pem" -H "Authorization: Bearer $TOKEN" "$URL/api/v1/events" \
		>"$TMP/stream$i" 2>/dev/null &
done
opened() { [ "$(W status --json | jq .server.event_streams)" = "$STREAMS" ]; }
wait_for 15 opened || fail "the streams did not open"
sleep 4
b0=$(cat "$TMP"/stream* 2>/dev/null | wc -c); e0=$(cat "$TMP"/stream* 2>/dev/null | grep -c '^event: status')
window "$([ "$USER_STREAMS" -gt 0 ] || echo "$last")" >"$TMP/window"
read -r sb pb gb <"$TMP/window"
b1=$(cat "$TMP"/stream* 2>/dev/null | wc -c); e1=$(cat "$TMP"/stream* 2>/dev/null | grep -c '^event: status')
rows=$(tail -n 200 "$TMP/stream1" 2>/dev/null | sed -n 's/^data: //p' | jq -s 'map(select(.devices) | .devices | length) | if length > 0 then (add / length) else 0 end' 2>/dev/null)

# user_stream U: U's one-time password, a login, the change it forces, then its stream.
user_stream() {
	local u=$1 p c x h=$TMP/$1.hdr b=$TMP/$1.body
	cookie() { sed -n 's/^[Ss]et-[Cc]ookie: __Host-warren=\([^;]*\).*/\1/p' "$h" | tr -d '\r'; }
	p=$(W user passwd "$u") || return 1
	C curl -s -o "$b" -D "$h" --cacert "$TMP/ca.pem" -H 'Content-Type: application/json' \
		--data-binary "{\"name\":\"$u\",\"password\":\"$p\"}" "$URL/api/v1/login"
	c=$(cookie) x=$(jq -r .csrf "$b")
	C curl -s -o "$b" -D "$h" --cacert "$TMP/ca.pem" -H 'Content-Type: application/json' \
		-H "Cookie: __Host-warren=$c" -H "X-CSRF-Token: $x" \
		--data-binary "{\"old\":\"$p\",\"new\":\"a bench password\"}" "$URL/api/v1/password"
	c=$(cookie)
	[ -n "$c" ] || return 1
	C curl -sN --cacert "$TMP/ca.pem" -H "Cookie: __Host-warren=$c" "$URL/api/v1/events" \
		>"$TMP/ustream-$u" 2>/dev/null &
}
sc=0 pc=0 ue=0
if [ "$USER_STREAMS" -gt 0 ]; then
	for ((i = 1; i <= USER_STREAMS; i++)); do
		user_stream "$(printf 'u%05d' "$i")" || fail "a portal session for u$i"
	done
	want=$((STREAMS + USER_STREAMS))
	opened() { [ "$(W status --json | jq .server.event_streams)" = "$want" ]; }
	wait_for 60 opened || fail "the users' streams did not open"
	sleep 4
	u0=$(cat "$TMP"/ustream-* | grep -c '^event: status')
	window "$last" >"$TMP/window"
	read -r sc pc gc <"$TMP/window"
	ue=$(( $(cat "$TMP"/ustream-* | grep -c '^event: status') - u0 ))
fi

hz=$(getconf CLK_TCK)
echo "web-cpu: no streams:        server $(pct "$sa") %, portal $(pct "$pa") %  ($sa + $pa ticks of 1/$hz s in $D s)"
echo "web-cpu: $STREAMS streams open:   server $(pct "$sb") %, portal $(pct "$pb") %  ($sb + $pb ticks)"
echo "web-cpu: server + portal: $(pct $((sa + pa))) % -> $(pct $((sb + pb))) % of one core; the streams cost $(pct $((sb + pb - sa - pa))) %"
awk -v b=$((b1 - b0)) -v e=$((e1 - e0)) -v s="$STREAMS" -v d="$D" -v r="${rows:-0}" 'BEGIN {
	printf "web-events: %d status events to %d streams in %d s (%.2f a second each), %.0f device rows each, %.1f KiB/s per stream\n",
		e, s, d, e / s / d, r, b / s / d / 1024 }'
if [ "$USER_STREAMS" -gt 0 ]; then
	echo "web-cpu: and $USER_STREAMS users' own: server $(pct "$sc") %, portal $(pct "$pc") %  ($sc + $pc ticks); server + portal $(pct $((sc + pc))) %"
	awk -v e="$ue" -v s="$USER_STREAMS" -v d="$D" 'BEGIN {
		printf "web-events: %d status events of their own rows to %d users'"'"' streams in %d s (%.2f a second each)\n", e, s, d, e / s / d }'
fi
[ -n "${WGPID:-}" ] && echo "web-cpu: for scale, the server's wireguard-go: $(pct "$ga") % -> $(pct "$gb") %"
# ---- the users page at N users: a page of 50 as the console asks for it, the server's
# own time (one request timed inside a small client on the control socket) and the whole
# round trip from the clients' namespace over HTTPS (kept alive, the viewer token)
cc -O2 -o "$TMP/ctlcall" tests/bench/ctlcall.c || fail "cannot build tests/bench/ctlcall.c"
daemon_ms() {   # the median of 15, in ms
	local k
	for ((k = 0; k < 15; k++)); do "$TMP/ctlcall" "$SOCK" api user.list "$1" || return 1; done |
		sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] / 1000 }'
}
https_ms() {
	C python3 - "$URL" "$TMP/ca.pem" "$TOKEN" "$1" <<'PY'
import http.client, ssl, sys, time
url, ca, tok, q = sys.argv[1:5]
host, port = url.split("//", 1)[1].split(":")
c = http.client.HTTPSConnection(host, int(port), context=ssl.create_default_context(cafile=ca))
ms = []
for _ in range(16):
    t0 = time.monotonic()
    c.request("GET", "/api/v1/users?" + q, headers={"Authorization": "Bearer " + tok})
    c.getresponse().read()
    ms.append((time.monotonic() - t0) * 1000)
ms = sorted(ms[1:])
print("%.2f" % ms[len(ms) // 2])
PY
}
for pq in 'first page|{"limit":50}|limit=50' 'search|{"limit":50,"q":"u0999"}|limit=50&q=u0999' \
	'sorted by bytes used|{"limit":50,"sort":"-used"}|limit=50&sort=-used' \
	'state filter|{"limit":50,"state":"expired"}|limit=50&state=expired'; do
	IFS='|' read -r label js qs <<<"$pq"
	echo "web-users-page: $label at $N users: server $(daemon_ms "$js") ms, HTTPS round trip $(https_ms "$qs") ms (medians of 15; figure: server <= 20 ms)"
done
echo "web-users-page: first render in Chromium: tests/web/t_pages.sh prints it (figure <= 500 ms)"

if [ "$PERF" = 1 ]; then
	for x in server portal; do
		echo "web-perf: $x in the last window, functions (self) >= 2 %:"
		perf report -q -i "$TMP/perf.$x" --no-children --sort dso,sym --stdio -g none 2>/dev/null |
			awk '$1 ~ /%$/ && $1 + 0 >= 2' | head -n 15 | sed 's/^ */#   /'
	done
fi
# ---- a login storm's effect on profile pulls: a run of its own (tests/bench/logins.sh)
if [ "${LOGINS:-50}" -gt 0 ]; then
	LOGINS=${LOGINS:-50} WARREN=$WARREN bash tests/bench/logins.sh | sed 's/^logins-bench:/web-logins:/'
fi
exit 0
