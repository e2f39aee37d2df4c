#!/usr/bin/env bash
# tests/kernel/t_wg_kernel.sh: netcfg/wg's kernel backend on wireguard.ko: 10,000 peers set and read back, a one-peer change, one peer with 10,000 allowed IPs.
#
# No topology: the checks run inside build/tests/unit/test_wg_live, which moves itself into
# a private network namespace, creates its wireguard links with link_create and talks
# generic netlink to them. Each cmocka test becomes one "ok"/"not ok" line here.
. "$(dirname "$0")/../netns/lib.sh"
[ "$WARREN_BACKEND" = kernel ] || skip_all "kernel backend only (run through tests/kernel/run.sh)"

T=$WT_ROOT/${B:-build}/tests/unit/test_wg_live
[ -x "$T" ] || skip_all "$T is not in the VM image"

# Timings stream out as they come, so a slow run still shows how far it got.
WARREN_BACKEND=kernel "$T" 2>&1 | tee "$WT_DIR/live.log" | grep --line-buffered -E '^(# |test_wg_live:)' |
	sed -u 's/^# //; s/^/# /'
rc=${PIPESTATUS[0]}
out=$(cat "$WT_DIR/live.log")
seen=' '
while IFS= read -r line; do
	# cmocka lists skipped and failed tests again at the end: count each once.
	case $seen in *" $line "*) continue ;; esac
	seen="$seen$line "
	case $line in
	"[       OK ] "*) ok "wg kernel backend: ${line#"[       OK ] "}" ;;
	"[  SKIPPED ] "*test*\(s\)*) ;;
	"[  SKIPPED ] "*) skip "wg kernel backend: ${line#"[  SKIPPED ] "}" "not for this backend" ;;
	"[  FAILED  ] "*test*\(s\)*) ;;
	"[  FAILED  ] "*)
		not_ok "wg kernel backend: ${line#"[  FAILED  ] "}" \
			"$(printf '%s\n' "$out" | grep -E 'ERROR|LINE|error' | head -n 10)" ;;
	esac
done <<<"$out"
[ $rc = 0 ] || [ "$WT_FAIL" -gt 0 ] || not_ok "test_wg_live exited $rc" "$(printf '%s\n' "$out" | tail -n 20)"
finish
