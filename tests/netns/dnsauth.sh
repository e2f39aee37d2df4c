# tests/netns/dnsauth.sh: a local authoritative server (nsd) for DNS scenarios: signed,
# deliberately broken and unsigned zones, and the trust anchors that make them checkable.
#
# Source it (bash), then:
#
#   dnsauth_start DIR ADDR PORT [NETNS]   zones, keys and nsd.conf in DIR; nsd on ADDR@PORT
#                                         (inside NETNS, a full name for `ip netns exec`);
#                                         returns once it answers test.example SOA
#   dnsauth_stop DIR                      stops that nsd (also safe when it never started)
#
# Zones:
#   test.example.      signed: www A 192.0.2.80, mail AAAA 2001:db8::25, txt TXT "hello",
#                      alias CNAME www; DNSSEC-secure under DIR/anchors.key
#   bad.example.       signed, then www A changed to 192.0.2.66: its signature fails (bogus)
#   unsigned.example.  plain: www A 192.0.2.90 (insecure: no anchor covers it)
# DIR/anchors.key holds the DS records of test.example and bad.example in zone-file form,
# as unbound's trust-anchor-file (and upstream_conf.trust_anchor_file) reads them.
# Algorithm 13 (ECDSAP256SHA256): Debian's libunbound (nettle) validates it.
# Callers stop it in their EXIT trap: `at_exit dnsauth_stop "$DIR"` with lib.sh.

_dnsauth_zone() {
	local dir=$1 zone=$2
	cat >"$dir/$zone.zone" <<EOF
\$ORIGIN $zone.
\$TTL 300
@	IN SOA ns.$zone. hostmaster.$zone. 1 3600 900 604800 300
@	IN NS ns.$zone.
ns	IN A 127.0.0.1
www	IN A 192.0.2.80
mail	IN AAAA 2001:db8::25
txt	IN TXT "hello"
alias	IN CNAME www
EOF
}

# Sign DIR/ZONE.zone into DIR/ZONE.zone.signed with a fresh KSK and ZSK; the KSK's DS goes
# to DIR/anchors.key. Inception an hour back, so clock skew inside a VM does not matter.
_dnsauth_sign() {
	local dir=$1 zone=$2 ksk zsk now
	ksk=$(cd "$dir" && ldns-keygen -a ECDSAP256SHA256 -k "$zone") || return 1
	zsk=$(cd "$dir" && ldns-keygen -a ECDSAP256SHA256 "$zone") || return 1
	now=$(date -u +%s)
	(cd "$dir" && ldns-signzone -i "$(date -u -d "@$((now - 3600))" +%Y%m%d%H%M%S)" \
		-e "$(date -u -d "@$((now + 30 * 86400))" +%Y%m%d%H%M%S)" \
		"$zone.zone" "$ksk" "$zsk") || return 1
	# The .ds file is one line, "zone. TTL IN DS ...".
	cat "$dir/$ksk.ds" >>"$dir/anchors.key"
	rm -f "$dir/$ksk.private" "$dir/$zsk.private"
}

dnsauth_start() {
	local dir=$1 addr=$2 port=$3 ns=${4:-} i run=()
	command -v nsd >/dev/null && command -v ldns-signzone >/dev/null || {
		echo "dnsauth: nsd and ldnsutils are needed" >&2; return 1; }
	mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || return 1
	rm -f "$dir/anchors.key"
	_dnsauth_zone "$dir" test.example && _dnsauth_sign "$dir" test.example || return 1
	_dnsauth_zone "$dir" bad.example && _dnsauth_sign "$dir" bad.example || return 1
	# The changed record keeps its old RRSIG: a validator must call it bogus.
	sed -i 's/^\(www\.bad\.example\.[[:space:]].*[[:space:]]A[[:space:]]\+\)192\.0\.2\.80$/\1192.0.2.66/' \
		"$dir/bad.example.zone.signed"
	grep -q '192\.0\.2\.66$' "$dir/bad.example.zone.signed" || {
		echo "dnsauth: could not break bad.example" >&2; return 1; }
	_dnsauth_zone "$dir" unsigned.example
	sed -i 's/192\.0\.2\.80$/192.0.2.90/' "$dir/unsigned.example.zone"
	cat >"$dir/nsd.conf" <<EOF
server:
	ip-address: $addr@$port
	port: $port
	username: ""
	chroot: ""
	zonesdir: "$dir"
	database: ""
	zonelistfile: "$dir/zone.list"
	xfrdfile: "$dir/xfrd.state"
	xfrdir: "$dir"
	pidfile: "$dir/nsd.pid"
	logfile: "$dir/nsd.log"
	server-count: 1
	verbosity: 1
	hide-version: yes
remote-control:
	control-enable: no
zone:
	name: test.example
	zonefile: test.example.zone.signed
zone:
	name: bad.example
	zonefile: bad.example.zone.signed
zone:
	name: unsigned.example
	zonefile: unsigned.example.zone
EOF
	chmod -R a+rX "$dir"
	[ -n "$ns" ] && run=(ip netns exec "$ns")
	"${run[@]}" nsd -c "$dir/nsd.conf" || { cat "$dir/nsd.log" >&2 2>/dev/null; return 1; }
	for i in $(seq 1 50); do
		if "${run[@]}" dig +short +time=1 +tries=1 @"$addr" -p "$port" test.example SOA \
			2>/dev/null | grep -q hostmaster; then
			return 0
		fi
		sleep 0.1
	done
	echo "dnsauth: nsd on $addr@$port did not answer" >&2
	cat "$dir/nsd.log" >&2 2>/dev/null
	dnsauth_stop "$dir"
	return 1
}

dnsauth_stop() {
	local dir=$1 pid i
	[ -f "$dir/nsd.pid" ] || return 0
	pid=$(cat "$dir/nsd.pid" 2>/dev/null)
	rm -f "$dir/nsd.pid"
	case $pid in ''|*[!0-9]*) return 0 ;; esac
	kill "$pid" 2>/dev/null || return 0
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	return 0
}
