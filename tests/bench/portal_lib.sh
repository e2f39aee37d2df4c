# tests/bench/portal_lib.sh: what the portal benchmarks (logins.sh, voucher.sh) share:
# one namespace with lo only, the script run again inside it, and there a server on the
# userspace backend with its portal on https://127.0.0.1:8443 behind a CA of its own.
# Sourced after the script set SELF, WARREN and NAME (its name in messages).

die() { echo "$NAME-bench: $*" >&2; exit 1; }

# bench_enter TAG TOOL...: outside, check root and the tools, make $TMP and the namespace
# wb<TAG>-PID, run $SELF in it and exit with its status; inside, return at once.
bench_enter() {
	local tag=$1 c
	shift
	[ "${WB_INNER:-}" = 1 ] && return 0
	[ "$(id -u)" = 0 ] || die "needs root"
	for c in curl openssl jq wg ip wireguard-go "$@"; do
		command -v "$c" >/dev/null 2>&1 || die "needs $c (make deps installs it)"
	done
	[ -x "$WARREN" ] || die "no warren binary at $WARREN (run make)"
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/wb$NAME.XXXXXX")
	NS=wb$tag-$$ IF=wg$tag$$
	bench_cleanup() {
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
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	ip netns add "$NS" || die "cannot create namespace $NS"
	ip -n "$NS" link set lo up || die "cannot bring lo up in $NS"
	WB_INNER=1 TMP=$TMP NS=$NS IF=$IF WARREN=$WARREN ip netns exec "$NS" bash "$SELF" &
	wait $!
	exit $?
}

# bench_server [PORTAL KEYS]: inside, the CA, the portal's certificate and the server
# started (PORTAL KEYS go into its portal section); sets SOCK, CONF, LOG, URL and SPID,
# defines W (the CLI against it) and fail (a message and the server log's tail).
bench_server() {
	SOCK=$TMP/warren.sock CONF=$TMP/server.conf LOG=$TMP/server.log URL=https://127.0.0.1:8443
	W() { "$WARREN" "$@" -s "$SOCK"; }
	fail() { echo "$NAME-bench: $*" >&2; tail -n 20 "$LOG" >&2; exit 1; }
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
	cat >"$CONF" <<EOC
daemon = { state_dir = "$TMP/state"; socket = "$SOCK"; backend = "userspace"; };
server = { interface = "$IF"; listen_port = 51820; private_key = "$(wg genkey)";
           endpoint = "127.0.0.1:51820"; pool = [ "10.9.0.0/16" ];
           client_allowed_ips = [ "10.9.0.0/16" ]; snat = false; database = "$TMP/warren.db";
           portal = { listen = "127.0.0.1:8443"; tls_cert_file = "$TMP/portal.crt";
                      tls_key_file = "$TMP/portal.key"; ${1:-} }; };
EOC
	"$WARREN" server -c "$CONF" >>"$LOG" 2>&1 &
	SPID=$!
	up() { curl -s -o /dev/null --cacert "$TMP/ca.pem" "$URL/"; }
	for _ in $(seq 100); do [ -S "$SOCK" ] && up && break; kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
	up || fail "the server and its portal did not start"
}
