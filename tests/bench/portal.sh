#!/usr/bin/env bash
# tests/bench/portal.sh: requests per second of the portal's profile pull, the 200 path
# (the full signed profile) and the 304 path (If-None-Match matches), measured with wrk
# against nginx serving the same bytes as a static file: same machine, same namespace,
# same certificate, same wrk parameters, same run. A benchmark, not a pass/fail test: it
# prints figures.
#
#   ns wbp-PID, lo 127.0.0.1 only
#   warren server (root) --socketpair-- warren portal (nobody)  https://127.0.0.1:8443
#   nginx (master root, NGINX_WORKERS workers as nobody)          https://127.0.0.1:8444
#   wrk -tT -cC -dD --latency, one credential, one device
#
# The credential comes from an enrolment posted with curl (no agent runs). nginx serves
# the body curl got, under the same path, with `etag on`, the same X-Warren-Signature
# header, and keepalive_requests raised so that, like the portal, it keeps every
# connection for the whole run; on the 304 path it gets If-None-Match with its own ETag.
#
# Printed: per path, both servers' req/s and their ratio (warren / nginx), wrk's p50/p99
# latency, errors, and the CPU time of the warren server, the portal process, nginx and
# wrk over the run (from /proc/PID/stat and bash's `time`), per request too; then each
# server's latency with one connection, one request after the other.
#
# Root only. Environment: C (connections, 16; wrk runs from one address, and the portal
# takes up to 1,024 from one address, more show up as socket errors), T (wrk threads, 2), D (seconds per run, 10), RUNS (1: with more, the
# warren and nginx runs alternate and medians are printed), NGINX_WORKERS (1: the portal
# is one process with one loop; "auto" for one per CPU), LAT_D (3: seconds of each
# one-connection run, 0 skips them), PERF=1 (perf record the server and the portal
# during a further 200 run and print where they spend it), WARREN (default $B/warren,
# B=build), WB_KEEP=1 keeps the temporary directory.
set -u
export LC_ALL=C
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$SELF")/../.." || exit 1
C=${C:-16}
T=${T:-2}
D=${D:-10}
RUNS=${RUNS:-1}
NGINX_WORKERS=${NGINX_WORKERS:-1}
PERF=${PERF:-0}
LAT_D=${LAT_D:-3}
WARREN=${WARREN:-${B:-build}/warren}
case $WARREN in /*) ;; *) WARREN=$PWD/$WARREN ;; esac

die() { echo "portal-bench: $*" >&2; exit 1; }

# ---------------------------------------------------------------- outside: setup, cleanup
if [ "${WB_INNER:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || die "needs root"
	for c in wrk nginx curl openssl jq wg ip; do
		command -v "$c" >/dev/null 2>&1 || die "needs $c (make deps bench-deps installs it)"
	done
	[ "${WARREN_BACKEND:-userspace}" = userspace ] && ! command -v wireguard-go >/dev/null 2>&1 &&
		die "needs wireguard-go (make deps installs it)"
	[ -x "$WARREN" ] || die "no warren binary at $WARREN (run make)"
	[ "$PERF" != 1 ] || command -v perf >/dev/null 2>&1 || die "PERF=1 needs perf"

	TMP=$(mktemp -d "${TMPDIR:-/tmp}/wbportal.XXXXXX")
	NS=wbp-$$ IF=wgp$$
	cleanup() {
		local rc=$? p pids=()
		trap - EXIT INT TERM
		mapfile -t pids < <(ip netns pids "$NS" 2>/dev/null)
		for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
		for _ in $(seq 30); do
			for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && break; p=; done
			[ -z "${p:-}" ] && break
			sleep 0.1
		done
		for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
		ip netns del "$NS" 2>/dev/null
		rm -f "/var/run/wireguard/$IF.sock"
		if [ "${WB_KEEP:-0}" = 1 ]; then echo "# kept $TMP"; else rm -rf "$TMP"; fi
		exit "$rc"
	}
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	[ -e "/var/run/wireguard/$IF.sock" ] && die "/var/run/wireguard/$IF.sock exists already"
	ip netns add "$NS" || die "cannot create namespace $NS"
	ip -n "$NS" link set lo up || die "cannot bring lo up in $NS"

	# In the background and waited for, so that a signal to this shell cleans up at once.
	# shellcheck disable=SC2097,SC2098
	WB_INNER=1 TMP=$TMP NS=$NS IF=$IF WARREN=$WARREN ip netns exec "$NS" bash "$SELF" &
	wait $!
	exit $?
fi

# ---------------------------------------------------------------- inside ns wbp-PID
SOCK=$TMP/warren.sock CONF=$TMP/server.conf DB=$TMP/warren.db LOG=$TMP/server.log
NGX=$TMP/nginx WWW=$TMP/www
URL=https://127.0.0.1:8443 NURL=https://127.0.0.1:8444 P=/api/v1/agent/profile
W() { "$WARREN" "$@" -s "$SOCK"; }
fail() {
	echo "portal-bench: $*" >&2
	echo "--- server log (tail):" >&2; tail -n 20 "$LOG" >&2
	[ -s "$NGX/error.log" ] && { echo "--- nginx error log (tail):" >&2; tail -n 10 "$NGX/error.log" >&2; }
	exit 1
}
# The nginx worker (nobody) walks into $TMP by name only; the keys stay 0600.
chmod 0711 "$TMP"

# ---- a test CA and a certificate for 127.0.0.1 (a configuration of our own)
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

# ---- the server and its portal
SKEY=$(wg genkey)
cat >"$CONF" <<EOF
daemon = { state_dir = "$TMP/state"; socket = "$SOCK"; backend = "${WARREN_BACKEND:-userspace}"; };
server = { interface = "$IF"; listen_port = 51820; private_key = "$SKEY";
           endpoint = "127.0.0.1:51820"; pool = [ "10.9.0.0/24" ];
           client_allowed_ips = [ "10.9.0.0/24" ]; snat = false;
           database = "$DB";
           portal = { listen = "127.0.0.1:8443"; tls_cert_file = "$TMP/portal.crt";
                      tls_key_file = "$TMP/portal.key"; name = "hq"; }; };
EOF
"$WARREN" server -c "$CONF" >>"$LOG" 2>&1 &
SPID=$!
up() { curl -s -o /dev/null --cacert "$TMP/ca.pem" "$1"; }  # any answer will do
for _ in $(seq 100); do [ -S "$SOCK" ] && up "$URL/" && break; kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
up "$URL/" || fail "the server and its portal did not start"
PORTAL_PID=
for p in $(pgrep -P "$SPID"); do
	tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q ' portal' && PORTAL_PID=$p
done
[ -n "$PORTAL_PID" ] || fail "no portal process under the server (pid $SPID)"

# ---- one device, enrolled by hand: its credential, the profile, its ETag and signature
W user add bench >/dev/null || fail "user add"
TOKEN=$(W device add gw1 --user bench) || fail "device add"
PUB=$(wg genkey | wg pubkey)
curl -s -f --cacert "$TMP/ca.pem" -d '{"token":"'"$TOKEN"'","public_key":"'"$PUB"'","name":"bench"}' \
	"$URL/api/v1/agent/enroll" >"$TMP/enroll.json" || fail "the enrolment was refused"
CRED=$(jq -r .credential "$TMP/enroll.json")
[ -n "$CRED" ] && [ "$CRED" != null ] || fail "no credential in $(cat "$TMP/enroll.json")"
AUTH="Authorization: Bearer $CRED"
mkdir -p "$WWW${P%/*}"
hdr() { tr -d '\r' <"$1" | awk -v h="$2" 'BEGIN { h = tolower(h) } { n = index($0, ":") }
	n && tolower(substr($0, 1, n - 1)) == h { print substr($0, n + 2) }' | tail -n 1; }
code() { curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/ca.pem" -H "$AUTH" "$@"; }
curl -s -f --cacert "$TMP/ca.pem" -H "$AUTH" -D "$TMP/w.hdr" -o "$WWW$P" "$URL$P" || fail "GET $P"
ETAG=$(hdr "$TMP/w.hdr" etag) SIG=$(hdr "$TMP/w.hdr" x-warren-signature)
[ -n "$ETAG" ] && [ -n "$SIG" ] || fail "the profile came without ETag or signature"
[ "$(code -H "If-None-Match: $ETAG" "$URL$P")" = 304 ] || fail "If-None-Match $ETAG does not get 304"
chmod 0755 "$WWW" "$WWW/api" "$WWW/api/v1" "$WWW/api/v1/agent"; chmod 0644 "$WWW$P"

# ---- nginx with the same certificate, the same bytes at the same path
mkdir -p "$NGX"
cat >"$NGX/nginx.conf" <<EOF
daemon off;
user nobody nogroup;
worker_processes $NGINX_WORKERS;
pid $NGX/nginx.pid;
error_log $NGX/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $NGX/body;
	proxy_temp_path $NGX/proxy;
	fastcgi_temp_path $NGX/fastcgi;
	uwsgi_temp_path $NGX/uwsgi;
	scgi_temp_path $NGX/scgi;
	keepalive_requests 100000000;
	server {
		listen 127.0.0.1:8444 ssl;
		ssl_certificate $TMP/portal.crt;
		ssl_certificate_key $TMP/portal.key;
		ssl_protocols TLSv1.2 TLSv1.3;
		root $WWW;
		location = $P {
			default_type application/json;
			etag on;
			add_header X-Warren-Signature "$SIG";
		}
	}
}
EOF
nginx -p "$NGX" -e "$NGX/error.log" -c "$NGX/nginx.conf" -t >"$NGX/test.log" 2>&1 ||
	{ cat "$NGX/test.log" >&2; fail "nginx refuses its configuration"; }
nginx -p "$NGX" -e "$NGX/error.log" -c "$NGX/nginx.conf" >"$NGX/nginx.out" 2>&1 &
NPID=$!
for _ in $(seq 50); do up "$NURL$P" && break; kill -0 "$NPID" 2>/dev/null || break; sleep 0.1; done
up "$NURL$P" || fail "nginx did not start"
curl -s -f --cacert "$TMP/ca.pem" -H "$AUTH" -D "$TMP/n.hdr" -o "$TMP/n.body" "$NURL$P" || fail "nginx GET $P"
cmp -s "$WWW$P" "$TMP/n.body" || fail "nginx does not serve the same bytes"
NETAG=$(hdr "$TMP/n.hdr" etag)
[ -n "$NETAG" ] || fail "nginx sent no ETag"
[ "$(code -H "If-None-Match: $NETAG" "$NURL$P")" = 304 ] || fail "nginx does not answer 304 to its ETag"

size() { curl -s -o /dev/null -w '%{size_header}+%{size_download}' --cacert "$TMP/ca.pem" -H "$AUTH" "$@"; }
tls() { openssl s_client -connect "$1" -servername 127.0.0.1 </dev/null 2>/dev/null |
	awk '/^New,/ { v = $2; sub(/,$/, "", v) } /Cipher is/ { c = $NF } END { print v " " c }'; }
echo "portal-bench: $(nproc) CPUs, $WARREN, libmicrohttpd $(dpkg-query -W -f='${Version}' libmicrohttpd12 2>/dev/null || echo '?'), $(nginx -v 2>&1 | sed 's/.*: //') with $NGINX_WORKERS worker(s), $(wrk -v 2>&1 | awk 'NR == 1 { print $1, $2 }'); wrk -t$T -c$C -d${D}s --latency, runs: $RUNS"
echo "portal-bench: profile $(wc -c <"$WWW$P") bytes; responses header+body bytes: warren 200 $(size "$URL$P"), 304 $(size -H "If-None-Match: $ETAG" "$URL$P"); nginx 200 $(size "$NURL$P"), 304 $(size -H "If-None-Match: $NETAG" "$NURL$P"); TLS: warren $(tls 127.0.0.1:8443), nginx $(tls 127.0.0.1:8444)"

# ---- the runs
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
ngx_ticks() { local p s; s=$(ticks "$NPID"); for p in $(pgrep -P "$NPID"); do s=$((s + $(ticks "$p"))); done; echo "$s"; }
HZ=$(getconf CLK_TCK)
TIMEFORMAT='%U %S'
# run NAME URL [If-None-Match]: one wrk run; writes $TMP/NAME.out, appends a line
# "rps p50 p99 non2xx3xx errors server_ms portal_ms nginx_ms wrk_ms requests" to $TMP/NAME.res.
run() {
	local name=$1 url=$2 inm=${3:-} s0 p0 n0 s1 p1 n1 args=(-t"$T" -c"$C" -d"${D}s" --latency -H "$AUTH")
	[ -n "$inm" ] && args+=(-H "If-None-Match: $inm")
	s0=$(ticks "$SPID") p0=$(ticks "$PORTAL_PID") n0=$(ngx_ticks)
	{ time wrk "${args[@]}" "$url" >"$TMP/$name.out" 2>&1; } 2>"$TMP/$name.time"
	s1=$(ticks "$SPID") p1=$(ticks "$PORTAL_PID") n1=$(ngx_ticks)
	awk -v s=$((s1 - s0)) -v p=$((p1 - p0)) -v n=$((n1 - n0)) -v hz="$HZ" -v tf="$TMP/$name.time" '
		function ms(v, u) { if (u == "us") return v / 1000; if (u == "s") return v * 1000
			if (u == "m") return v * 60000; return v }
		function lat(x) { match(x, /[0-9.]+/); return ms(substr(x, RSTART, RLENGTH), substr(x, RSTART + RLENGTH)) }
		/Requests\/sec:/ { rps = $2 }
		/^ +50%/ { p50 = lat($2) } /^ +99%/ { p99 = lat($2) }
		/Non-2xx or 3xx responses:/ { bad = $NF }
		/Socket errors:/ { gsub(/,/, ""); err = $4 + $6 + $8 + $10 }
		/requests in/ { req = $1 }
		END { getline t < tf; split(t, w, " ")
			printf "%s %s %s %d %d %.0f %.0f %.0f %.0f %d\n", rps == "" ? 0 : rps, p50 == "" ? "nan" : p50,
				p99 == "" ? "nan" : p99, bad, err, s * 1000 / hz, p * 1000 / hz, n * 1000 / hz,
				(w[1] + w[2]) * 1000, req }' "$TMP/$name.out" >>"$TMP/$name.res"
	kill -0 "$PORTAL_PID" 2>/dev/null || fail "the portal process died during $name"
	kill -0 "$NPID" 2>/dev/null || fail "nginx died during $name"
}
# med FIELD FILE: the median of one field of a .res file (the run itself when RUNS=1).
med() { awk -v f="$1" '{ print $f }' "$2" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

curl -s -o /dev/null --cacert "$TMP/ca.pem" -H "$AUTH" "$URL$P"  # warm
LOG0=$(wc -l <"$LOG")
for ((r = 0; r < RUNS; r++)); do
	run w200 "$URL$P"
	run n200 "$NURL$P"
	run w304 "$URL$P" "$ETAG"
	run n304 "$NURL$P" "$NETAG"
done

report() {  # report PATH
	local w=$TMP/w$1.res n=$TMP/n$1.res wr nr
	wr=$(med 1 "$w") nr=$(med 1 "$n")
	awk -v path="$1" -v wr="$wr" -v nr="$nr" -v d="$D" -v runs="$RUNS" \
		-v wp50="$(med 2 "$w")" -v wp99="$(med 3 "$w")" -v np50="$(med 2 "$n")" -v np99="$(med 3 "$n")" \
		-v wbad="$(med 4 "$w")" -v werr="$(med 5 "$w")" -v nbad="$(med 4 "$n")" -v nerr="$(med 5 "$n")" \
		-v sms="$(med 6 "$w")" -v pms="$(med 7 "$w")" -v wwrk="$(med 9 "$w")" -v wreq="$(med 10 "$w")" \
		-v nms="$(med 8 "$n")" -v nwrk="$(med 9 "$n")" -v nreq="$(med 10 "$n")" 'BEGIN {
		printf "portal-%s: warren %.0f req/s, nginx %.0f req/s (static file, same bytes), ratio %.2f\n",
			path, wr, nr, (nr > 0 ? wr / nr : 0)
		printf "portal-%s: latency p50/p99 warren %.2f/%.2f ms, nginx %.2f/%.2f ms; non-2xx/3xx warren %d nginx %d, socket errors warren %d nginx %d\n",
			path, wp50, wp99, np50, np99, wbad, nbad, werr, nerr
		printf "portal-%s: CPU over %d s: warren server %.0f ms + portal %.0f ms (%.1f + %.1f us/request), nginx %.0f ms (%.1f us/request); wrk %.0f ms against warren, %.0f ms against nginx\n",
			path, d, sms, pms, wreq ? sms * 1000 / wreq : 0, wreq ? pms * 1000 / wreq : 0,
			nms, nreq ? nms * 1000 / nreq : 0, wwrk, nwrk
		if (runs > 1) printf "portal-%s: (medians of %d runs per server, alternating)\n", path, runs }'
	[ "$RUNS" -gt 1 ] && echo "portal-$1: runs req/s warren $(cut -d' ' -f1 "$w" | xargs), nginx $(cut -d' ' -f1 "$n" | xargs)"
	return 0
}
report 200
report 304

n=$(tail -n +"$((LOG0 + 1))" "$LOG" | grep -ciE 'warn|err|fail|refus')
if [ "$n" -gt 0 ]; then
	echo "portal-bench: the server log has $n warning/error lines during the runs; the last ones:"
	tail -n +"$((LOG0 + 1))" "$LOG" | grep -iE 'warn|err|fail|refus' | sort | uniq -c | sort -rn | head -n 5 | sed 's/^/#   /'
fi
[ -s "$NGX/error.log" ] && grep -qv '^$' "$NGX/error.log" &&
	echo "portal-bench: nginx error log: $(grep -c . "$NGX/error.log") lines, last: $(tail -n 1 "$NGX/error.log")"

# ---- one connection, one request after the other: each server's latency floor
if [ "$LAT_D" -gt 0 ]; then
	lat1() {  # lat1 URL [If-None-Match]: wrk's p50 for one connection, as wrk prints it
		local args=(-t1 -c1 -d"${LAT_D}s" --latency -H "$AUTH")
		[ -n "${2:-}" ] && args+=(-H "If-None-Match: $2")
		wrk "${args[@]}" "$1" 2>&1 | awk '/^ +50%/ { v = $2 } /Requests\/sec:/ { r = $2 }
			END { printf "%s (%.0f req/s)", v == "" ? "?" : v, r }'
	}
	echo "portal-1conn: one connection, p50 over ${LAT_D} s: 200 warren $(lat1 "$URL$P"), nginx $(lat1 "$NURL$P"); 304 warren $(lat1 "$URL$P" "$ETAG"), nginx $(lat1 "$NURL$P" "$NETAG")"
fi

# ---- optionally: where the server and the portal spend their time on the 200 path
if [ "$PERF" = 1 ]; then
	perf record -q -g -o "$TMP/perf.server" -p "$SPID" -- sleep "$D" >/dev/null 2>&1 &
	pf1=$!
	perf record -q -g -o "$TMP/perf.portal" -p "$PORTAL_PID" -- sleep "$D" >/dev/null 2>&1 &
	pf2=$!
	sleep 0.5
	wrk -t"$T" -c"$C" -d"$((D > 2 ? D - 1 : 1))s" -H "$AUTH" "$URL$P" >/dev/null 2>&1
	wait "$pf1" "$pf2"
	for x in server portal; do
		echo "portal-perf: $x on the 200 path, by library: $(perf report -q -i "$TMP/perf.$x" \
			--no-children --sort dso --stdio -g none 2>/dev/null | awk '$1 ~ /%$/ && $1 + 0 >= 1 {
			d = $2; for (i = 3; i <= NF; i++) d = d " " $i; sub(/\.so.*/, "", d); gsub(/[][]/, "", d)
			printf "%s%s %s", n++ ? ", " : "", d, $1 } END { if (!n) printf "no samples" }')"
		echo "portal-perf: $x, calls with their callees (children), user space, >= 3%:"
		perf report -q -i "$TMP/perf.$x" --children --sort sym --stdio -g none 2>/dev/null |
			awk '$1 ~ /%$/ && $1 + 0 >= 3 && $3 == "[.]" && $4 !~ /^(0x|0+$)/' | head -n 10 | sed 's/^ */#   /'
	done
fi
exit 0
