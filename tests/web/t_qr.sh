#!/usr/bin/env bash
# tests/web/t_qr.sh: the page's own QR encoder (web/lib/qr.js) read back by a real
# reader. qr.mjs draws every version 1-40 at every level, every mask, a wg-quick file,
# UTF-8 and control characters as SVG; rsvg-convert renders each to PNG and zbarimg
# must read the same text. No server, no namespace.
. "$(dirname "$0")/../netns/lib.sh"
require node rsvg-convert zbarimg
node "$WT_ROOT/tests/web/qr.mjs" >"$WT_DIR/qr.out" 2>&1
rc=$?
cat "$WT_DIR/qr.out"
WT_PASS=$((WT_PASS + $(grep -c '^ok' "$WT_DIR/qr.out")))
nok=$(grep -c '^not ok' "$WT_DIR/qr.out")
WT_FAIL=$((WT_FAIL + nok))
[ "$rc" != 0 ] && [ "$nok" = 0 ] && not_ok "qr.mjs exited $rc"
finish
