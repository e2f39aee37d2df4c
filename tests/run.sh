#!/usr/bin/env bash
# Runs every test tier that exists and ends with one line "N passed, N failed".
# Tiers: unit (cmocka), cli (the command line), fuzz (saved corpus plus a bounded run), netns (root, wireguard-go),
# web (Chromium against a server's portal), kernel (QEMU). TIERS="unit netns" limits the run; FUZZ_SECONDS bounds each fuzzer.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
TIERS=${TIERS:-unit cli fuzz netns web kernel}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
passed=0
failed=0
failures=()

pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); failures+=("$1"); }

# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)"
run_unit() {
	local t out rc p f
	for t in "$B"/tests/unit/test_*; do
		[ -x "$t" ] || continue
		out=$("$t" 2>&1); rc=$?
		printf '%s\n' "$out"
		p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
		f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
		passed=$((passed + ${p:-0}))
		if [ -n "$f" ] && [ "$f" -gt 0 ]; then
			failed=$((failed + f)); failures+=("unit: $(basename "$t") ($f)")
		elif [ "$rc" != 0 ]; then
			fail "unit: $(basename "$t") exited $rc"
		fi
	done
}

# Each harness replays its saved corpus, then explores for FUZZ_SECONDS.
run_fuzz() {
	local f name corpus work
	for f in "$B"/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		name=$(basename "$f")
		corpus=tests/fuzz/corpus/${name#fuzz_}
		work=$(mktemp -d)
		[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null
		if "$f" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=10 \
			-print_final_stats=0 "$work" >"$work.log" 2>&1; then
			echo "ok - fuzz $name ($FUZZ_SECONDS s)"; pass
		else
			tail -n 40 "$work.log"
			echo "not ok - fuzz $name"; fail "fuzz: $name"
		fi
		rm -rf "$work" "$work.log"
	done
}

# Scenario scripts print "ok - ..." / "not ok - ..." lines; a script that exits non-zero
# without reporting a failure counts as one failure.
run_scripts() {
	local tier=$1 s out rc nok
	shift
	for s in "$@"; do
		[ -f "$s" ] || continue
		echo "== $tier: $s"
		out=$(bash "$s" 2>&1); rc=$?
		printf '%s\n' "$out"
		nok=$(printf '%s\n' "$out" | grep -c '^not ok')
		passed=$((passed + $(printf '%s\n' "$out" | grep -c '^ok')))
		if [ "$nok" -gt 0 ]; then
			failed=$((failed + nok)); failures+=("$tier: $s ($nok)")
		elif [ "$rc" != 0 ]; then
			fail "$tier: $s exited $rc"
		fi
	done
}

for tier in $TIERS; do
	case $tier in
	unit) run_unit ;;
	cli) run_scripts cli tests/cli/t_*.sh ;;
	fuzz) run_fuzz ;;
	netns) run_scripts netns tests/netns/t_*.sh ;;
	web) run_scripts web tests/web/t_*.sh ;;
	kernel) [ -x tests/kernel/run.sh ] && run_scripts kernel tests/kernel/run.sh ;;
	esac
done

for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
