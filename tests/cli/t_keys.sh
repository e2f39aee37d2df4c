#!/usr/bin/env bash
# warren genkey/pubkey/genpsk against wg(8): same keys, same format, same refusals.
. "$(dirname "$0")/lib.sh"

run "$WARREN" genkey
priv=$OUT
expect_eq "genkey exits 0" "$RC" 0
expect_eq "genkey prints 44 base64 characters" "$(printf '%s' "$priv" | grep -cE '^[A-Za-z0-9+/]{43}=$')" 1
expect_eq "warren pubkey equals wg pubkey" "$(printf '%s\n' "$priv" | "$WARREN" pubkey)" \
	"$(printf '%s\n' "$priv" | wg pubkey)"
wgpriv=$(wg genkey)
expect_eq "warren pubkey of a wg genkey key equals wg pubkey" "$(printf '%s\n' "$wgpriv" | "$WARREN" pubkey)" \
	"$(printf '%s\n' "$wgpriv" | wg pubkey)"
# An unclamped key: both clamp it the same way.
raw=$(head -c 32 /dev/urandom | base64)
expect_eq "pubkey of an unclamped key matches wg" "$(printf '%s' "$raw" | "$WARREN" pubkey)" \
	"$(printf '%s' "$raw" | wg pubkey)"
# genkey output is clamped as wg's is: decode and check the bits.
b0=$(printf '%s' "$priv" | base64 -d | od -An -tu1 -N1 | tr -d ' ')
b31=$(printf '%s' "$priv" | base64 -d | od -An -tu1 -j31 -N1 | tr -d ' ')
expect_eq "genkey clamps the key" "$((b0 & 7)) $((b31 & 192))" "0 64"

run "$WARREN" genpsk
expect_eq "genpsk prints a key wg accepts" "$(printf '%s' "$OUT" | wg pubkey >/dev/null 2>&1; echo $?)" 0
[ "$OUT" != "$("$WARREN" genpsk)" ] && ok "genpsk differs each run" || not_ok "genpsk differs each run"

run sh -c "echo garbage | '$WARREN' pubkey"
expect_eq "pubkey rejects garbage with exit 2" "$RC" 2
expect_eq "pubkey error message" "$ERR" "warren pubkey: key is not the correct length or format"
run sh -c "printf '%s\n%s\n' '$priv' '$priv' | '$WARREN' pubkey"
expect_eq "pubkey rejects trailing data" "$RC" 2

(umask 022; "$WARREN" genkey >"$TMP/k") 2>"$TMP/err"
expect_eq "genkey warns when stdout is a world-readable file" \
	"$(cat "$TMP/err")" "warren: warning: writing a secret key to a file readable by others"

run "$WARREN" genkey extra
expect_eq "genkey with an argument is a usage error" "$RC" 2
finish
