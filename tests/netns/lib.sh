# tests/netns/lib.sh: harness for namespace scenarios: unique names, topology, WireGuard peers, assertions, state digests, cleanup.
#
# Source it first thing from tests/netns/t_*.sh (scripts use `set -u`, not `set -e`):
#
#   . "$(dirname "$0")/lib.sh"
#
# Topology comment template (draw one at the top of every scenario):
#
#   ns a (agent)                         ns b (server)
#   +-------------------------+  veth   +-------------------------+
#   | ua  10.201.0.1/24       |---------| ub  10.201.0.2/24       |
#   |     fd20:1::1/64        |         |     fd20:1::2/64        |
#   | wga 10.202.0.1/24 :PORT |=========| wgb 10.202.0.2/24 :PORT |
#   +-------------------------+   wg    +-------------------------+
#
# Namespace arguments are short names ("a"); helpers map them to wt-<pid>-a. Link names
# that are visible outside one namespace (WireGuard UAPI sockets are global) come from
# `lname`, which appends this run's tag. The EXIT trap kills what the run started,
# deletes its namespaces and removes its UAPI sockets; add more with `at_exit CMD`.

set -u
export LC_ALL=C

WT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WARREN=${WARREN:-build/warren}
case $WARREN in /*) ;; *) WARREN=$WT_ROOT/$WARREN ;; esac
export WARREN
# warren reads WARREN_BACKEND too, so one variable drives the peers and the product.
export WARREN_BACKEND=${WARREN_BACKEND:-userspace}
WT_SCRIPT=$(basename "$0")
WT_SOCK_DIR=/var/run/wireguard

# A 5-character [0-9a-z] tag, unique per run, keeps link and socket names apart
# between parallel runs; the pid alone does not fit in 15 bytes with a readable name.
_wt_tag() {
	local n=$(( (${SRANDOM:-$RANDOM$RANDOM} ^ ($$ << 7)) % 60466176 )) s='' c=0123456789abcdefghijklmnopqrstuvwxyz i
	for i in 1 2 3 4 5; do s=${c:n % 36:1}$s; n=$((n / 36)); done
	printf '%s' "$s"
}
WT_TAG=$(_wt_tag)
while compgen -G "$WT_SOCK_DIR/*-$WT_TAG.sock" >/dev/null; do WT_TAG=$(_wt_tag); done
WT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/wt-$$.XXXXXX")
WT_NS=()
WT_PIDS=()
WT_AT_EXIT=()
WT_PASS=0
WT_FAIL=0
WT_LAST_PID=

# ---------------------------------------------------------------- assertions

# ok DESC / not_ok DESC [DETAIL...]: one result line each; details go out as "# " lines.
ok() { WT_PASS=$((WT_PASS + 1)); printf 'ok - %s\n' "$1"; }
not_ok() {
	WT_FAIL=$((WT_FAIL + 1)); printf 'not ok - %s\n' "$1"; shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/#   /'
	return 1
}
diag() { printf '# %s\n' "$*"; }

# check DESC CMD...: passes when CMD exits 0; on failure shows the command and its output.
check() {
	local desc=$1 out rc; shift
	out=$("$@" 2>&1); rc=$?
	if [ $rc = 0 ]; then ok "$desc"; return 0; fi
	not_ok "$desc" "command: $* (exit $rc)" "$(printf '%s\n' "$out" | tail -n 20)"
	return 1
}

# check_not DESC CMD...: passes when CMD fails.
check_not() {
	local desc=$1 out rc; shift
	out=$("$@" 2>&1); rc=$?
	if [ $rc != 0 ]; then ok "$desc"; return 0; fi
	not_ok "$desc" "command unexpectedly succeeded: $*" "$(printf '%s\n' "$out" | tail -n 20)"
	return 1
}

# check_eq DESC WANT GOT
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; return 0; fi
	not_ok "$1" "want: $2" "got:  $3"
	return 1
}

# skip DESC REASON: a check that cannot run here (counts as passed, marked SKIP).
skip() { WT_PASS=$((WT_PASS + 1)); printf 'ok - %s # SKIP %s\n' "$1" "$2"; }

# skip_all REASON: the whole scenario does not apply here; exits 0 after cleanup.
skip_all() { printf 'ok - %s # SKIP %s\n' "$WT_SCRIPT" "$1"; WT_PASS=$((WT_PASS + 1)); exit 0; }

# finish: last line of every scenario; exits 1 if anything failed or nothing was checked.
finish() {
	[ $((WT_PASS + WT_FAIL)) = 0 ] && not_ok "$WT_SCRIPT ran no checks"
	diag "$WT_SCRIPT [$WARREN_BACKEND]: $WT_PASS passed, $WT_FAIL failed"
	[ "$WT_FAIL" = 0 ] && exit 0
	exit 1
}

# require CMD...: fail the scenario at once when a tool is missing.
require() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || { not_ok "$WT_SCRIPT: needs $c"; exit 1; }
	done
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds; 1 on timeout.
wait_for() {
	local end=$(( $(date +%s%N) / 1000000 + $1 * 1000 )); shift
	until "$@" >/dev/null 2>&1; do
		[ $(( $(date +%s%N) / 1000000 )) -ge $end ] && return 1
		sleep 0.1
	done
}

# ---------------------------------------------------------------- names

# ns NAME: the namespace's real name (names already starting with wt- pass through).
ns() { case $1 in wt-*) printf '%s\n' "$1" ;; *) printf 'wt-%s-%s\n' "$$" "$1" ;; esac; }

# lname NAME [MAX]: NAME-TAG, unique per run, at most MAX bytes (default 15, IFNAMSIZ-1).
lname() {
	local max=${2:-15}
	printf '%s-%s\n' "${1:0:$((max - 6))}" "$WT_TAG"
}

# ---------------------------------------------------------------- topology

# in_ns NS CMD...: run a program inside NS (a program, not a shell function).
in_ns() { local n; n=$(ns "$1"); shift; ip netns exec "$n" "$@"; }

# dns_private NS: resolvconf run in NS (by warren for a tunnel's DNS) keeps its state and
# resolv.conf in $WT_DIR/dns/NS, never the host's: ip netns exec mounts
# /etc/netns/NS/resolvconf.conf over openresolv's /etc/resolvconf.conf. Called by ns_new.
dns_private() {
	local n d; n=$(ns "$1"); d=$WT_DIR/dns/$n
	[ -e /etc/resolvconf.conf ] || return 0
	mkdir -p "/etc/netns/$n" "$d/run" || return 1
	printf 'resolv_conf=%s\nstate_dir=%s\n' "$d/resolv.conf" "$d/run" >"/etc/netns/$n/resolvconf.conf"
}

# ns_new NAME...: fresh namespaces with lo up and IPv6 DAD off, so addresses are usable
# at once, including ones warren adds without nodad; DNS changes stay in $WT_DIR.
ns_new() {
	local n x
	for x in "$@"; do
		n=$(ns "$x")
		ip netns add "$n" || { not_ok "create namespace $n"; exit 1; }
		WT_NS+=("$n")
		dns_private "$n" || { not_ok "private resolvconf for $n"; exit 1; }
		ip -n "$n" link set lo up
		ip netns exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 >/dev/null
	done
}

# ns_forward NS...: make NS a router for IPv4 and IPv6.
ns_forward() {
	local x
	for x in "$@"; do
		in_ns "$x" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null
	done
}

# addr_add NS IF ADDRS: ADDRS is a comma or space list of CIDRs; "-" or "" adds none.
addr_add() {
	local n a; n=$(ns "$1")
	for a in ${3//,/ }; do
		[ "$a" = - ] && continue
		case $a in
		*:*) ip -n "$n" -6 addr add "$a" dev "$2" nodad || return 1 ;;
		*) ip -n "$n" addr add "$a" dev "$2" || return 1 ;;
		esac
	done
}

# link_up NS IF...
link_up() { local n x; n=$(ns "$1"); shift; for x in "$@"; do ip -n "$n" link set "$x" up || return 1; done; }

# link_wait NS IF...: wait until IF is operationally up. Until linkwatch runs (up to 1 s
# after the carrier comes up) the link has no qdisc and drops what is sent.
link_wait() {
	local n x; n=$(ns "$1"); shift
	for x in "$@"; do
		wait_for 5 eval "ip -n '$n' -o link show '$x' | grep -q ' state UP '" || return 1
	done
}

# veth NS1 IF1 ADDRS1 NS2 IF2 ADDRS2: a veth pair between two namespaces, addressed, up
# and passing traffic when it returns.
veth() {
	local n1 n2; n1=$(ns "$1"); n2=$(ns "$4")
	ip -n "$n1" link add "$2" type veth peer name "$5" netns "$n2" ||
		{ not_ok "veth $1/$2 - $4/$5"; return 1; }
	addr_add "$1" "$2" "$3" && addr_add "$4" "$5" "$6" &&
		link_up "$1" "$2" && link_up "$4" "$5" &&
		link_wait "$1" "$2" && link_wait "$4" "$5"
}

# spawn NS LOGNAME CMD...: start CMD in NS in the background, logging to $WT_DIR/LOGNAME.log;
# the pid is in WT_LAST_PID and is killed at exit. Call directly, not in $(...).
spawn() {
	local n log; n=$(ns "$1"); log=$WT_DIR/$2.log; shift 2
	ip netns exec "$n" "$@" >"$log" 2>&1 &
	WT_LAST_PID=$!
	WT_PIDS+=("$WT_LAST_PID")
}

# track_pid PID...: kill these at exit too.
track_pid() { WT_PIDS+=("$@"); }

# at_exit CMD...: run CMD (eval'd) during cleanup, before namespaces go away.
at_exit() { WT_AT_EXIT+=("$*"); }

# ping_ok NS ADDR [TRIES]: one echo reply within TRIES attempts (the first packet may
# wait for a WireGuard handshake); ping picks IPv4 or IPv6 from ADDR.
ping_ok() {
	local i
	for ((i = 0; i < ${3:-3}; i++)); do
		in_ns "$1" ping -n -q -c 1 -W 2 "$2" >/dev/null 2>&1 && return 0
	done
	return 1
}

# ---------------------------------------------------------------- WireGuard peers

# wg_genkey: print a new private key. wg_pubkey KEY: print its public key.
wg_genkey() { wg genkey; }
wg_pubkey() { printf '%s\n' "$1" | wg pubkey; }

# wg_keyfile KEY: write KEY to a private file and print its path (wg set reads files).
wg_keyfile() {
	local f; f=$(umask 077; mktemp "$WT_DIR/key.XXXXXX")
	printf '%s\n' "$1" >"$f"
	printf '%s\n' "$f"
}

# wg_iface NS IF: create a WireGuard link with the selected backend: wireguard-go in NS
# (userspace; its UAPI socket is $WT_SOCK_DIR/IF.sock, shared by every namespace) or
# the kernel module (kernel). Call directly, not in $(...), so the pid is tracked.
wg_iface() {
	local n; n=$(ns "$1")
	[ ${#2} -le 15 ] || { not_ok "wg link name $2 longer than 15 bytes"; return 1; }
	case $WARREN_BACKEND in
	kernel)
		ip -n "$n" link add "$2" type wireguard || { not_ok "kernel wireguard link $2 in $1"; return 1; }
		;;
	userspace)
		[ -e "$WT_SOCK_DIR/$2.sock" ] && { not_ok "UAPI socket $2 already exists"; return 1; }
		WG_PROCESS_FOREGROUND=1 LOG_LEVEL=${WT_WG_LOG_LEVEL:-error} \
			spawn "$1" "wireguard-go-$2" wireguard-go -f "$2"
		if ! wait_for 10 test -S "$WT_SOCK_DIR/$2.sock" ||
			! ip -n "$n" link show "$2" >/dev/null 2>&1; then
			not_ok "wireguard-go $2 in $1 started" "$(cat "$WT_DIR/wireguard-go-$2.log")"
			return 1
		fi
		;;
	*) not_ok "unknown WARREN_BACKEND=$WARREN_BACKEND"; return 1 ;;
	esac
}

# wg_dev NS IF PRIVKEY PORT ADDRS: wg_iface, then key, listen port (0 = any), addresses, up.
wg_dev() {
	local kf
	wg_iface "$1" "$2" || return 1
	kf=$(wg_keyfile "$3")
	in_ns "$1" wg set "$2" private-key "$kf" listen-port "$4" &&
		addr_add "$1" "$2" "$5" && link_up "$1" "$2" ||
		{ not_ok "configure $2 in $1"; return 1; }
}

# wg_add_peer NS IF PUBKEY ALLOWED_IPS [ENDPOINT] [KEEPALIVE]
wg_add_peer() {
	local args=(peer "$3" allowed-ips "$4")
	[ -n "${5:-}" ] && args+=(endpoint "$5")
	[ -n "${6:-}" ] && args+=(persistent-keepalive "$6")
	in_ns "$1" wg set "$2" "${args[@]}"
}

# wg_del NS IF: remove the link; wireguard-go then exits and removes its socket.
wg_del() {
	ip -n "$(ns "$1")" link del "$2" || return 1
	[ "$WARREN_BACKEND" = userspace ] && wait_for 5 test ! -e "$WT_SOCK_DIR/$2.sock"
	return 0
}

# wg_handshake NS IF: true once some peer of IF has completed a handshake.
wg_handshake() { in_ns "$1" wg show "$2" latest-handshakes | awk '$2 > 0 { f = 1 } END { exit !f }'; }

# ---------------------------------------------------------------- warren

# need_warren: skip the scenario when the binary is not built yet.
need_warren() { [ -x "$WARREN" ] || skip_all "warren not built ($WARREN)"; }

# warren_in NS ARGS...: run warren inside NS with the selected backend.
warren_in() { in_ns "$1" env WARREN_BACKEND="$WARREN_BACKEND" "$WARREN" "${@:2}"; }

# ---------------------------------------------------------------- the portal's TLS

# test_ca ADDR: a test CA ($WT_DIR/ca.pem) and the portal's certificate for the IP address
# ADDR ($WT_DIR/portal.crt, portal.key mode 0600), from a configuration of the run's own:
# the kernel tier's guest has no openssl.cnf. 1 (with a not ok line) on failure.
test_ca() {
	printf '[req]\ndistinguished_name = dn\n[dn]\n[ca]\nbasicConstraints = critical, CA:true\n' >"$WT_DIR/ssl.cnf"
	OPENSSL_CONF=$WT_DIR/ssl.cnf openssl req -config "$WT_DIR/ssl.cnf" -x509 -newkey ec \
		-pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=warren-test-ca -extensions ca \
		-keyout "$WT_DIR/ca.key" -out "$WT_DIR/ca.pem" 2>"$WT_DIR/ssl.err" &&
	OPENSSL_CONF=$WT_DIR/ssl.cnf openssl req -config "$WT_DIR/ssl.cnf" -new -newkey ec \
		-pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" -addext "subjectAltName=IP:$1" \
		-keyout "$WT_DIR/portal.key" -out "$WT_DIR/portal.csr" 2>>"$WT_DIR/ssl.err" &&
	OPENSSL_CONF=$WT_DIR/ssl.cnf openssl x509 -req -in "$WT_DIR/portal.csr" -CA "$WT_DIR/ca.pem" \
		-CAkey "$WT_DIR/ca.key" -CAcreateserial -days 2 -copy_extensions copy \
		-out "$WT_DIR/portal.crt" 2>>"$WT_DIR/ssl.err" ||
		{ not_ok "a test CA and certificate" "$(cat "$WT_DIR/ssl.err")"; return 1; }
	chmod 600 "$WT_DIR/portal.key"
}

# The administration API over HTTPS, as the portal's tests call it: curl in namespace
# $API_NS (default cl) against $URL, trusting test_ca's CA. AUTH (a token), COOKIE and
# CSRF are sent when set, and the curl arguments in the array FROM (a source address).
# req METHOD PATH [BODY [CURL ARGS...]]: the status in $ST, the body in $WT_DIR/body, the
# headers in $WT_DIR/hdr.
AUTH= COOKIE= CSRF= FROM=()
req() {
	local m=$1 p=$2 b=${3:-} a=()
	shift 3 2>/dev/null || shift $#
	[ -n "$AUTH" ] && a+=(-H "Authorization: Bearer $AUTH")
	[ -n "$COOKIE" ] && a+=(-H "Cookie: __Host-warren=$COOKIE")
	[ -n "$CSRF" ] && a+=(-H "X-CSRF-Token: $CSRF")
	[ -n "$b" ] && a+=(-H 'Content-Type: application/json' --data-binary "$b")
	ST=$(in_ns "${API_NS:-cl}" curl -s -X "$m" -o "$WT_DIR/body" -D "$WT_DIR/hdr" \
		-w '%{http_code}' --cacert "$WT_DIR/ca.pem" "${FROM[@]}" "${a[@]}" "$@" "$URL$p")
}
body() { cat "$WT_DIR/body"; }
err() { jq -r .error "$WT_DIR/body"; }
set_cookie() { sed -n 's/^[Ss]et-[Cc]ookie: __Host-warren=\([^;]*\).*/\1/p' "$WT_DIR/hdr" | tr -d '\r'; }
# login NAME PASSWORD [TOTP]: the session that results in COOKIE and CSRF.
login() {
	local extra=
	[ -n "${3:-}" ] && extra=",\"totp\":\"$3\""
	COOKIE= CSRF=
	req POST /api/v1/login "{\"name\":\"$1\",\"password\":\"$2\"$extra}"
	COOKIE=$(set_cookie)
	CSRF=$(jq -r '.csrf // empty' "$WT_DIR/body" 2>/dev/null)
}

# server_with_portal [SERVER KEYS]: the setup of the API and portal scenarios. ns srv runs
# a server on wg $WGS with pool 10.9.0.0/24, no SNAT, its database $DB, its socket $SOCK
# and its portal on $URL (https://10.201.0.1:8443, test_ca's certificate); ns cl, across
# the veth vs 10.201.0.1/24 ---- vc 10.201.0.2/24, calls it. SERVER KEYS go into the
# server section. Defines W (the CLI against the server) and portal_up; the server's pid
# is in SERVER. Reports "the server starts with its portal".
server_with_portal() {
	VS=$(lname vs) VC=$(lname vc) WGS=$(lname wgs)
	SOCK=$WT_DIR/server.sock CONF=$WT_DIR/server.conf DB=$WT_DIR/warren.db
	URL=https://10.201.0.1:8443
	ns_new srv cl
	veth srv "$VS" 10.201.0.1/24 cl "$VC" 10.201.0.2/24
	test_ca 10.201.0.1 || finish
	cat >"$CONF" <<EOF
daemon = { state_dir = "$WT_DIR/state"; socket = "$SOCK"; };
server = { interface = "$WGS"; listen_port = 51820; private_key = "$(wg_genkey)";
           endpoint = "10.201.0.1:51820"; pool = [ "10.9.0.0/24" ];
           client_allowed_ips = [ "10.9.0.0/24" ]; egress = "$VS"; snat = false;
           database = "$DB"; ${1:-}
           portal = { listen = "10.201.0.1:8443"; tls_cert_file = "$WT_DIR/portal.crt";
                      tls_key_file = "$WT_DIR/portal.key"; }; };
EOF
	W() { in_ns srv "$WARREN" "$@" -s "$SOCK"; }
	portal_up() { in_ns cl curl -s -o /dev/null --cacert "$WT_DIR/ca.pem" "$URL/"; }
	spawn srv server "$WARREN" server -c "$CONF"
	SERVER=$WT_LAST_PID
	wait_for 10 test -S "$SOCK" && wait_for 5 portal_up
	check "the server starts with its portal" test $? = 0
}

# ---------------------------------------------------------------- state digests

# state_dump NS: canonical text of NS's configuration: links (name, kind, flags, mtu,
# master), addresses, routes of all tables, rules (v4 and v6) and the nftables ruleset.
# Counters, lifetimes, ifindexes and carrier flags are left out: they move on their own.
state_dump() {
	local n; n=$(ns "$1")
	echo "## links"
	ip -n "$n" -o -d link show | awk '{
		name = $2; sub(/:$/, "", name); sub(/@.*/, "", name)
		flags = $3; gsub(/[<>]/, "", flags)
		nf = split(flags, f, ","); flags = ""
		for (i = 1; i <= nf; i++)
			if (f[i] != "LOWER_UP" && f[i] != "NO-CARRIER" && f[i] != "M-DOWN")
				flags = flags (flags == "" ? "" : ",") f[i]
		mtu = "-"; master = "-"; kind = "-"
		for (i = 4; i <= NF; i++) {
			if ($i == "mtu") mtu = $(i + 1)
			else if ($i == "master") master = $(i + 1)
			else if ($i == "maxmtu") {
				j = i + 2; while (j <= NF && $j == "\\") j++
				if (j <= NF && $j != "addrgenmode" && $j != "numtxqueues") kind = $j
			}
		}
		print name, "kind", kind, "flags", flags, "mtu", mtu, "master", master
	}' | sort
	echo "## addresses"
	ip -n "$n" -o addr show | sed -E -e 's/^[0-9]+: +//' -e 's/\\ +valid_lft.*//' \
		-e 's/^([^ ]+)@[^ ]+/\1/' -e 's/[[:space:]]+/ /g' -e 's/ $//' | sort
	echo "## routes4"
	ip -n "$n" -4 route show table all | sed -E -e 's/ linkdown//' -e 's/ +$//' | sort
	echo "## routes6"
	ip -n "$n" -6 route show table all | sed -E -e 's/ linkdown//' -e 's/ expires [0-9]+sec//' \
		-e 's/ +$//' | sort
	echo "## rules4"
	ip -n "$n" -4 rule show | sort
	echo "## rules6"
	ip -n "$n" -6 rule show | sort
	echo "## nftables"
	# -s drops counter and quota values; the table order is the kernel's, kept as is.
	ip netns exec "$n" nft -s list ruleset
}

# state_digest NS: sha256 of state_dump.
state_digest() { state_dump "$1" | sha256sum | cut -d' ' -f1; }

# state_save NS NAME: remember NS's state as NAME. check_state DESC NS NAME: assert NS is
# back to it; on a mismatch the diff is printed.
state_save() { state_dump "$1" >"$WT_DIR/state.$(ns "$1").$2"; }
check_state() {
	local d
	if d=$(state_dump "$2" | diff -u "$WT_DIR/state.$(ns "$2").$3" -); then ok "$1"; return 0; fi
	not_ok "$1" "state of $2 differs from '$3':" "$(printf '%s\n' "$d" | tail -n +3 | head -n 40)"
	return 1
}

# ---------------------------------------------------------------- cleanup

_wt_cleanup() {
	local rc=$? c n p pids=() i
	trap - EXIT INT TERM
	for c in "${WT_AT_EXIT[@]}"; do eval "$c" >/dev/null 2>&1; done
	# Everything living in our namespaces is ours: wireguard-go, warren, listeners.
	for n in "${WT_NS[@]}"; do pids+=($(ip netns pids "$n" 2>/dev/null)); done
	pids+=("${WT_PIDS[@]}")
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for i in 1 2 3 4 5 6 7 8 9 10; do
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && break; p=; done
		[ -z "${p:-}" ] && break
		sleep 0.1
	done
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	[ ${#WT_PIDS[@]} -gt 0 ] && wait "${WT_PIDS[@]}" 2>/dev/null
	for n in "${WT_NS[@]}"; do ip netns del "$n" 2>/dev/null; rm -rf "/etc/netns/$n"; done
	# Sockets of processes killed hard stay behind; only names carrying our tag are ours.
	rm -f "$WT_SOCK_DIR"/*-"$WT_TAG".sock
	if [ "${WT_KEEP:-0}" = 1 ]; then echo "# kept $WT_DIR"; else rm -rf "$WT_DIR"; fi
	exit $rc
}
trap _wt_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
