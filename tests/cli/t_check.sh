#!/usr/bin/env bash
# warren check on the corpus: every realistic wg-quick file is accepted, every broken one
# (and every broken warren configuration in broken-conf/) is rejected with exit 2 and
# exactly the FILE:LINE messages its first lines expect.
. "$(dirname "$0")/lib.sh"

for f in "$ROOT"/tests/data/*.conf; do
	run "$WARREN" check "$f"
	expect_eq "check accepts $(basename "$f")" "$RC:$OUT" "0:configuration OK"
done
for f in "$ROOT"/tests/data/broken/*.conf; do
	run "$WARREN" check "$f"
	# Every expected line, in order, is among the errors (a file too minimal to bring up,
	# or named unlike an interface, has more).
	want=$(sed -n "s|^# expect: |$f:|p" "$f")
	got=$(printf '%s\n' "$ERR" | grep -Fx -f <(printf '%s\n' "$want"))
	expect_eq "check rejects $(basename "$f") with exit 2 and its message" "$RC:$got" "2:$want"
done

# warren configurations that are broken, with the same "# expect:" lines.
for f in "$ROOT"/tests/data/broken-conf/*.conf; do
	run "$WARREN" check -c "$f"
	want=$(sed -n "s|^# expect: |$f:|p" "$f")
	got=$(printf '%s\n' "$ERR" | grep -Fx -f <(printf '%s\n' "$want"))
	expect_eq "check -c rejects $(basename "$f") with exit 2 and its message" "$RC:$got" "2:$want"
done

# The same through -c, and a warren configuration importing a provider file.
cat >"$TMP/warren.conf" <<CONF
tunnels = ( { name = "warp"; import = "$ROOT/tests/data/wgcf-profile.conf"; families = [ "ipv4" ]; } );
CONF
run "$WARREN" check -c "$TMP/warren.conf"
expect_eq "check -c accepts a configuration importing a wg-quick file" "$RC:$OUT" "0:configuration OK"
printf 'tunnels = ( { name = "Bad!"; } );\n' >"$TMP/bad.conf"
run "$WARREN" check -c "$TMP/bad.conf"
expect_eq "check -c rejects a bad tunnel name with exit 2" "$RC" 2
expect_eq "and names file, line and value" "$(printf '%s\n' "$ERR" | head -n1)" \
	"$TMP/bad.conf:1: tunnel 1: name \"Bad!\": must be 1-12 characters of a-z, 0-9, '_' and '-'"

# The server's portal binds an address, over HTTPS only.
srv='server = { private_key = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="; endpoint = "vpn.example.net:51820";
  pool = [ "10.9.0.0/24" ]; database = "/tmp/x.db";'
printf '%s\n  portal = { listen = "portal.example.net:8443"; tls_cert_file = "/c"; tls_key_file = "/k"; }; };\n' "$srv" >"$TMP/p1.conf"
run "$WARREN" check -c "$TMP/p1.conf"
expect_eq "a portal listening on a host name is refused" "$RC:$(printf '%s\n' "$ERR" | head -n1)" \
	"2:$TMP/p1.conf:3: portal: listen \"portal.example.net:8443\": an address to bind, such as \"[::]:8443\", not a host name"
printf '%s\n  portal = { tls_cert_file = "/c"; tls_key_file = "/k"; }; };\n' "$srv" >"$TMP/p2.conf"
run "$WARREN" check -c "$TMP/p2.conf"
expect_eq "a portal without listen is refused" "$RC:$(printf '%s\n' "$ERR" | head -n1)" \
	"2:$TMP/p2.conf:3: server: portal: listen missing"
printf '%s\n  portal = { listen = "[::]:8443"; }; };\n' "$srv" >"$TMP/p3.conf"
run "$WARREN" check -c "$TMP/p3.conf"
expect_eq "a portal without a certificate is refused" "$RC:$(printf '%s\n' "$ERR" | head -n1)" \
	"2:$TMP/p3.conf:3: server: portal: tls_cert_file and tls_key_file are needed: the portal speaks only HTTPS"
# The resolver's keys: addresses, not names; the bad value named with its line.
printf '%s\n  resolver = { upstream = [ "192.0.2.53", "dns.example.net" ]; }; };\n' "$srv" >"$TMP/r1.conf"
run "$WARREN" check -c "$TMP/r1.conf"
expect_eq "a resolver upstream given by name is refused" "$RC:$(printf '%s\n' "$ERR" | head -n1)" \
	"2:$TMP/r1.conf:3: resolver: upstream \"dns.example.net\": an address such as \"192.0.2.53\" or \"[2001:db8::53]:5353\", not a host name"
printf '%s\n  resolver = { upstream = "[2001:db8::53]:99999"; blocked_answer = "refused"; domain = "bad..name"; }; };\n' "$srv" >"$TMP/r2.conf"
run "$WARREN" check -c "$TMP/r2.conf"
expect_eq "a bad port, answer and domain are each named" "$RC:$(printf '%s\n' "$ERR" | sed 's/^[^ ]* //' | tr '\n' '|')" \
	"2:resolver: upstream \"[2001:db8::53]:99999\": bad port|resolver: blocked_answer \"refused\": must be null (0.0.0.0 and ::) or nxdomain|resolver: domain \"bad..name\": not a domain name such as \"vpn.internal\"|"
printf '%s\n  resolver = { upstream = [ "192.0.2.53", "[2001:db8::53]:5353" ]; domain = "Corp.Internal."; rate_limit = 0; }; };\n' "$srv" >"$TMP/r3.conf"
run "$WARREN" check -c "$TMP/r3.conf"
expect_eq "a good resolver section is accepted" "$RC:$OUT" "0:configuration OK"
finish
