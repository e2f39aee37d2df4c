#!/usr/bin/env bash
# tests/netns/t_hostile.sh: the portal under attack from one address while a second one
# goes about its business: 10,000 login attempts, then hundreds of clients that connect
# and say nothing, dribble their headers or their body. The attacker gets 401 and 429
# (with Retry-After) and is cut off; the other address logs in, pulls its profile and
# reads users as if nothing happened; nothing in the database changes.
#
#   ns cl1 (attacker) 10.202.1.2 ---- vs1 10.202.1.1  ns srv (warren server)
#   ns cl2 (office)   10.202.2.2 ---- vs2 10.202.2.1  portal https://10.202.1.1:8443
. "$(dirname "$0")/lib.sh"
[ "$WARREN_BACKEND" = kernel ] &&
	skip_all "HTTP, sessions and the operations table do not touch the WireGuard backend; the host tier runs it"
require ip wg jq openssl curl python3 sqlite3
need_warren

VS1=$(lname vs1) VC1=$(lname vc1) VS2=$(lname vs2) VC2=$(lname vc2) WGS=$(lname wgs)
ns_new srv cl1 cl2
veth srv "$VS1" 10.202.1.1/24 cl1 "$VC1" 10.202.1.2/24
veth srv "$VS2" 10.202.2.1/24 cl2 "$VC2" 10.202.2.2/24
in_ns cl2 ip route add 10.202.1.0/24 via 10.202.2.1
SOCK=$WT_DIR/server.sock CONF=$WT_DIR/server.conf URL=https://10.202.1.1:8443
HOSTILE=$(dirname "$0")/hostile.py
test_ca 10.202.1.1 || finish
cat >"$CONF" <<EOF
daemon = { state_dir = "$WT_DIR/state"; socket = "$SOCK"; };
server = { interface = "$WGS"; listen_port = 51820; private_key = "$(wg_genkey)";
           endpoint = "10.202.1.1:51820"; pool = [ "10.9.0.0/24" ];
           client_allowed_ips = [ "10.9.0.0/24" ]; snat = false;
           database = "$WT_DIR/warren.db";
           portal = { listen = "10.202.1.1:8443"; tls_cert_file = "$WT_DIR/portal.crt";
                      tls_key_file = "$WT_DIR/portal.key"; }; };
EOF
W() { in_ns srv "$WARREN" "$@" -s "$SOCK"; }
spawn srv server "$WARREN" server -c "$CONF"
SPID=$WT_LAST_PID
C2() { in_ns cl2 curl -s --max-time 10 --cacert "$WT_DIR/ca.pem" "$@"; }
wait_for 10 test -S "$SOCK" && wait_for 5 C2 -o /dev/null "$URL/"
check "the server starts with its portal" test $? = 0

# ---- the office: an admin with a real password, and an agent device
P=$(W admin add root)
C2 -c "$WT_DIR/jar" -o "$WT_DIR/login.json" -H 'Content-Type: application/json' \
	-d "{\"name\":\"root\",\"password\":\"$P\"}" "$URL/api/v1/login"
C2 -b "$WT_DIR/jar" -c "$WT_DIR/jar" -o /dev/null -H 'Content-Type: application/json' \
	-H "X-CSRF-Token: $(jq -r .csrf "$WT_DIR/login.json")" \
	-d "{\"old\":\"$P\",\"new\":\"office password 1\"}" "$URL/api/v1/password"
W user add branch >/dev/null
TOKEN=$(W device add gw1 --user branch)
C2 -o "$WT_DIR/enroll.json" -d "{\"token\":\"$TOKEN\",\"public_key\":\"$(wg_pubkey "$(wg_genkey)")\"}" \
	"$URL/api/v1/agent/enroll"
CRED=$(jq -r .credential "$WT_DIR/enroll.json")
check "the office's device enrols" test "${#CRED}" = 43
before=$(sqlite3 "$WT_DIR/warren.db" "SELECT name, password_hash, must_change_password FROM admins; SELECT name, disabled_reason, password_hash FROM users" | sha256sum)

# office_works TAG: from cl2, a login (with its time), a profile pull and a page of users.
office_works() {
	local t0 t1 st
	t0=$(date +%s%N)
	st=$(C2 -c "$WT_DIR/jar2" -o "$WT_DIR/ol.json" -w '%{http_code}' -H 'Content-Type: application/json' \
		-d '{"name":"root","password":"office password 1"}' "$URL/api/v1/login")
	t1=$(date +%s%N)
	check_eq "$1: the office's admin logs in" 200 "$st"
	check "$1: within 3 s ($(((t1 - t0) / 1000000)) ms)" test $(((t1 - t0) / 1000000)) -lt 3000
	st=$(C2 -o /dev/null -w '%{http_code} %{time_total}' -H "Authorization: Bearer $CRED" "$URL/api/v1/agent/profile")
	check "$1: the office's agent pulls its profile within 1 s ($st)" \
		awk -v s="$st" 'BEGIN { split(s, a, " "); exit !(a[1] == 200 && a[2] < 1.0) }'
	st=$(C2 -b "$WT_DIR/jar2" -o "$WT_DIR/ou.json" -w '%{http_code}' "$URL/api/v1/users")
	check_eq "$1: and reads its users" "200 1" "$st $(jq -r .total "$WT_DIR/ou.json" 2>/dev/null)"
}

# ---- 10,000 login attempts from one address, at root and 19 names that do not exist
NAMES="root $(seq -f 'guess%g' 19 | xargs)"
# shellcheck disable=SC2086
in_ns cl1 python3 "$HOSTILE" logins "$URL" "$WT_DIR/ca.pem" 10000 32 $NAMES >"$WT_DIR/storm" 2>&1 &
STORM=$! STORM_T0=$(date +%s)
sleep 2
office_works "during 10,000 login attempts"
wait "$STORM"
STORM_S=$(($(date +%s) - STORM_T0 + 1))
read -r -a seen <"$WT_DIR/storm"
diag "the attacker saw: ${seen[*]}"
total=0 n401=0 n429=0 other=
for kv in "${seen[@]}"; do
	k=${kv%%:*} v=${kv##*:}
	case $k in
	401) n401=$v; total=$((total + v)) ;;
	429) n429=$v; total=$((total + v)) ;;
	retry_after_missing) missing=$v ;;
	*) other="$other $kv" ;;
	esac
done
check_eq "every attempt was answered, 401 or 429" "10000 -" "$total ${other:--}"
# Per name at one address: 5 guesses, then one after each wait, doubling from 1 s; over
# STORM_S seconds that is 5 + log2(STORM_S + 1) per name, and 20 names.
most=$(awk -v d="$STORM_S" 'BEGIN { print 20 * (5 + int(log(d + 1) / log(2)) + 1) }')
check "at most 5 guesses per name were checked from that address, then one per doubling wait ($n401 in ${STORM_S} s, at most $most)" \
	test "$n401" -le "$most"
check_eq "every 429 says when to come back" 0 "${missing:-?}"
check "the server runs on" kill -0 "$SPID"
office_works "after the storm"
check_eq "no account changed" "$before" \
	"$(sqlite3 "$WT_DIR/warren.db" "SELECT name, password_hash, must_change_password FROM admins; SELECT name, disabled_reason, password_hash FROM users" | sha256sum)"

# ---- slow clients: silent, dribbling headers, dribbling a body
for mode in silent:200 headers:200 body:50; do
	in_ns cl1 python3 "$HOSTILE" slow "$URL" "$WT_DIR/ca.pem" "${mode#*:}" 25 "${mode%%:*}" \
		>"$WT_DIR/slow.${mode%%:*}" 2>&1 &
	track_pid $!
	eval "SLOW_${mode%%:*}=\$!"
done
sleep 3
office_works "with 450 slow connections open"
# shellcheck disable=SC2154
wait "$SLOW_silent" "$SLOW_headers" "$SLOW_body"
check_eq "connections that say nothing are cut off" "refused:0 closed:200 open:0" "$(cat "$WT_DIR/slow.silent")"
check_eq "so are those that dribble their headers" "refused:0 closed:200 open:0" "$(cat "$WT_DIR/slow.headers")"
check_eq "and those that dribble a body" "refused:0 closed:50 open:0" "$(cat "$WT_DIR/slow.body")"
check "the server runs on" kill -0 "$SPID"
office_works "after the slow clients"
finish
