#!/usr/bin/env bash
# tests/netns/t_server.sh: warren server with its users in SQLite: users added, listed,
# disabled and deleted over the socket; real clients bring up the configs it hands out.
#
#   ns c1 (alice)  10.201.0.2/24 ---- vc1 10.201.0.1/24  ns srv (warren server)
#   ns c2 (bob)    10.202.0.2/24 ---- vc2 10.202.0.1/24   wg 10.9.0.1/24 fd09::1/64 :51820
#   c2 reaches the endpoint 10.201.0.1 through srv.
. "$(dirname "$0")/lib.sh"
require ip wg
need_warren

VC1=$(lname vc1) C1=$(lname c1) VC2=$(lname vc2) C2=$(lname c2) WGS=$(lname wgs)
AL=$(lname al) BO=$(lname bo)
ns_new srv c1 c2
ns_forward srv
veth srv "$VC1" 10.201.0.1/24 c1 "$C1" 10.201.0.2/24
veth srv "$VC2" 10.202.0.1/24 c2 "$C2" 10.202.0.2/24
ip -n "$(ns c2)" route add 10.201.0.0/24 via 10.202.0.1
SOCK=$WT_DIR/warren.sock CONF=$WT_DIR/server.conf DB=$WT_DIR/warren.db
cat >"$CONF" <<EOF
daemon = { state_dir = "$WT_DIR/state"; socket = "$SOCK"; };
server = { interface = "$WGS"; listen_port = 51820; private_key = "$(wg_genkey)";
           endpoint = "10.201.0.1:51820"; pool = [ "10.9.0.0/24", "fd09::/64" ];
           dns = [ "10.9.0.1" ]; client_allowed_ips = [ "10.9.0.0/24", "fd09::/64" ];
           egress = "$VC1"; snat = true; database = "$DB"; };
EOF
user() { in_ns srv "$WARREN" user "$@" -s "$SOCK"; }
peers() { in_ns srv wg show "$WGS" peers | grep -c .; }
state_save srv before

start_server() {
	spawn srv "server$1" "$WARREN" server -c "$CONF"
	SERVER=$WT_LAST_PID
	wait_for 10 test -S "$SOCK" && wait_for 5 in_ns srv wg show "$WGS"
}
start_server 1
check "the server starts with its link" test $? = 0
check_eq "the server holds the first address of each pool" "10.9.0.1/24 fd09::1/64" \
	"$(in_ns srv ip -o addr show dev "$WGS" scope global | awk '{ print $4 }' | xargs)"
check_eq "the database is private" 600 "$(stat -c %a "$DB")"

check_eq "user add gives the lowest free addresses" "user alice added: 10.9.0.2/32 fd09::2/128" "$(user add alice)"
out=$(user add alice 2>&1); rc=$?
check_eq "a duplicate name is refused with exit 1" 1 "$rc"
check_eq "and says so" 'user "alice" exists already' "$out"
out=$(user add 'Bad Name!' 2>&1); rc=$?
check_eq "a bad name is refused by the CLI with exit 2" "2 warren user: user name \"Bad Name!\": only a-z, 0-9, '.', '_' and '-' are allowed" "$rc $out"
check_eq "and nothing reached the server" "alice" "$(user list | awk '{ print $1 }' | xargs)"
user config alice >"$WT_DIR/$AL.conf"
check "the config is a wg-quick file warren accepts" in_ns c1 "$WARREN" check "$WT_DIR/$AL.conf"
check "alice brings her config up" in_ns c1 "$WARREN" up --state-dir "$WT_DIR/c1" "$WT_DIR/$AL.conf"
check "alice reaches the server over IPv4" ping_ok c1 10.9.0.1
check "alice reaches the server over IPv6" ping_ok c1 fd09::1

hs=$(in_ns srv wg show "$WGS" latest-handshakes | awk '{ print $2 }')
check_eq "bob gets the next addresses" "user bob added: 10.9.0.3/32 fd09::3/128" "$(user add bob --expires 30d --quota 5GiB/month)"
check_eq "adding bob left alice's session alone" "$hs" \
	"$(in_ns srv wg show "$WGS" latest-handshakes | awk -v k="$(user show alice | grep -o '"public_key":"[^"]*"' | head -n1 | cut -d'"' -f4)" '$1 == k { print $2 }')"
user config bob >"$WT_DIR/$BO.conf"
check "bob brings his config up" in_ns c2 "$WARREN" up --state-dir "$WT_DIR/c2" "$WT_DIR/$BO.conf"
check "bob reaches the server" ping_ok c2 10.9.0.1
check_eq "user list names both" "alice bob" "$(user list | awk '{ print $1 }' | xargs)"
check_eq "an expiry given as a date reads as the end of that day" \
	"user bob: enabled, expires 2099-01-31 23:59:59, quota 5 GiB/month" "$(user set bob --expires 2099-01-31)"
check_eq "so does the list" "expires 2099-01-31 23:59:59" "$(user list | grep -o '^bob .*expires [0-9-]* [0-9:]*' | grep -o 'expires .*')"
check_eq "and the JSON holds the instant it ends, that day's closing midnight" "$(date -d 2099-02-01 +%s)" \
	"$(user show bob | grep -o '"expires":[0-9]*' | cut -d: -f2)"
check "user list --json carries bob's quota" bash -c \
	"'$WARREN' user list --json -s '$SOCK' | grep -q '\"name\":\"bob\",[^}]*\"quota_bytes\":5368709120,\"quota_period\":\"month\"'"

in_ns srv "$WARREN" user qr alice --png "$WT_DIR/alice.png" -s "$SOCK"
check_eq "user qr --png writes a private PNG" "600 PNG" \
	"$(stat -c %a "$WT_DIR/alice.png") $(head -c 4 "$WT_DIR/alice.png" | tail -c 3)"
check "user qr draws in the terminal" bash -c "'$WARREN' user qr alice -s '$SOCK' | grep -q '█'"

check "user disable alice" user disable alice
check_eq "her peer is gone from the link" 1 "$(peers)"
check_not "alice is cut off" in_ns c1 ping -n -c 1 -W 1 10.9.0.1
check "user enable alice" user enable alice
# Her client still holds keys the new peer never saw: it handshakes again within ~15 s.
check "alice is back" ping_ok c1 10.9.0.1 15
check "user delete bob" user delete bob
check_eq "only alice is left, in the database and on the link" "alice 1" \
	"$(user list | awk '{ print $1 }' | xargs) $(peers)"

# reload: client settings follow the file; what users' rows hang on does not move.
sed -i 's/egress = /client_keepalive = 7; egress = /' "$CONF"
check "warren reload" in_ns srv "$WARREN" reload -s "$SOCK"
check_eq "configs handed out follow the file" "PersistentKeepalive = 7" "$(user config alice | grep Keepalive)"
cp "$CONF" "$CONF.good"
sed -i 's|"10.9.0.0/24"|"10.8.0.0/24"|' "$CONF"
out=$(in_ns srv "$WARREN" reload -s "$SOCK" 2>&1); rc=$?
check_eq "a reload that moves the pool is refused" "1 server.pool changes only with a restart" "$rc $out"
check_eq "and the link keeps its address" "10.9.0.1/24" \
	"$(in_ns srv ip -o -4 addr show dev "$WGS" | awk '{ print $4 }')"
mv "$CONF.good" "$CONF"

# kill -9 and a restart: the database survives and the link is rebuilt from it.
kill -9 "$SERVER"; wait "$SERVER" 2>/dev/null
in_ns srv ip link del "$WGS" 2>/dev/null
start_server 2
check "after kill -9 the server starts again" test $? = 0
check_eq "alice's peer is back from the database" 1 "$(peers)"
check "alice reaches the server again" ping_ok c1 10.9.0.1 15

kill -TERM "$SERVER"
check "SIGTERM stops the server" wait_for 10 bash -c "! kill -0 $SERVER 2>/dev/null"
check_state "after stop the server's namespace is as before" srv before
check "the database stays" test -s "$DB"
finish
