#!/usr/bin/env bash
# The command line contract: --help, --version, unknown commands, exit statuses.
. "$(dirname "$0")/lib.sh"

run "$WARREN" --version
expect_eq "--version" "$OUT" "warren $(sed -n 's/^VERSION := //p' "$ROOT/Makefile")"
run "$WARREN" --help
expect_eq "--help exits 0" "$RC" 0
HELP=$OUT
for c in genkey pubkey genpsk check up down agent status reload server user; do
	printf '%s\n' "$HELP" | grep -q "^  $c " && ok "--help lists $c" || not_ok "--help lists $c"
	run "$WARREN" "$c" --help
	expect_eq "$c --help exits 0 with usage" "$RC:$(printf '%s' "$OUT" | head -n1 | cut -d' ' -f1-3)" \
		"0:usage: warren $c"
done
run "$WARREN"
expect_eq "no command is a usage error" "$RC" 2
run "$WARREN" frobnicate
expect_eq "unknown command exits 2" "$RC" 2
expect_eq "unknown command message" "$ERR" 'warren: unknown command "frobnicate"; see "warren --help"'
run "$WARREN" check -c /nonexistent/warren.conf
expect_eq "check of a missing file exits 2" "$RC" 2
expect_eq "check of a missing file names it" "$ERR" "/nonexistent/warren.conf: No such file or directory"
run "$WARREN" check -x
expect_eq "check with a bad option exits 2" "$RC" 2
finish
