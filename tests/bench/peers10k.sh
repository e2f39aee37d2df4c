#!/usr/bin/env bash
# tests/bench/peers10k.sh: time applying 10,000 peers from scratch through netcfg/wg against `wg setconf` with the same peers on the same backend, and `warren up` of a wg-quick file of 10,000 peers against `wg-quick up`.
#
# Prints two lines per backend: "peers10k BACKEND: warren X s, wg setconf Y s, ratio X/Y"
# (medians of RUNS fresh devices each, ours and wg's alternating), and "peers10k BACKEND
# wg-quick file: warren up X s, wg-quick up Y s, warren Z times faster" for a file of N
# peers with one /32 each outside the Address prefix, so N routes (wg-quick runs two `ip`
# per allowed IP: over a minute here, so it runs WQ_RUNS times, warren RUNS times; each up
# is followed by an untimed down). Userspace runs on wireguard-go (wg-quick with
# WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go); kernel runs where wireguard.ko is
# usable (inside tests/kernel/vm.sh). Root only; runs in a private network namespace.
# Both sides are whole processes: the driver (tests/bench/peers10k.c: backend open, get,
# diff, set) and wg (parse, set); warren and wg-quick. Where the driver cannot be built
# (the VM has no compiler) only the wg-quick file is timed.
#
# Environment: N (10000), RUNS (3), WQ_RUNS (1; 0 skips the wg-quick comparison),
# BACKENDS (default $WARREN_BACKEND, else "userspace kernel"; the kernel tier VM sets
# kernel), B (build), WARREN (default $B/warren),
# PEERS10K (a prebuilt driver; default $B/bench/peers10k, built here when cc exists).
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
N=${N:-10000}
RUNS=${RUNS:-3}
WQ_RUNS=${WQ_RUNS:-1}
BACKENDS=${BACKENDS:-${WARREN_BACKEND:-userspace kernel}}
DRV=${PEERS10K:-$B/bench/peers10k}
WARREN=${WARREN:-$B/warren}

[ "$(id -u)" = 0 ] || { echo "peers10k: skipped (needs root)"; exit 0; }
if [ -z "${PEERS10K_IN_NS:-}" ]; then
	PEERS10K_IN_NS=1 exec unshare -n "$0" "$@"
fi
ip link set lo up

if command -v cc >/dev/null && [ -f tests/bench/peers10k.c ] &&
	{ [ ! -x "$DRV" ] || [ tests/bench/peers10k.c -nt "$DRV" ] || [ "$B/libwarren.a" -nt "$DRV" ]; }; then
	make -s B="$B" "$B/libwarren.a" || { echo "peers10k: building libwarren.a failed"; exit 1; }
	mkdir -p "$(dirname "$DRV")"
	# shellcheck disable=SC2046
	cc -O2 -g -D_GNU_SOURCE -std=gnu11 -I. $(pkg-config --cflags libmnl libsodium) \
		-o "$DRV" tests/bench/peers10k.c "$B/libwarren.a" \
		$(pkg-config --libs libmnl libnftnl libsodium libconfig libcurl) ||
		{ echo "peers10k: building the driver failed"; exit 1; }
fi
# Without the driver (no compiler: the kernel tier's VM) only the wg-quick file is timed.
[ -x "$DRV" ] || DRV=
command -v wg >/dev/null || { echo "peers10k: skipped (no wg)"; exit 0; }

if [ "$WQ_RUNS" != 0 ] && [ ! -x "$WARREN" ] && command -v cc >/dev/null; then
	make -s B="$B" "$WARREN" || { echo "peers10k: building warren failed"; exit 1; }
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/peers10k.XXXXXX")
TAG=$(printf '%04x' $(( $$ & 0xffff )))
CUR=
cleanup() {
	[ -n "$CUR" ] && ip link del "$CUR" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
printf '[Interface]\n' >"$TMP/empty"
if [ -n "$DRV" ]; then
	"$DRV" conf "wgb$TAG" "$N" >"$TMP/conf" || { echo "peers10k: writing the conf failed"; exit 1; }
fi
# The wg-quick file, named after its link as wg-quick wants: N peers of one /32 each
# (10.64.0.0, 10.64.0.1, ...) outside the Address prefix. Keys are made up: 39 fixed base64
# digits, 3 counting and one with its low bits clear, canonical base64 of 32 bytes.
WQ_IF=wgq$TAG
awk -v n="$N" -v priv="$(wg genkey)" 'BEGIN {
	b = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	printf "[Interface]\nPrivateKey = %s\nAddress = 10.63.0.1/24\n", priv
	for (i = 0; i < n; i++)
		printf "\n[Peer]\nPublicKey = cGVlcnMxMGtwZWVyczEwa3BlZXJzMTBrcGVlcnM%s%s%sA=\nAllowedIPs = 10.%d.%d.%d/32\n",
			substr(b, int(i / 4096) % 64 + 1, 1), substr(b, int(i / 64) % 64 + 1, 1),
			substr(b, i % 64 + 1, 1), 64 + int(i / 65536), int(i / 256) % 256, i % 256
}' >"$TMP/$WQ_IF.conf"

ms() { echo $(( $(date +%s%N) / 1000000 )); }

# mk BACKEND IF / rm_dev BACKEND IF: a fresh, empty device, and its removal.
mk() {
	CUR=$2
	case $1 in
	kernel) ip link add "$2" type wireguard ;;
	userspace)
		# Without -f wireguard-go returns once its socket listens.
		wireguard-go "$2" >/dev/null 2>&1 && [ -S "/var/run/wireguard/$2.sock" ] ;;
	esac
}
rm_dev() {
	local i
	# Peers first: a kernel link deleted with 10,000 peers waits one RCU grace period
	# for each (minutes on 6.1); a replacement with no peers is one quick write.
	[ "$1" = kernel ] && wg setconf "$2" "$TMP/empty"
	ip link del "$2"
	CUR=
	if [ "$1" = userspace ]; then
		for i in $(seq 50); do [ -e "/var/run/wireguard/$2.sock" ] || break; sleep 0.1; done
	fi
}

# one BACKEND WHO RUN: time one apply on a fresh device, check the peer count, print ms.
one() {
	local be=$1 who=$2 ifn="wgb$TAG${2:0:1}$3" t0 t1 n
	mk "$be" "$ifn" || { echo "peers10k: cannot create a $be device" >&2; return 1; }
	t0=$(ms)
	if [ "$who" = warren ]; then
		WARREN_BACKEND=$be "$DRV" apply "$ifn" "$N" 2>"$TMP/err" || { cat "$TMP/err" >&2; rm_dev "$be" "$ifn"; return 1; }
	else
		wg setconf "$ifn" "$TMP/conf" 2>"$TMP/err" || { cat "$TMP/err" >&2; rm_dev "$be" "$ifn"; return 1; }
	fi
	t1=$(ms)
	n=$(wg show "$ifn" peers | wc -l)
	rm_dev "$be" "$ifn"
	[ "$n" = "$N" ] || { echo "peers10k: $who left $n peers, not $N" >&2; return 1; }
	echo $((t1 - t0))
}

# up_once BACKEND TOOL: one timed up of the wg-quick file, checked (N peers, N routes),
# then an untimed down; prints ms.
up_once() {
	local be=$1 tool=$2 t0 t1 np nr
	t0=$(ms)
	case $tool in
	warren) WARREN_BACKEND=$be "$WARREN" up --state-dir "$TMP/state" "$TMP/$WQ_IF.conf" >"$TMP/err" 2>&1 ;;
	wg-quick) WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go WG_HIDE_KEYS=always \
		wg-quick up "$TMP/$WQ_IF.conf" >"$TMP/err" 2>&1 ;;
	esac || { tail -n 3 "$TMP/err" >&2; return 1; }
	t1=$(ms)
	CUR=$WQ_IF
	np=$(wg show "$WQ_IF" peers | wc -l)
	nr=$(ip -4 route show dev "$WQ_IF" | grep -c '^10\.64\.')
	# Peers first, for the kernel's sake, as in rm_dev.
	[ "$be" = kernel ] && wg setconf "$WQ_IF" "$TMP/empty"
	case $tool in
	warren) "$WARREN" down --state-dir "$TMP/state" "$TMP/$WQ_IF.conf" >/dev/null 2>&1 ;;
	wg-quick) wg-quick down "$TMP/$WQ_IF.conf" >/dev/null 2>&1 ;;
	esac
	ip link del "$WQ_IF" 2>/dev/null
	CUR=
	[ "$np" = "$N" ] && [ "$nr" = "$N" ] || { echo "peers10k: $tool up left $np peers and $nr routes, not $N" >&2; return 1; }
	echo $((t1 - t0))
}

# wgquick_cmp BACKEND: warren up against wg-quick up of the same file.
wgquick_cmp() {
	local be=$1 w g r
	[ "$WQ_RUNS" = 0 ] && return
	command -v wg-quick >/dev/null || { echo "peers10k $be wg-quick file: skipped (no wg-quick)"; return; }
	[ -x "$WARREN" ] || { echo "peers10k $be wg-quick file: skipped (no warren at $WARREN)"; return; }
	: >"$TMP/wq.warren"; : >"$TMP/wq.wg"
	for r in $(seq "$RUNS"); do
		up_once "$be" warren >>"$TMP/wq.warren" || { echo "peers10k $be wg-quick file: warren run failed"; return; }
	done
	for r in $(seq "$WQ_RUNS"); do
		up_once "$be" wg-quick >>"$TMP/wq.wg" || { echo "peers10k $be wg-quick file: wg-quick run failed"; return; }
	done
	w=$(median <"$TMP/wq.warren") g=$(median <"$TMP/wq.wg")
	echo "peers10k $be wg-quick file: warren up $(sec "$w") s, wg-quick up $(sec "$g") s, warren $(awk -v a="$w" -v b="$g" 'BEGIN { printf "%.1f", a ? b / a : 0 }') times faster ($N peers and routes; median of $RUNS and $WQ_RUNS; runs warren: $(tr '\n' ' ' <"$TMP/wq.warren")ms, wg-quick: $(tr '\n' ' ' <"$TMP/wq.wg")ms)"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
sec() { awk -v m="$1" 'BEGIN { printf "%.3f", m / 1000 }'; }

for be in $BACKENDS; do
	case $be in
	userspace) command -v wireguard-go >/dev/null || { echo "peers10k $be: skipped (no wireguard-go)"; continue; } ;;
	kernel)
		if ! ip link add "wgp$TAG" type wireguard 2>/dev/null; then
			echo "peers10k $be: skipped (no wireguard module; run inside tests/kernel/vm.sh)"; continue
		fi
		ip link del "wgp$TAG" ;;
	*) echo "peers10k: unknown backend $be"; continue ;;
	esac
	if [ -z "$DRV" ]; then
		echo "peers10k $be: wg setconf comparison skipped (no driver at ${PEERS10K:-$B/bench/peers10k} and no compiler)"
		wgquick_cmp "$be"
		continue
	fi
	: >"$TMP/warren" ; : >"$TMP/wg"
	for r in $(seq "$RUNS"); do
		one "$be" warren "$r" >>"$TMP/warren" || { echo "peers10k $be: warren run failed"; continue 2; }
		one "$be" wg "$r" >>"$TMP/wg" || { echo "peers10k $be: wg setconf run failed"; continue 2; }
	done
	w=$(median <"$TMP/warren") g=$(median <"$TMP/wg")
	echo "peers10k $be: warren $(sec "$w") s, wg setconf $(sec "$g") s, ratio $(awk -v a="$w" -v b="$g" 'BEGIN { printf "%.2f", b ? a / b : 0 }') ($N peers, median of $RUNS; runs warren: $(tr '\n' ' ' <"$TMP/warren")ms, wg: $(tr '\n' ' ' <"$TMP/wg")ms)"
	wgquick_cmp "$be"
done
