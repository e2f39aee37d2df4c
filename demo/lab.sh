#!/usr/bin/env bash
# demo/lab.sh: the `make demo` lab: a warren server with users and its portal, a branch gateway running warren agent that pulls its tunnel from it, and a phone on stock wg-quick, in network namespaces (start|stop|status).
#
#   wdemo-lan             wdemo-gw (warren agent)       wdemo-wan (router)     wdemo-hq (wireguard-go)
#   +----------------+    +-----------------------+     +----------------+     +-----------------------------+
#   | eth0           |----| lan0 192.168.10.1/24  |     | hq0            |-----| wan0 198.18.1.2/24          |
#   | 192.168.10.10  |    | wan0 198.18.0.2/24    |-----| 198.18.1.1/24  |     | wdemo-hqsrv 10.9.0.1 :51820 |
#   | default via gw |    |                       |     | gw0            |     | lo 172.16.0.1 (HQ host)     |
#   +----------------+    | wdemo-hq 10.9.0.10    |=====| 198.18.0.1/24  |====>+-----------------------------+
#                         |   from the file:      |     |                |     wdemo-cloud (warren server)
#                         |   172.16.0.0/16, snat |     | cloud0         |     +-----------------------------+
#                         | wg-cloud 10.8.0.3     |=====| 198.18.2.1/24  |-----| wan0 198.18.2.2/24          |
#                         |   pulled from the     |     |                |====>| wdemo-cldsrv 10.8.0.1 :51820|
#                         |   portal: 0.0.0.0/0,  |---->|                |---->| portal https://198.18.2.2:8443
#                         |   snat                |     | phone0         |====>| SQLite $LAB/warren.db       |
#                         +-----------------------+     | 198.18.3.1/24  |     | lo 198.51.100.1 (internet)  |
#                                                       +----------------+     +-----------------------------+
#                         wdemo-phone (wg-quick)                |
#                         +-----------------------+             |
#                         | wan0 198.18.3.2/24    |-------------+
#                         | wdemo-phone 10.8.0.2  |==== alice's config from `warren user config`
#                         +-----------------------+
#
# The WAN router knows only the 198.18.x links, so 172.16.0.1 and 198.51.100.1 are
# reachable only through the tunnels. One link reaches this host's own namespace:
# wdemo-host 198.18.9.1/30 -- host0 198.18.9.2/30 in wdemo-cloud, for a browser here to
# open the console (https://198.18.9.2:8443/admin/); it goes with wdemo-cloud. Every namespace and link the lab makes starts with
# "wdemo-", except the agent's pulled tunnel, whose link is wg-NAME by contract
# (wg-cloud). The lab dir (keys, configurations, database, state, sockets, logs) is
# $WDEMO_DIR, default /tmp/wdemo.
set -u
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WARREN=${WARREN:-$ROOT/build/warren}
case $WARREN in /*) ;; *) WARREN=$ROOT/$WARREN ;; esac
LAB=${WDEMO_DIR:-/tmp/wdemo}
CONF=$LAB/agent.conf
SOCK=$LAB/agent.sock
SCONF=$LAB/server.conf
SSOCK=$LAB/server.sock
DB=$LAB/warren.db
CERT=$LAB/portal.crt
PHONE_CONF=$LAB/phone/wdemo-phone.conf
NS=(wdemo-lan wdemo-gw wdemo-wan wdemo-hq wdemo-cloud wdemo-phone)
# WireGuard UAPI sockets live in one directory for all namespaces.
UAPI_DIR=/var/run/wireguard
WG_LINKS=(wdemo-hq wdemo-hqsrv wdemo-cldsrv wdemo-phone)
PULLED=cloud           # server.portal.name: the agent's pulled tunnel, link wg-cloud
PULLED_LINK=wg-$PULLED
HQ_HOST=172.16.0.1
NET_HOST=198.51.100.1
CLOUD=198.18.2.2
URL=https://$CLOUD:8443
# The one link into this host's own namespace: the console, for a browser here.
HOST_LINK=wdemo-host HOST_ADDR=198.18.9.1 CONSOLE_ADDR=198.18.9.2
CONSOLE=https://$CONSOLE_ADDR:8443
# The names are fixed, so one lab.sh start or stop runs at a time.
LOCK=/run/lock/wdemo.lock

say() { printf '%s\n' "$*"; }
step() { printf '\n== %s\n' "$*"; }
indent() { sed "s/^/${1:-   }/"; }
die() { printf 'lab: %s\n' "$*" >&2; exit 1; }
# A failed start keeps the lab for a look; the next start or `make demo-stop` removes it.
fail() {
	printf '\nFAILED: %s\n' "$*" >&2
	printf 'The lab is left as it is for a look (logs in %s); "make demo-stop" removes it.\n' "$LAB" >&2
	exit 1
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_for SECONDS CMD...: poll every 0.05 s.
wait_for() {
	local end=$(($(now_ms) + $1 * 1000)); shift
	until "$@" >/dev/null 2>&1; do
		[ "$(now_ms)" -ge $end ] && return 1
		sleep 0.05
	done
}

in_ns() { local n=$1; shift; ip netns exec "$n" "$@"; }
# alive PID: running and not a zombie (whoever reaps orphans here may take its time).
alive() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
# ours PID: one of the programs the lab runs, so a recycled pid is never killed.
ours() {
	case $(cat "/proc/$1/comm" 2>/dev/null) in
	wireguard-go | warren | warren-portal | tcpdump | nc) return 0 ;;
	esac
	return 1
}
# uapi_live LINK: a WireGuard implementation answers on LINK's UAPI socket.
uapi_live() { [ -S "$UAPI_DIR/$1.sock" ] && wg show "$1" public-key >/dev/null 2>&1; }
# lock: wait for the lab's lock on fd 9 (programs the lab leaves running must not inherit
# it: bg closes it). A caller that holds it already sets WDEMO_LOCKED=1 (tests/netns/t_demo.sh).
lock() {
	[ "${WDEMO_LOCKED:-0}" = 1 ] && return 0
	mkdir -p "${LOCK%/*}" && exec 9>>"$LOCK" || die "cannot open $LOCK"
	flock -n 9 && { WDEMO_LOCKED=1; return 0; }
	say "waiting for $LOCK: another demo/lab.sh or tests/netns/t_demo.sh runs"
	flock -w 30 9 || die "another demo/lab.sh (or tests/netns/t_demo.sh) has held $LOCK for 30 s"
	WDEMO_LOCKED=1
}
lab_exists() {
	local n l
	[ -e "$LAB" ] && return 0
	for n in "${NS[@]}"; do [ -e "/var/run/netns/$n" ] && return 0; done
	for l in "${WG_LINKS[@]}"; do [ -e "$UAPI_DIR/$l.sock" ] && return 0; done
	return 1
}

# bg NS NAME CMD...: start CMD in NS detached from this shell (it outlives `make demo`),
# log to $LAB/NAME.log, remember the pid for stop. ip netns exec execs CMD, so $! is CMD.
bg() {
	local n=$1 name=$2; shift 2
	setsid ip netns exec "$n" "$@" </dev/null >"$LAB/$name.log" 2>&1 9>&- &
	BG_PID=$!
	echo "$BG_PID $name" >>"$LAB/pids"
}

# veth NS1 IF1 ADDR1 NS2 IF2 ADDR2: a link between two namespaces, up. link_wait waits
# until linkwatch marks it UP (up to 1 s): until then it has no qdisc and drops packets.
veth() {
	ip -n "$1" link add "$2" type veth peer name "$5" netns "$4" &&
		ip -n "$1" addr add "$3" dev "$2" && ip -n "$4" addr add "$6" dev "$5" &&
		ip -n "$1" link set "$2" up && ip -n "$4" link set "$5" up
}
link_wait() { wait_for 5 eval "ip -n $1 -o link show $2 | grep -q ' state UP '"; }

genkey() { (umask 077 && "$WARREN" genkey >"$LAB/keys/$1.key") || fail "warren genkey"; }
pubkey() { "$WARREN" pubkey <"$LAB/keys/$1.key"; }

# W ARGS...: the server's administration commands, over its control socket (a file, so
# they work from any namespace). SHOW ARGS...: the same, printed with their output.
W() { "$WARREN" "$@" -s "$SSOCK"; }
SHOW() {
	local out rc
	say "   \$ warren $*"
	out=$(W "$@" 2>&1); rc=$?
	[ -n "$out" ] && printf '%s\n' "$out" | indent '     '
	[ $rc = 0 ] || fail "warren $*"
}

# capture NS IF FILTER NAME: tcpdump in the background, text to $LAB/cap-NAME.log, pid in
# CAP_PID. captures_ready NAME...: wait until they listen. stop_capture PID... ends them.
capture() {
	bg "$1" "cap-$4" tcpdump -l -n -i "$2" "$3"
	CAP_PID=$BG_PID
}
captures_ready() {
	local n
	for n in "$@"; do wait_for 5 grep -q 'listening on' "$LAB/cap-$n.log" || fail "tcpdump $n: $(cat "$LAB/cap-$n.log")"; done
}
stop_capture() {
	local p
	for p in "$@"; do kill -INT "$p" 2>/dev/null; done
	for p in "$@"; do wait_for 3 eval "! alive $p"; done
}

# ping_through NAME FROM TARGET FAR LINK SRC: ping TARGET from namespace FROM while FAR
# captures on its WireGuard link LINK; show the source address FAR saw, which must be SRC.
ping_through() {
	local name=$1 from=$2 target=$3 far=$4 link=$5 want=$6 i seen
	capture "$far" "$link" "icmp[icmptype] == icmp-echo and dst host $target" "$name"
	local pid=$CAP_PID
	captures_ready "$name"
	# The first packets may wait for a WireGuard handshake: allow a few tries.
	for i in 1 2 3 4 5; do
		in_ns "$from" ping -n -q -c 1 -W 1 "$target" >/dev/null 2>&1 && break
		[ $i = 5 ] && { stop_capture "$pid"; fail "no reply from $target to $from ($name)"; }
	done
	in_ns "$from" ping -n -q -c 3 -i 0.1 "$target" | grep -E 'packets' | indent "   ${from#wdemo-}: "
	wait_for 3 grep -q ' > ' "$LAB/cap-$name.log"
	stop_capture "$pid"
	seen=$(grep -m1 ' > ' "$LAB/cap-$name.log" | sed -E 's/^[0-9:.]+ (IP )?//; s/, id .*//')
	[ -n "$seen" ] || fail "$far captured nothing on $link"
	say "   $far saw on $link: $seen"
	case $seen in
	"$want > $target"*) ;;
	*) fail "$far saw the packet from ${seen%% >*}, expected $want" ;;
	esac
}

# The portal's certificate: self-signed, for its address, made now (P-256: milliseconds).
make_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj "/CN=$CLOUD" -addext "subjectAltName=IP:$CLOUD,IP:$CONSOLE_ADDR" \
		-keyout "$LAB/portal.key" -out "$CERT" >"$LAB/openssl.log" 2>&1
}

write_server_conf() {
	cat >"$SCONF" <<EOF
# warren demo lab: the cloud's VPN server. Users, keys and sessions are in the database.
daemon = {
  backend = "${WDEMO_BACKEND:-auto}";
  state_dir = "$LAB/srvstate";
  socket = "$SSOCK";
};
server = {
  interface = "wdemo-cldsrv";  listen_port = 51820;
  private_key_file = "keys/cloud.key";
  endpoint = "$CLOUD:51820";                # what client configurations point at
  pool = [ "10.8.0.0/24" ];                 # the server is 10.8.0.1
  client_allowed_ips = [ "0.0.0.0/0" ];     # full tunnels
  client_keepalive = 25;
  egress = "wan0";  snat = true;
  database = "$DB";
  portal = { listen = "0.0.0.0:8443"; name = "$PULLED";   # the WAN and the host link
             tls_cert_file = "portal.crt"; tls_key_file = "portal.key"; };
};
EOF
}

write_agent_conf() {
	cat >"$CONF" <<EOF
# warren demo lab: a branch gateway with a tunnel to HQ of its own and the full tunnel
# the cloud's portal assigns it (after warren enroll).
daemon = {
  backend = "${WDEMO_BACKEND:-auto}";
  state_dir = "$LAB/state";
  socket = "$SOCK";
};
lan = { interfaces = [ "lan0" ]; subnets = [ "192.168.10.0/24" ]; };
tunnels = (
  { name = "hq"; interface = "wdemo-hq";
    private_key_file = "keys/gw-hq.key";
    address = [ "10.9.0.10/24" ];
    routes = [ "172.16.0.0/16" ];       # only HQ's network goes this way
    snat = true;
    peers = ( { public_key = "$(pubkey hq)";
                endpoint = "198.18.1.2:51820";
                allowed_ips = [ "10.9.0.0/24", "172.16.0.0/16" ];
                persistent_keepalive = 25; } );
    probe = { target = "10.9.0.1"; };
  }
);
portal = { url = "$URL"; ca_file = "portal.crt"; interval = 30; };
EOF
}

cmd_start() {
	local n i ready='' t0 token
	t0=$(now_ms)
	[ "$(id -u)" = 0 ] || die "run as root (namespaces, WireGuard links)"
	[ -x "$WARREN" ] || die "$WARREN not built; run make"
	for n in ip wg wg-quick wireguard-go tcpdump ping setsid flock openssl curl; do
		command -v "$n" >/dev/null || die "$n is missing; run make deps"
	done
	[ -c /dev/net/tun ] || die "/dev/net/tun is missing (wireguard-go needs TUN)"
	lock
	if lab_exists; then
		say "A lab is already there: removing it first."
		cmd_stop >/dev/null || die "could not remove the old lab; see make demo-stop"
	fi
	# The pulled tunnel's link name is not the lab's own: refuse to take it from someone.
	uapi_live "$PULLED_LINK" && die "a WireGuard link $PULLED_LINK runs on this host already; the demo's agent needs that name"
	(umask 077 && mkdir -p "$LAB/keys" "$LAB/state" "$LAB/phone") || die "mkdir $LAB"
	: >"$LAB/pids"

	say "warren demo lab in $LAB:"
	say " - the cloud (wdemo-cloud) runs \`warren server\`: users in SQLite, a portal on HTTPS;"
	say " - a branch gateway (wdemo-gw) runs \`warren agent\`: a tunnel to hq from its own file"
	say "   and a full tunnel it pulls from the cloud's portal after \`warren enroll\`;"
	say " - the LAN host behind it (wdemo-lan) reaches both, NATed to the tunnel addresses;"
	say " - a phone (wdemo-phone) runs alice's \`warren user config\` with stock wg-quick."

	step "1. namespaces and links: LAN -- gateway -- WAN router -- hq / cloud / phone"
	for n in "${NS[@]}"; do
		ip netns add "$n" || fail "ip netns add $n"
		ip -n "$n" link set lo up
	done
	for n in wdemo-gw wdemo-wan; do in_ns "$n" sysctl -qw net.ipv4.ip_forward=1 >/dev/null; done
	veth wdemo-lan eth0 192.168.10.10/24 wdemo-gw lan0 192.168.10.1/24 &&
		veth wdemo-gw wan0 198.18.0.2/24 wdemo-wan gw0 198.18.0.1/24 &&
		veth wdemo-wan hq0 198.18.1.1/24 wdemo-hq wan0 198.18.1.2/24 &&
		veth wdemo-wan cloud0 198.18.2.1/24 wdemo-cloud wan0 "$CLOUD/24" &&
		veth wdemo-wan phone0 198.18.3.1/24 wdemo-phone wan0 198.18.3.2/24 || fail "veth links"
	# host0 goes with the cloud's namespace, and its peer here with it.
	ip -n wdemo-cloud link add host0 type veth peer name "$HOST_LINK" netns $$ &&
		ip -n wdemo-cloud addr add "$CONSOLE_ADDR/30" dev host0 &&
		ip addr add "$HOST_ADDR/30" dev "$HOST_LINK" &&
		ip -n wdemo-cloud link set host0 up && ip link set "$HOST_LINK" up ||
		fail "the host's link to the cloud"
	ip -n wdemo-lan route add default via 192.168.10.1 &&
		ip -n wdemo-gw route add default via 198.18.0.1 &&
		ip -n wdemo-hq route add default via 198.18.1.1 &&
		ip -n wdemo-cloud route add default via 198.18.2.1 &&
		ip -n wdemo-phone route add default via 198.18.3.1 &&
		ip -n wdemo-hq addr add "$HQ_HOST/32" dev lo &&
		ip -n wdemo-cloud addr add "$NET_HOST/32" dev lo || fail "routes and hosts"
	say "   lan 192.168.10.10 -> gw lan0 192.168.10.1; gw wan0 198.18.0.2 -> router"
	say "   hq 198.18.1.2 (HQ host $HQ_HOST behind it), cloud $CLOUD (\"internet\" host $NET_HOST behind it)"
	say "   phone 198.18.3.2 -> router"

	step "2. keys, the portal's certificate, the hq peer and the cloud's warren server"
	for n in gw-hq hq cloud; do genkey "$n"; done
	make_cert || fail "openssl: $(cat "$LAB/openssl.log")"
	(umask 077 && write_server_conf)
	"$WARREN" check -c "$SCONF" >"$LAB/check-server.log" 2>&1 || fail "warren check $SCONF: $(cat "$LAB/check-server.log")"
	# The server and hq's wireguard-go start side by side; the links come up meanwhile.
	bg wdemo-cloud server env -u WARREN_BACKEND "$WARREN" server -c "$SCONF"
	echo "$BG_PID" >"$LAB/server.pid"
	local server=$BG_PID
	bg wdemo-hq wdemo-hqsrv env LOG_LEVEL=error wireguard-go -f wdemo-hqsrv
	for n in wdemo-lan:eth0 wdemo-gw:lan0 wdemo-gw:wan0 wdemo-wan:gw0 wdemo-wan:hq0 wdemo-wan:cloud0 \
		wdemo-wan:phone0 wdemo-hq:wan0 wdemo-cloud:wan0 wdemo-phone:wan0; do
		link_wait "${n%%:*}" "${n#*:}" || fail "link ${n#*:} in ${n%%:*} did not come up"
	done
	wait_for 10 test -S "$UAPI_DIR/wdemo-hqsrv.sock" || fail "wireguard-go wdemo-hqsrv did not start: $(cat "$LAB/wdemo-hqsrv.log")"
	in_ns wdemo-hq wg set wdemo-hqsrv private-key "$LAB/keys/hq.key" listen-port 51820 \
		peer "$(pubkey gw-hq)" allowed-ips 10.9.0.10/32 &&
		ip -n wdemo-hq addr add 10.9.0.1/24 dev wdemo-hqsrv && ip -n wdemo-hq link set wdemo-hqsrv up ||
		fail "configure wdemo-hqsrv in wdemo-hq"
	for i in $(seq 1 200); do
		alive "$server" || fail "the server exited: $(tail -n 5 "$LAB/server.log")"
		[ -S "$SSOCK" ] && in_ns wdemo-cloud curl -s -o /dev/null --cacert "$CERT" "$URL/" && break
		[ $i = 200 ] && fail "the server's portal did not answer within 10 s: $(tail -n 5 "$LAB/server.log")"
		sleep 0.05
	done
	say "   hq:    wireguard-go wdemo-hqsrv 10.9.0.1, listening on 198.18.1.2:51820"
	say "   cloud: warren server -c $SCONF (pid $server)"
	say "          link wdemo-cldsrv 10.8.0.1 on $CLOUD:51820, pool 10.8.0.0/24, full tunnels"
	say "          database $DB, portal $URL"
	say "          certificate $CERT (self-signed by openssl just now)"

	step "3. users on the server (over its socket $SSOCK)"
	SHOW user add branch1 --no-device
	SHOW user add alice --expires 30d --quota 10GiB/month
	token=$(W device add gw1 --user branch1) || fail "warren device add gw1 --user branch1"
	say "   \$ warren device add gw1 --user branch1"
	say "     ${token:0:8}... (a one-time enrolment token for the gateway)"
	(umask 077 && W token add demo >"$LAB/admin.token") || fail "warren token add demo"
	say "   \$ warren token add demo > $LAB/admin.token    (for the admin API)"
	(umask 077 && W admin add admin >"$LAB/admin.password") || fail "warren admin add admin"
	say "   \$ warren admin add admin > $LAB/admin.password    (the console's first account)"
	(umask 077 && W user passwd alice >"$LAB/alice.password") || fail "warren user passwd alice"
	say "   \$ warren user passwd alice > $LAB/alice.password    (alice's user portal)"
	SHOW announce add --title "Welcome to the demo" --pinned \
		--text "This gateway is a lab in network namespaces. make demo-stop removes it."
	SHOW service add portal --address "$URL/" --description "This portal: your account, devices and vouchers"
	(umask 077 && W voucher add --count 2 --duration 7d --quota 5GiB/month --name demo \
		>"$LAB/vouchers") || fail "warren voucher add"
	say "   \$ warren voucher add --count 2 --duration 7d --quota 5GiB/month --name demo > $LAB/vouchers"

	step "4. the gateway: $CONF, warren enroll, warren agent"
	(umask 077 && write_agent_conf)
	say "   tunnel hq: peer 198.18.1.2:51820, routes 172.16.0.0/16, snat = true (from the file)"
	say "   portal: url $URL, ca_file portal.crt (the tunnel to the cloud comes from there)"
	"$WARREN" check -c "$CONF" 2>&1 | indent '   warren check: '
	[ "${PIPESTATUS[0]}" = 0 ] || fail "warren check rejected $CONF"
	say "   \$ echo TOKEN | warren enroll $URL - --ca $CERT -c $CONF"
	printf '%s\n' "$token" | in_ns wdemo-gw "$WARREN" enroll "$URL" - --ca "$CERT" -c "$CONF" >"$LAB/enroll.log" 2>&1 ||
		fail "warren enroll: $(cat "$LAB/enroll.log")"
	indent '     ' <"$LAB/enroll.log"
	# A datagram socket standing in for systemd's, with the unit's WatchdogSec=30s: the
	# agent says READY=1 there and WATCHDOG=1 every 15 s (demo/lab.sh status counts them).
	if command -v nc >/dev/null; then
		bg wdemo-gw notify nc -U -u -l -k "$LAB/notify.sock"
		wait_for 3 test -S "$LAB/notify.sock"
	fi
	bg wdemo-gw agent env -u WARREN_BACKEND NOTIFY_SOCKET="$LAB/notify.sock" WATCHDOG_USEC=30000000 \
		"$WARREN" agent -c "$CONF"
	local agent=$BG_PID
	echo "$agent" >"$LAB/agent.pid"

	# While the agent starts and pulls, the phone gets alice's configuration.
	(umask 077 && W user config alice >"$LAB/phone/alice.conf") || fail "warren user config alice"
	# wg-quick hands DNS = to resolvconf, which would rewrite the host's resolv.conf: the
	# phone's copy has no DNS line (the server sets none; this makes sure).
	(umask 077 && grep -v '^[[:space:]]*DNS[[:space:]]*=' "$LAB/phone/alice.conf" >"$PHONE_CONF")
	in_ns wdemo-phone env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go LOG_LEVEL=error \
		wg-quick up "$PHONE_CONF" >"$LAB/phone.log" 2>&1 </dev/null 9>&- &
	local wgquick=$!

	for i in $(seq 1 400); do
		alive "$agent" || fail "the agent exited: $(tail -n 5 "$LAB/agent.log")"
		grep -q 'READY=1' "$LAB/notify.log" 2>/dev/null && { ready="it reported READY=1"; break; }
		sleep 0.05
	done
	[ -n "$ready" ] || ready="no READY=1 within 20 s"
	wait_for 10 in_ns wdemo-gw wg show wdemo-hq peers || fail "the agent did not bring up hq: $(tail -n 5 "$LAB/agent.log")"
	wait_for 10 in_ns wdemo-gw wg show "$PULLED_LINK" peers ||
		fail "the agent did not bring up the pulled tunnel $PULLED_LINK: $(tail -n 5 "$LAB/agent.log")"
	say "   agent pid $agent is running ($ready); log: $LAB/agent.log"
	grep -o 'portal: profile .*' "$LAB/agent.log" | head -n 1 | indent '   agent: '
	say "   routing in the gateway for LAN traffic:"
	for n in "$HQ_HOST" "$NET_HOST"; do
		say "     $(in_ns wdemo-gw ip -4 -o route get "$n" from 192.168.10.10 iif lan0 | sed -E 's/ +(uid|cache).*//; s/ *\\$//; s/  +/ /g')"
	done

	step "5. the phone: warren user config alice > $PHONE_CONF; wg-quick up"
	wait "$wgquick" || fail "wg-quick up $PHONE_CONF: $(cat "$LAB/phone.log")"
	sed -n 's/^\(PrivateKey\|PresharedKey\) = .*/\1 = (secret)/; /^\(Address\|Endpoint\|AllowedIPs\|PrivateKey\|PublicKey\)/p' \
		"$PHONE_CONF" | indent '   conf: '
	grep '^\[#\]' "$LAB/phone.log" | indent '   wg-quick: '

	step "6. traffic, as each far end sees it"
	# The WAN router watches too: between the sites it must carry nothing but WireGuard
	# (and the agent's HTTPS to the portal).
	local clear="ip and not (udp and port 51820) and not (tcp and host $CLOUD and port 8443)" caps=()
	capture wdemo-wan gw0 "$clear" wan-gw-clear; caps+=("$CAP_PID")
	capture wdemo-wan phone0 "$clear" wan-phone-clear; caps+=("$CAP_PID")
	capture wdemo-wan gw0 "udp and port 51820" wan-gw-wg; caps+=("$CAP_PID")
	capture wdemo-wan phone0 "udp and port 51820" wan-phone-wg; caps+=("$CAP_PID")
	captures_ready wan-gw-clear wan-phone-clear wan-gw-wg wan-phone-wg
	say " - wdemo-lan pings the HQ host $HQ_HOST (172.16.0.0/16 -> tunnel hq, from the file):"
	ping_through hq wdemo-lan "$HQ_HOST" wdemo-hq wdemo-hqsrv 10.9.0.10
	say " - wdemo-lan pings the internet host $NET_HOST (default route -> tunnel $PULLED, pulled; user branch1):"
	ping_through cloud wdemo-lan "$NET_HOST" wdemo-cloud wdemo-cldsrv 10.8.0.3
	say " - wdemo-phone pings the internet host $NET_HOST (wg-quick, AllowedIPs 0.0.0.0/0; user alice):"
	ping_through phone wdemo-phone "$NET_HOST" wdemo-cloud wdemo-cldsrv 10.8.0.2
	stop_capture "${caps[@]}"
	local nclear nwg
	nclear=$(cat "$LAB/cap-wan-gw-clear.log" "$LAB/cap-wan-phone-clear.log" | grep -c ' > ')
	nwg=$(cat "$LAB/cap-wan-gw-wg.log" "$LAB/cap-wan-phone-wg.log" | grep -c ' > ')
	say " - the WAN router carried $nwg WireGuard packets and $nclear unencrypted ones (HTTPS to the portal aside)"
	[ "$nclear" = 0 ] || fail "traffic crossed the WAN unencrypted: $(cat "$LAB"/cap-wan-*-clear.log | grep -m3 ' > ')"

	step "7. what the agent and the server say"
	say "   \$ warren status -s $SOCK"
	"$WARREN" status -s "$SOCK" 2>&1 | indent '     '
	# The text view leaves the portal pull out; the JSON has it.
	command -v jq >/dev/null && "$WARREN" status --json -s "$SOCK" | jq -r '.portal // empty |
		"     portal \(.url): \(.state), running profile \(.serial) of device \(.device)"'
	# Sessions open, and the users' status fills in, at the server's next reading of its
	# counters (every 2 s).
	wait_for 5 eval "[ \$(W session list | grep -c ' open ') -ge 2 ]"
	say "   \$ warren status -s $SSOCK"
	W status 2>&1 | indent '     '
	SHOW user list
	SHOW session list
	SHOW device list
	say "   the phone: $(in_ns wdemo-phone wg show wdemo-phone latest-handshakes |
		awk '{ print ($2 ? "handshake " systime() - $2 "s ago" : "no handshake") }')"

	# Commands as they can be pasted where make ran: build/warren rather than a long path.
	local w=${WARREN#"$PWD"/}
	printf '\nThe lab is running (make demo took %s s).\n' \
		"$(awk -v ms=$(($(now_ms) - t0)) 'BEGIN { printf "%.1f", ms / 1000 }')"
	local row='  %-34s %s\n' cmd='  %-54s %s\n'
	say "Files:"
	printf "$row" "$CONF" "the gateway's configuration (hq + portal)"
	printf "$row" "$SCONF" "the server's configuration"
	printf "$row" "$DB" "the server's SQLite database"
	printf "$row" "$PHONE_CONF" "alice's wg-quick file (warren user config alice)"
	printf "$row" "$CERT" "the portal's self-signed certificate"
	printf "$row" "$LAB/*.log" "what each program printed (server.log, agent.log, ...)"
	say "Where to look next:"
	printf "$cmd" "$w status -s $SOCK" "the agent"
	printf "$cmd" "$w status -s $SSOCK" "the server and its users"
	printf "$cmd" "$w session list -s $SSOCK" "the session log"
	printf "$cmd" "$w user list -s $SSOCK" "users, expiry, quota"
	say "  ip netns exec wdemo-phone wg show wdemo-phone"
	say "  ip netns exec wdemo-lan ping $NET_HOST"
	say "The console, in a browser on this host (the certificate is self-signed: $CERT):"
	say "  $CONSOLE/admin/   sign in as admin, password $(cat "$LAB/admin.password") (one-time: you choose your own)"
	say "  $CONSOLE/         alice's user portal, password $(cat "$LAB/alice.password") (one-time too)"
	say "  $CONSOLE/redeem   a new account from the voucher $(sed -n 1p "$LAB/vouchers");"
	say "                     signed in as alice, the Voucher tab adds $(sed -n 2p "$LAB/vouchers") to her account"
	say "  (from elsewhere: ssh -L 8443:$CONSOLE_ADDR:8443 this-host, then https://localhost:8443/admin/)"
	say "The administration API (docs/api.yaml; for example /api/v1/users, /api/v1/status):"
	say "  curl --cacert $CERT -H \"Authorization: Bearer \$(cat $LAB/admin.token)\" $CONSOLE/api/v1/users"
	say "demo/lab.sh status shows it again; \"make demo-stop\" removes it all."
}

cmd_stop() {
	local n p pids=() l left stray=() daemons=()
	[ "$(id -u)" = 0 ] || die "run as root"
	lock
	# The agent and the server first, on their own: on SIGTERM they remove their links,
	# wireguard-go with them, and the server its portal process and its table.
	for n in agent server; do
		[ -r "$LAB/$n.pid" ] || continue
		p=$(cat "$LAB/$n.pid")
		alive "$p" && ours "$p" && kill -TERM "$p" && daemons+=("$p")
	done
	for p in "${daemons[@]}"; do wait_for 10 eval "! alive $p" || say "pid $p ignored SIGTERM for 10 s"; done
	# What we started (pid file), and the lab's own programs still in its namespaces:
	# children of warren and wg-quick (wireguard-go, the portal) that no pid file knows.
	# Nothing else is touched.
	[ -r "$LAB/pids" ] && while read -r p _; do alive "$p" && ours "$p" && pids+=("$p"); done <"$LAB/pids"
	for n in "${NS[@]}"; do
		[ -e "/var/run/netns/$n" ] || continue
		for p in $(ip netns pids "$n" 2>/dev/null); do
			alive "$p" && ours "$p" && pids+=("$p")
		done
	done
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do
		wait_for 3 eval "! alive $p" || kill -KILL "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do wait_for 2 eval "! alive $p" || stray+=("$p"); done
	[ ${#stray[@]} = 0 ] || say "pids ${stray[*]} survived SIGKILL"

	for n in "${NS[@]}"; do
		[ -e "/var/run/netns/$n" ] || continue
		left=$(for p in $(ip netns pids "$n" 2>/dev/null); do alive "$p" && echo "$p"; done | xargs)
		[ -n "$left" ] && say "note: pids $left (not the lab's) still run in $n; it vanishes when they exit"
		ip netns del "$n"
	done
	# wireguard-go killed hard leaves its UAPI socket behind. The wdemo-* names are the
	# lab's; the pulled link's socket goes only when nothing answers on it any more.
	for l in "${WG_LINKS[@]}"; do rm -f "$UAPI_DIR/$l.sock"; done
	[ -S "$UAPI_DIR/$PULLED_LINK.sock" ] && ! uapi_live "$PULLED_LINK" && rm -f "$UAPI_DIR/$PULLED_LINK.sock"
	case $LAB in /tmp/?*) rm -rf "$LAB" ;; *) [ -e "$LAB" ] && say "left $LAB (not under /tmp) in place" ;; esac
	ip link del "$HOST_LINK" 2>/dev/null   # gone with the cloud's namespace, normally
	if ip netns list | grep -q '^wdemo-'; then say "namespaces left: $(ip netns list | grep '^wdemo-' | xargs)"; return 1; fi
	say "demo lab removed: no wdemo-* namespaces, processes, UAPI sockets or $LAB remain"
}

cmd_status() {
	local n p name l up=0
	for n in "${NS[@]}"; do [ -e "/var/run/netns/$n" ] && up=$((up + 1)); done
	if [ $up = 0 ]; then say "no demo lab (make demo starts one)"; return 1; fi
	say "namespaces: $(ip netns list | grep -o '^wdemo-[a-z]*' | xargs)"
	if [ -r "$LAB/pids" ]; then
		while read -r p name; do
			alive "$p" && say "  $name: pid $p running"
		done <"$LAB/pids"
	fi
	if [ -r "$LAB/notify.log" ]; then
		say "  agent notifications (what systemd would get): $(grep -oE '[A-Z_]+=[0-9]+' "$LAB/notify.log" |
			grep -v MONOTONIC | sort | uniq -c | awk '{ printf "%s%s x%d", s, $2, $1; s = ", " }')"
	fi
	[ -S "$SOCK" ] && "$WARREN" status -s "$SOCK"
	[ -S "$SSOCK" ] && "$WARREN" status -s "$SSOCK"
	# Not `wg show all`: wireguard-go's UAPI sockets of every namespace would show up.
	for l in wdemo-gw:wdemo-hq "wdemo-gw:$PULLED_LINK" wdemo-hq:wdemo-hqsrv wdemo-phone:wdemo-phone; do
		in_ns "${l%%:*}" wg show "${l#*:}" latest-handshakes 2>/dev/null |
			awk -v l="${l#*:}" '{ printf "  %s: last handshake %s\n", l, ($2 ? strftime("%T", $2) : "never") }'
	done
}

case ${1:-} in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
