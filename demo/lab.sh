#!/usr/bin/env bash
# demo/lab.sh: the `make demo` lab: a branch gateway running warren with two tunnels, in network namespaces (start|stop|status).
#
#   wdemo-lan             wdemo-gw (warren)             wdemo-wan (router)      wdemo-hq
#   +----------------+    +-----------------------+     +----------------+      +-------------------------+
#   | eth0           |----| lan0 192.168.10.1/24  |     | hq0            |------| wan0 198.18.1.2/24      |
#   | 192.168.10.10  |    | wan0 198.18.0.2/24    |-----| 198.18.1.1/24  |      | wdemo-hqsrv 10.9.0.1:51820
#   | default via gw |    |                       |     | gw0            |      | lo 172.16.0.1 (HQ host) |
#   +----------------+    | wdemo-hq 10.9.0.10    |=====| 198.18.0.1/24  |=====>+-------------------------+
#                         |   172.16.0.0/16, snat |     |                |      wdemo-cloud
#                         | wdemo-cloud 10.8.0.10 |=====| cloud0         |      +-------------------------+
#                         |   0.0.0.0/0, snat     |     | 198.18.2.1/24  |------| wan0 198.18.2.2/24      |
#                         +-----------------------+     +----------------+=====>| wdemo-cldsrv 10.8.0.1:51820
#                                                                               | lo 198.51.100.1 (internet)
#                                                                               +-------------------------+
#
# The WAN router knows only the 198.18.x links, so 172.16.0.1 and 198.51.100.1 are
# reachable from the LAN only through the tunnels. Every name starts with "wdemo-";
# the lab dir (keys, warren.conf, state, socket, logs) is $WDEMO_DIR, default /tmp/wdemo.
set -u
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WARREN=${WARREN:-$ROOT/build/warren}
case $WARREN in /*) ;; *) WARREN=$ROOT/$WARREN ;; esac
LAB=${WDEMO_DIR:-/tmp/wdemo}
CONF=$LAB/warren.conf
SOCK=$LAB/warren.sock
NS=(wdemo-lan wdemo-gw wdemo-wan wdemo-hq wdemo-cloud)
# WireGuard UAPI sockets live in one directory for all namespaces: ours carry the prefix.
UAPI_DIR=/var/run/wireguard
WG_LINKS=(wdemo-hq wdemo-cloud wdemo-hqsrv wdemo-cldsrv)
HQ_HOST=172.16.0.1
NET_HOST=198.51.100.1

say() { printf '%s\n' "$*"; }
step() { printf '\n== %s\n' "$*"; }
die() { printf 'lab: %s\n' "$*" >&2; exit 1; }
# A failed start keeps the lab for a look; the next start or `make demo-stop` removes it.
fail() {
	printf '\nFAILED: %s\n' "$*" >&2
	printf 'The lab is left as it is for a look (logs in %s); "make demo-stop" removes it.\n' "$LAB" >&2
	exit 1
}

# wait_for SECONDS CMD...: poll every 0.1 s.
wait_for() {
	local end=$(($(date +%s%N) / 1000000 + $1 * 1000)); shift
	until "$@" >/dev/null 2>&1; do
		[ $(($(date +%s%N) / 1000000)) -ge $end ] && return 1
		sleep 0.1
	done
}

in_ns() { local n=$1; shift; ip netns exec "$n" "$@"; }
# alive PID: running and not a zombie (whoever reaps orphans here may take its time).
alive() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
# ours PID: one of the programs the lab runs, so a recycled pid is never killed.
ours() {
	case $(cat "/proc/$1/comm" 2>/dev/null) in
	wireguard-go | warren | tcpdump | nc) return 0 ;;
	esac
	return 1
}
has_cmd() { "$WARREN" --help 2>/dev/null | grep -qE "^  $1 "; }
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
	setsid ip netns exec "$n" "$@" </dev/null >"$LAB/$name.log" 2>&1 &
	BG_PID=$!
	echo "$BG_PID $name" >>"$LAB/pids"
}

# veth NS1 IF1 ADDR1 NS2 IF2 ADDR2: a link between two namespaces, up and passing traffic
# (until linkwatch marks it UP, up to 1 s, it has no qdisc and drops what is sent).
veth() {
	ip -n "$1" link add "$2" type veth peer name "$5" netns "$4" &&
		ip -n "$1" addr add "$3" dev "$2" && ip -n "$4" addr add "$6" dev "$5" &&
		ip -n "$1" link set "$2" up && ip -n "$4" link set "$5" up &&
		wait_for 5 eval "ip -n $1 -o link show $2 | grep -q ' state UP '" &&
		wait_for 5 eval "ip -n $4 -o link show $5 | grep -q ' state UP '"
}

# wg_server NS LINK PRIVKEY-FILE ADDR PEER-PUB PEER-ALLOWED: a wireguard-go peer at :51820.
wg_server() {
	bg "$1" "$2" env LOG_LEVEL=error wireguard-go -f "$2"
	wait_for 10 test -S "$UAPI_DIR/$2.sock" || fail "wireguard-go $2 did not start: $(cat "$LAB/$2.log")"
	in_ns "$1" wg set "$2" private-key "$3" listen-port 51820 peer "$5" allowed-ips "$6" &&
		ip -n "$1" addr add "$4" dev "$2" && ip -n "$1" link set "$2" up ||
		fail "configure $2 in $1"
}

genkey() { (umask 077 && "$WARREN" genkey >"$LAB/keys/$1.key") || fail "warren genkey"; }
pubkey() { "$WARREN" pubkey <"$LAB/keys/$1.key"; }

# capture NS IF FILTER NAME: tcpdump in the background, text to $LAB/cap-NAME.log, pid in
# CAP_PID; returns once it listens. stop_capture PID ends it.
capture() {
	bg "$1" "cap-$4" tcpdump -l -n -i "$2" "$3"
	CAP_PID=$BG_PID
	wait_for 5 grep -q 'listening on' "$LAB/cap-$4.log" || fail "tcpdump on $2 in $1"
}
stop_capture() {
	kill -INT "$1" 2>/dev/null
	wait_for 3 eval "! alive $1"
}

# ping_through NAME TARGET LINK NS SNAT: ping TARGET from the LAN host while NS captures on
# its tunnel LINK; show the source address it saw, which must be the SNAT address.
ping_through() {
	local name=$1 target=$2 link=$3 far=$4 i seen
	capture "$far" "$link" "icmp[icmptype] == icmp-echo and dst host $target" "$name"
	local pid=$CAP_PID
	# The first packets wait for a WireGuard handshake: allow a few tries.
	for i in 1 2 3 4 5; do
		in_ns wdemo-lan ping -n -q -c 1 -W 2 "$target" >/dev/null 2>&1 && break
		[ $i = 5 ] && { stop_capture "$pid"; fail "no reply from $target through $name"; }
	done
	in_ns wdemo-lan ping -n -q -c 3 -i 0.2 "$target" | grep -E 'packets|rtt' | sed 's/^/   lan: /'
	wait_for 3 grep -q ' > ' "$LAB/cap-$name.log"
	stop_capture "$pid"
	seen=$(grep -m1 ' > ' "$LAB/cap-$name.log" | sed -E 's/^[0-9:.]+ (IP )?//; s/, id .*//')
	[ -n "$seen" ] || fail "$far captured nothing on $link"
	say "   $far saw on $link: $seen"
	case $seen in
	"$5 > $target"*) ;;
	*) fail "$far saw the packet from ${seen%% >*}, expected the SNAT address $5" ;;
	esac
}

cmd_start() {
	local agent=0 n i ready=
	[ "$(id -u)" = 0 ] || die "run as root (namespaces, WireGuard links)"
	[ -x "$WARREN" ] || die "$WARREN not built; run make"
	for n in ip wg wireguard-go tcpdump ping setsid; do
		command -v "$n" >/dev/null || die "$n is missing; run make deps"
	done
	[ -c /dev/net/tun ] || die "/dev/net/tun is missing (wireguard-go needs TUN)"
	if lab_exists; then
		say "A lab is already there: removing it first."
		cmd_stop >/dev/null || die "could not remove the old lab; see make demo-stop"
	fi
	# WDEMO_ONESHOT=1 tries the `warren up` fallback even where the agent exists.
	has_cmd agent && [ "${WDEMO_ONESHOT:-0}" != 1 ] && agent=1
	local why="no agent command in this build yet"
	[ "${WDEMO_ONESHOT:-0}" = 1 ] && why="WDEMO_ONESHOT=1"
	(umask 077 && mkdir -p "$LAB/keys" "$LAB/state") || die "mkdir $LAB"
	: >"$LAB/pids"

	say "warren demo lab in $LAB: a branch gateway (wdemo-gw) runs warren with two"
	say "WireGuard tunnels; the LAN host behind it (wdemo-lan) reaches HQ's network through"
	say "one and the internet through the other, NATed to the tunnel addresses."

	step "1. namespaces and links: LAN -- gateway -- WAN router -- hq / cloud"
	for n in "${NS[@]}"; do
		ip netns add "$n" || fail "ip netns add $n"
		ip -n "$n" link set lo up
	done
	for n in wdemo-gw wdemo-wan; do in_ns "$n" sysctl -qw net.ipv4.ip_forward=1 >/dev/null; done
	veth wdemo-lan eth0 192.168.10.10/24 wdemo-gw lan0 192.168.10.1/24 &&
		veth wdemo-gw wan0 198.18.0.2/24 wdemo-wan gw0 198.18.0.1/24 &&
		veth wdemo-wan hq0 198.18.1.1/24 wdemo-hq wan0 198.18.1.2/24 &&
		veth wdemo-wan cloud0 198.18.2.1/24 wdemo-cloud wan0 198.18.2.2/24 || fail "veth links"
	ip -n wdemo-lan route add default via 192.168.10.1 &&
		ip -n wdemo-gw route add default via 198.18.0.1 &&
		ip -n wdemo-hq route add default via 198.18.1.1 &&
		ip -n wdemo-cloud route add default via 198.18.2.1 &&
		ip -n wdemo-hq addr add "$HQ_HOST/32" dev lo &&
		ip -n wdemo-cloud addr add "$NET_HOST/32" dev lo || fail "routes and hosts"
	say "   lan 192.168.10.10 -> gw lan0 192.168.10.1; gw wan0 198.18.0.2 -> router"
	say "   hq 198.18.1.2 (HQ host $HQ_HOST behind it), cloud 198.18.2.2 (\"internet\" host $NET_HOST behind it)"

	step "2. keys (warren genkey) and the two WireGuard servers (wireguard-go)"
	for n in gw-hq gw-cloud hq cloud; do genkey "$n"; done
	wg_server wdemo-hq wdemo-hqsrv "$LAB/keys/hq.key" 10.9.0.1/24 "$(pubkey gw-hq)" 10.9.0.10/32
	wg_server wdemo-cloud wdemo-cldsrv "$LAB/keys/cloud.key" 10.8.0.1/24 "$(pubkey gw-cloud)" 10.8.0.10/32
	say "   hq:    wdemo-hqsrv  10.9.0.1  listening on 198.18.1.2:51820"
	say "   cloud: wdemo-cldsrv 10.8.0.1  listening on 198.18.2.2:51820"

	step "3. the gateway's configuration ($CONF)"
	cat >"$CONF" <<EOF
# warren demo lab: a branch gateway with a tunnel to HQ and a full tunnel to the cloud.
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
  },
  { name = "cloud"; interface = "wdemo-cloud";
    private_key_file = "keys/gw-cloud.key";
    address = [ "10.8.0.10/24" ];
    routes = [ "0.0.0.0/0" ];           # everything else: a full tunnel
    snat = true;
    peers = ( { public_key = "$(pubkey cloud)";
                endpoint = "198.18.2.2:51820";
                allowed_ips = [ "0.0.0.0/0" ];
                persistent_keepalive = 25; } );
    probe = { target = "10.8.0.1"; };
  }
);
EOF
	say "   tunnel hq:    peer 198.18.1.2:51820, routes 172.16.0.0/16, snat = true"
	say "   tunnel cloud: peer 198.18.2.2:51820, routes 0.0.0.0/0 (full tunnel), snat = true"
	say "   lan lan0 192.168.10.0/24; state_dir and socket inside $LAB"
	"$WARREN" check -c "$CONF" 2>&1 | sed 's/^/   warren check: /'
	[ "${PIPESTATUS[0]}" = 0 ] || fail "warren check rejected $CONF"

	if [ $agent = 1 ]; then
		step "4. warren agent -c $CONF, in wdemo-gw"
		# A datagram socket standing in for systemd's, with the unit's WatchdogSec=30s: the
		# agent says READY=1 there and WATCHDOG=1 every 15 s (demo/lab.sh status counts them).
		if command -v nc >/dev/null; then
			bg wdemo-gw notify nc -U -u -l -k "$LAB/notify.sock"
			wait_for 3 test -S "$LAB/notify.sock"
		fi
		bg wdemo-gw agent env -u WARREN_BACKEND NOTIFY_SOCKET="$LAB/notify.sock" WATCHDOG_USEC=30000000 \
			"$WARREN" agent -c "$CONF"
		echo "$BG_PID" >"$LAB/agent.pid"
		for i in $(seq 1 200); do
			alive "$BG_PID" || fail "the agent exited: $(tail -n 5 "$LAB/agent.log")"
			grep -q 'READY=1' "$LAB/notify.log" 2>/dev/null && { ready="it reported READY=1"; break; }
			sleep 0.1
		done
		[ -n "$ready" ] || ready="no READY=1 within 20 s"
		wait_for 10 in_ns wdemo-gw wg show wdemo-hq peers && wait_for 10 in_ns wdemo-gw wg show wdemo-cloud peers ||
			fail "the agent did not bring both tunnels up: $(tail -n 5 "$LAB/agent.log")"
		say "   agent pid $BG_PID is running ($ready); log: $LAB/agent.log"
	else
		step "4. warren up $CONF, in wdemo-gw ($why)"
		in_ns wdemo-gw env -u WARREN_BACKEND "$WARREN" up "$CONF" >"$LAB/up.log" 2>&1 ||
			fail "warren up: $(cat "$LAB/up.log")"
		echo up >"$LAB/mode"
		# One-shot up routes but does not SNAT the LAN (the agent does): the lab does it here.
		in_ns wdemo-gw nft -f - <<'EOF' || fail "the lab's stand-in SNAT rule"
table ip wdemo_snat {
	chain postrouting {
		type nat hook postrouting priority srcnat;
		ip saddr 192.168.10.0/24 oifname { "wdemo-hq", "wdemo-cloud" } masquerade
	}
}
EOF
		say "   both tunnels are up; one-shot up does not SNAT, so the lab added a masquerade"
		say "   rule of its own (table ip wdemo_snat) for LAN sources leaving through them"
	fi
	say "   routing in the gateway for LAN traffic:"
	for n in "$HQ_HOST" "$NET_HOST"; do
		say "     $(in_ns wdemo-gw ip -4 -o route get "$n" from 192.168.10.10 iif lan0 | sed -E 's/ +(uid|cache).*//; s/ *\\$//; s/  +/ /g')"
	done

	if [ $agent = 1 ] && has_cmd status; then
		step "5. warren status -s $SOCK"
		wait_for 5 in_ns wdemo-gw "$WARREN" status -s "$SOCK"
		in_ns wdemo-gw "$WARREN" status -s "$SOCK" 2>&1 | sed 's/^/   /'
	else
		step "5. tunnels (wg show in wdemo-gw; warren status needs the agent)"
		for n in wdemo-hq wdemo-cloud; do in_ns wdemo-gw wg show "$n" endpoints | sed "s/^/   $n /"; done
	fi

	step "6. LAN traffic through each tunnel, as the far end sees it"
	# The WAN router watches too: it must see nothing but WireGuard between the sites.
	capture wdemo-wan gw0 "ip and not (udp and port 51820)" wan-clear
	local wanclear=$CAP_PID
	capture wdemo-wan gw0 "udp and port 51820" wan-wg
	local wanwg=$CAP_PID
	say " - wdemo-lan pings the HQ host $HQ_HOST (route 172.16.0.0/16 -> tunnel hq):"
	ping_through hq "$HQ_HOST" wdemo-hqsrv wdemo-hq 10.9.0.10
	say " - wdemo-lan pings the internet host $NET_HOST (default route -> tunnel cloud):"
	ping_through cloud "$NET_HOST" wdemo-cldsrv wdemo-cloud 10.8.0.10
	stop_capture "$wanclear"
	stop_capture "$wanwg"
	local nclear nwg
	nclear=$(grep -c ' > ' "$LAB/cap-wan-clear.log")
	nwg=$(grep -c ' > ' "$LAB/cap-wan-wg.log")
	say " - the WAN router carried $nwg WireGuard packets and $nclear unencrypted ones"
	[ "$nclear" = 0 ] || fail "LAN traffic crossed the WAN unencrypted: $(grep -m3 ' > ' "$LAB/cap-wan-clear.log")"

	printf '\nThe lab is running. Look around, for example:\n'
	say "  ip netns exec wdemo-lan ping 172.16.0.1"
	say "  ip netns exec wdemo-gw wg show"
	[ $agent = 1 ] && has_cmd status && say "  ip netns exec wdemo-gw $WARREN status -s $SOCK"
	say "  demo/lab.sh status"
	say "\"make demo-stop\" removes it all."
}

cmd_stop() {
	local n p pids=() l left stray=()
	[ "$(id -u)" = 0 ] || die "run as root"
	# The agent first, alone: on SIGTERM it removes its tunnels and wireguard-go itself.
	if [ -r "$LAB/agent.pid" ]; then
		p=$(cat "$LAB/agent.pid")
		if alive "$p" && ours "$p"; then
			kill -TERM "$p"
			wait_for 10 eval "! alive $p" || say "agent $p ignored SIGTERM for 10 s"
		fi
	fi
	if [ -r "$LAB/mode" ] && [ -e /var/run/netns/wdemo-gw ] && [ -x "$WARREN" ]; then
		in_ns wdemo-gw env -u WARREN_BACKEND "$WARREN" down "$CONF" >/dev/null 2>&1 ||
			say "warren down $CONF failed; the namespaces go anyway"
	fi
	# What we started (pid file), and the lab's own programs still in its namespaces:
	# children of warren (wireguard-go) that no pid file knows. Nothing else is touched.
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
	# wireguard-go killed hard leaves its UAPI socket behind; these names are the lab's.
	for l in "${WG_LINKS[@]}"; do rm -f "$UAPI_DIR/$l.sock"; done
	case $LAB in /tmp/?*) rm -rf "$LAB" ;; *) [ -e "$LAB" ] && say "left $LAB (not under /tmp) in place" ;; esac
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
	if [ -r "$LAB/agent.pid" ] && has_cmd status; then
		in_ns wdemo-gw "$WARREN" status -s "$SOCK"
	fi
	# Not `wg show all`: wireguard-go's UAPI sockets of every namespace would show up.
	for l in wdemo-gw:wdemo-hq wdemo-gw:wdemo-cloud wdemo-hq:wdemo-hqsrv wdemo-cloud:wdemo-cldsrv; do
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
