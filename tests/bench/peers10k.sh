#!/usr/bin/env bash
# tests/bench/peers10k.sh: time applying 10,000 peers from scratch through netcfg/wg against `wg setconf` with the same peers on the same backend.
#
# Prints one line per backend: "peers10k BACKEND: warren X s, wg setconf Y s, ratio X/Y"
# (medians of RUNS fresh devices each, ours and wg's alternating). Userspace runs on
# wireguard-go; kernel runs where wireguard.ko is usable (inside tests/kernel/vm.sh).
# Root only; runs in a private network namespace. Both sides are whole processes: the
# driver (tests/bench/peers10k.c: backend open, get, diff, set) and wg (parse, set).
#
# Environment: N (10000), RUNS (3), BACKENDS (default $WARREN_BACKEND, else "userspace
# kernel"; the kernel tier VM sets kernel), B (build),
# PEERS10K (a prebuilt driver; default $B/bench/peers10k, built here when cc exists).
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
N=${N:-10000}
RUNS=${RUNS:-3}
BACKENDS=${BACKENDS:-${WARREN_BACKEND:-userspace kernel}}
DRV=${PEERS10K:-$B/bench/peers10k}

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
[ -x "$DRV" ] || { echo "peers10k: skipped (no driver at $DRV and no compiler)"; exit 0; }
command -v wg >/dev/null || { echo "peers10k: skipped (no wg)"; exit 0; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/peers10k.XXXXXX")
TAG=$(printf '%04x' $(( $$ & 0xffff )))
CUR=
cleanup() {
	[ -n "$CUR" ] && ip link del "$CUR" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
printf '[Interface]\n' >"$TMP/empty"
"$DRV" conf "wgb$TAG" "$N" >"$TMP/conf" || { echo "peers10k: writing the conf failed"; exit 1; }

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
	: >"$TMP/warren" ; : >"$TMP/wg"
	for r in $(seq "$RUNS"); do
		one "$be" warren "$r" >>"$TMP/warren" || { echo "peers10k $be: warren run failed"; continue 2; }
		one "$be" wg "$r" >>"$TMP/wg" || { echo "peers10k $be: wg setconf run failed"; continue 2; }
	done
	w=$(median <"$TMP/warren") g=$(median <"$TMP/wg")
	echo "peers10k $be: warren $(sec "$w") s, wg setconf $(sec "$g") s, ratio $(awk -v a="$w" -v b="$g" 'BEGIN { printf "%.2f", b ? a / b : 0 }') ($N peers, median of $RUNS; runs warren: $(tr '\n' ' ' <"$TMP/warren")ms, wg: $(tr '\n' ' ' <"$TMP/wg")ms)"
done
