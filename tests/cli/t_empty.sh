#!/usr/bin/env bash
# An empty or blank file, or one with nothing to run, is an error naming the file for every
# command that reads a configuration (exit 2, nothing made); a file with only a portal or
# only a server section stays valid.
. "$(dirname "$0")/lib.sh"

printf '' >"$TMP/empty.conf"
printf '  \n\t\r\n\n' >"$TMP/blank.conf"
printf '\xef\xbb\xbf\n' >"$TMP/bom.conf"
printf '# a comment, and nothing else\n// nor here\n' >"$TMP/comment.conf"
printf 'daemon = { backend = "userspace"; };\nlan = { interfaces = [ "eth1" ]; };\n' >"$TMP/daemon.conf"
printf '' >"$TMP/wg9.conf"

for f in empty blank bom wg9; do
	p=$TMP/$f.conf
	run "$WARREN" check -c "$p"
	expect_eq "check: $f file is refused, naming it" "$RC:$OUT:$ERR" "2::$p: the file is empty"
done
for f in comment daemon; do
	p=$TMP/$f.conf
	run "$WARREN" check "$p"
	expect_eq "check: $f-only file has nothing to run" "$RC:$OUT:$ERR" \
		"2::$p: nothing to run: no tunnels, portal or server section"
done

# Every command that reads a configuration says the same, and makes nothing.
st=$TMP/state
run "$WARREN" up --state-dir "$st" "$TMP/wg9.conf"
expect_eq "up of an empty wg-quick file" "$RC:$ERR" "2:$TMP/wg9.conf: the file is empty"
run "$WARREN" down --state-dir "$st" "$TMP/blank.conf"
expect_eq "down of a blank file" "$RC:$ERR" "2:$TMP/blank.conf: the file is empty"
run "$WARREN" up --state-dir "$st" "$TMP/comment.conf"
expect_eq "up of a file with nothing to run" "$RC:$ERR" \
	"2:$TMP/comment.conf: nothing to run: no tunnels, portal or server section"
run timeout 5 "$WARREN" agent -c "$TMP/empty.conf"
expect_eq "agent with an empty file does not start" "$RC:$(printf '%s\n' "$ERR" | grep -c 'the file is empty')" "2:1"
run timeout 5 "$WARREN" agent -c "$TMP/daemon.conf"
expect_eq "agent with nothing to run does not start" \
	"$RC:$(printf '%s\n' "$ERR" | grep -c 'nothing to run: no tunnels, portal or server section')" "2:1"
run timeout 5 "$WARREN" server -c "$TMP/blank.conf"
expect_eq "server with a blank file does not start" "$RC:$(printf '%s\n' "$ERR" | grep -c 'the file is empty')" "2:1"
run "$WARREN" status -c "$TMP/empty.conf"
expect_eq "status -c an empty file" "$RC:$ERR" "2:warren: $TMP/empty.conf: the file is empty"
run "$WARREN" reload -c "$TMP/empty.conf"
expect_eq "reload -c an empty file" "$RC:$ERR" "2:warren: $TMP/empty.conf: the file is empty"
run "$WARREN" user list -c "$TMP/blank.conf"
expect_eq "user list -c a blank file" "$RC:$ERR" "2:warren: $TMP/blank.conf: the file is empty"
run sh -c "echo tok | '$WARREN' enroll -c '$TMP/empty.conf' https://127.0.0.1:1 -"
expect_eq "enroll -c an empty file" "$RC:$ERR" "2:warren enroll: $TMP/empty.conf: the file is empty"
expect_eq "and nothing was made in the state directory" "$(ls -A "$st" 2>/dev/null | wc -l)" 0

# A portal section alone (tunnels come from the portal) or a server alone are enough.
printf 'portal = { url = "https://vpn.example.net:8443"; };\n' >"$TMP/portal.conf"
run "$WARREN" check -c "$TMP/portal.conf"
expect_eq "a portal section alone is a configuration" "$RC:$OUT" "0:configuration OK"
printf 'server = { private_key = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="; endpoint = "vpn.example.net:51820";\n  pool = [ "10.9.0.0/24" ]; };\n' >"$TMP/server.conf"
run "$WARREN" check -c "$TMP/server.conf"
expect_eq "a server section alone is a configuration" "$RC:$OUT" "0:configuration OK"
finish
