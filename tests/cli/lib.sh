# Assertions for command-line scenarios: each prints "ok - DESC" or "not ok - DESC".
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WARREN=${WARREN:-$ROOT/build/warren}
case $WARREN in /*) ;; *) WARREN=$ROOT/$WARREN ;; esac
T_FAILED=0
TMP=$(mktemp -d /tmp/warren-cli-XXXXXX)
trap 'rm -rf "$TMP"' EXIT

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; T_FAILED=$((T_FAILED + 1)); }

# expect_eq DESC GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1"; printf '  got:  %s\n  want: %s\n' "$2" "$3"; fi
}

# run CMD...: sets OUT, ERR, RC
run() {
	OUT=$("$@" 2>"$TMP/stderr"); RC=$?
	ERR=$(cat "$TMP/stderr")
}

finish() { [ "$T_FAILED" = 0 ]; exit $?; }
