#!/usr/bin/env bash
# tests/netns/t_server_account.sh: the server counts what its users send, logs their
# sessions, cuts them off at expiry and quota, rotates keys, repairs drift, and keeps all
# of it across kill -9.
#
#   ns c1 (alice)  10.201.0.2/24 ---- vc1 10.201.0.1/24  ns srv (warren server)
#   ns c2 (bob)    10.202.0.2/24 ---- vc2 10.202.0.1/24   wg 10.9.0.1/24 :51820
#   c2 reaches the endpoint 10.201.0.1 through srv.
. "$(dirname "$0")/lib.sh"
require ip wg jq sqlite3
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
           endpoint = "10.201.0.1:51820"; pool = [ "10.9.0.0/24" ];
           client_allowed_ips = [ "10.9.0.0/24" ]; egress = "$VC1"; database = "$DB";
           accounting_interval_ms = 300; session_idle_s = 4; session_retention_days = 30; };
EOF
user() { in_ns srv "$WARREN" user "$@" -s "$SOCK"; }
field() { user show "$1" | jq -r ".$2"; }                   # field USER MEMBER
status_user() { in_ns srv "$WARREN" status --json -s "$SOCK" | jq -c ".users[] | select(.name == \"$1\")"; }
sessions() { in_ns srv "$WARREN" session list --json "$@" -s "$SOCK"; }
peers() { in_ns srv wg show "$WGS" peers | grep -c .; }
up() { in_ns "$1" "$WARREN" up --state-dir "$WT_DIR/$1" "$2"; }
down() { in_ns "$1" "$WARREN" down --state-dir "$WT_DIR/$1" "$2"; }
# send NS BYTES: about BYTES of ICMP payload to the server (1400 at a time, 200 a second)
rx_at_least() { [ "$(field "$1" rx_bytes)" -ge "$2" ]; }
state_is() { [ "$(field "$1" state)" = "$2" ]; }
send() { in_ns "$1" ping -n -q -i 0.005 -s 1400 -c $(($2 / 1400)) -W 1 10.9.0.1 >/dev/null 2>&1; }
state_save srv before

start_server() {
	spawn srv "server$1" "$WARREN" server -c "$CONF"
	SERVER=$WT_LAST_PID
	wait_for 10 test -S "$SOCK" && wait_for 5 in_ns srv wg show "$WGS"
}
start_server 1
check "the server starts" test $? = 0
user add alice >/dev/null && user config alice >"$WT_DIR/$AL.conf"
check "alice connects" up c1 "$WT_DIR/$AL.conf"
check "alice reaches the server" ping_ok c1 10.9.0.1
ALPORT=$(in_ns c1 wg show "$AL" listen-port)

# ---- accounting and status
send c1 300000
check "her traffic is counted within a second" wait_for 2 rx_at_least alice 300000
check "and what the server sent her" test "$(field alice tx_bytes)" -ge 300000
st=$(status_user alice)
check_eq "status: alice online from her endpoint" "true 10.201.0.2:$ALPORT [\"10.9.0.2/32\"]" \
	"$(jq -r '"\(.online) \(.endpoint) \(.addresses|tojson)"' <<<"$st")"
check "status: her handshake is recent" test $(( $(date +%s) - $(jq .latest_handshake <<<"$st") )) -lt 30
check "status text names her online" grep -q '^  user alice: online  10.9.0.2/32' \
	<<<"$(in_ns srv "$WARREN" status -s "$SOCK")"

# ---- the session log
s=$(sessions --user alice)
check_eq "one open session for alice" "1 null" "$(jq -r 'length, .[0].ended' <<<"$s" | xargs)"
check_eq "it holds her endpoint and address" "10.201.0.2:$ALPORT 10.9.0.2/32" \
	"$(jq -r '.[0] | "\(.endpoint) \(.address)"' <<<"$s")"
check "and her bytes" test "$(jq '.[0].rx_bytes' <<<"$s")" -ge 300000
# She moves: a new source port, seen within a reading.
in_ns c1 wg set "$AL" listen-port 40404
ping_ok c1 10.9.0.1 >/dev/null
moved() { sessions --user alice | jq -e '.[0].endpoint_changes | map(.endpoint) | index("10.201.0.2:40404")'; }
check "an endpoint change is recorded in the session" wait_for 3 moved
check_eq "the session rows are in the database" "1" \
	"$(sqlite3 "$DB" "SELECT count(*) FROM session_endpoints JOIN sessions ON sessions.id = session_id WHERE session_endpoints.endpoint = '10.201.0.2:40404'")"
down c1 "$WT_DIR/$AL.conf"
ended() { sessions --user alice | jq -e '.[0].ended != null'; }
check "after session_idle_s of silence her session ends" wait_for 8 ended
check_eq "and status shows her offline" "false" "$(status_user alice | jq .online)"
s=$(sessions --user alice)
check "the closed session lasted as long as she talked" test "$(jq '.[0].duration_s' <<<"$s")" -ge 0 -a \
	"$(jq '.[0].duration_s' <<<"$s")" -lt 30
check_eq "session list --since tomorrow is empty" "0" \
	"$(sessions --since "$(date -d tomorrow +%F)" | jq length)"
check_eq "a search finds her sessions by her name, her address and the endpoint she moved to" "1 1 1 0" \
	"$(sessions --search lic | jq length) $(sessions --search 10.9.0.2/ | jq length) $(sessions --search :40404 | jq length) $(sessions --search nobody | jq length)"

# ---- kill -9 keeps the database and the link; nothing is lost or counted twice
up c1 "$WT_DIR/$AL.conf" >/dev/null
ping_ok c1 10.9.0.1 >/dev/null
send c1 100000
sleep 1
rx1=$(field alice rx_bytes)
n1=$(sessions --user alice | jq length)
kill -9 "$SERVER"; wait "$SERVER" 2>/dev/null
check "the link outlives a crashed server" in_ns srv wg show "$WGS"
send c1 200000                                  # while the server is away
start_server 2
check "the server starts again after kill -9" test $? = 0
check_eq "the database is intact" "ok" "$(sqlite3 "$DB" 'PRAGMA integrity_check')"
check "bytes sent while it was away are counted" wait_for 3 rx_at_least alice $((rx1 + 200000))
check "and counted once" test "$(field alice rx_bytes)" -lt $((rx1 + 260000))
check_eq "her open session went on" "$n1 null" "$(sessions --user alice | jq -r 'length, .[-1].ended' | xargs)"
check "alice still reaches the server" ping_ok c1 10.9.0.1

# ---- drift: a peer removed or added behind the server's back is put right
bob_key=$(wg_genkey | wg pubkey)
hs=$(in_ns srv wg show "$WGS" latest-handshakes | awk '{ print $2 }')
in_ns srv wg set "$WGS" peer "$bob_key" allowed-ips 10.9.0.200/32
peers_are() { [ "$(peers)" = "$1" ]; }
check "a foreign peer is removed" wait_for 3 peers_are 1
alice_key=$(field alice public_key)
in_ns srv wg set "$WGS" peer "$alice_key" remove
has_peer() { in_ns srv wg show "$WGS" peers | grep -qF "$1"; }
check "a removed peer is restored" wait_for 3 has_peer "$alice_key"
check "alice reaches the server again" ping_ok c1 10.9.0.1 15
rx2=$(field alice rx_bytes)
send c1 100000
check "counting goes on after her peer was made anew" wait_for 2 rx_at_least alice $((rx2 + 100000))

# ---- expiry
check_eq "user set --expires 2s" "user alice: enabled, expires" \
	"$(user set alice --expires 2s | cut -d, -f1-2 | cut -c1-28)"
check "at the expiry she is disabled" wait_for 5 state_is alice expired
check_eq "her peer left the link" 0 "$(peers)"
check_not "alice is cut off" in_ns c1 ping -n -c 1 -W 1 10.9.0.1
check "the reason shows in user list" grep -q '^alice  *expired' <<<"$(user list)"
check_eq "and in status" "expired" "$(status_user alice | jq -r .state)"
out=$(user enable alice 2>&1); rc=$?
check_eq "enable does not override an expiry" "1 user alice stays disabled: it has expired (user set --expires)" "$rc $out"
check "extended, she is enabled again" grep -q 'alice: enabled' <<<"$(user set alice --expires 30d)"
check "and reaches the server" ping_ok c1 10.9.0.1 15

# ---- quota
user add bob --quota 1MiB >/dev/null && user config bob >"$WT_DIR/$BO.conf"
check "bob connects" up c2 "$WT_DIR/$BO.conf"
check "bob reaches the server" ping_ok c2 10.9.0.1
send c2 2000000
check "a 1 MiB quota stops bob" wait_for 2 state_is bob quota
used=$(field bob quota_used)
check "after about 1 MiB ($used bytes)" test "$used" -ge 1048576 -a "$used" -lt 1572864
check_not "bob is cut off" in_ns c2 ping -n -c 1 -W 1 10.9.0.1
check "alice is not" ping_ok c1 10.9.0.1
check "a larger quota lets bob back" grep -q 'bob: enabled' <<<"$(user set bob --quota 10MiB)"
check "and he reaches the server" ping_ok c2 10.9.0.1 15

sleep 1                                         # his pings are accounted first
check "a monthly quota set later counts from now" grep -q 'bob: enabled, expires never, quota 10 MiB/month' \
	<<<"$(user set bob --quota 10MiB/month --reset-day 3)"
check_eq "so nothing is used yet this month" "0 3" "$(user show bob | jq -r '"\(.quota_used) \(.quota_reset_day)"')"
check "its period began just now" test $(( $(date +%s) - $(field bob period_start) )) -lt 10

# ---- rotation
tot=$(( $(field alice rx_bytes) + $(field alice tx_bytes) ))
old_key=$(field alice public_key)
check "user rotate alice" user rotate alice
check_not "the old key is refused" ping_ok c1 10.9.0.1 3
check_not "the old key is gone from the link" has_peer "$old_key"
down c1 "$WT_DIR/$AL.conf"
user config alice >"$WT_DIR/$AL.conf"
check "the new config comes up" up c1 "$WT_DIR/$AL.conf"
check "and reaches the server" ping_ok c1 10.9.0.1
check_eq "same address after rotation" '["10.9.0.2/32"]' "$(user show alice | jq -c .addresses)"
check "totals are kept" test $(( $(field alice rx_bytes) + $(field alice tx_bytes) )) -ge "$tot"

# ---- retention: sessions that ended long ago go at start
sqlite3 "$DB" "INSERT INTO sessions (user_id, device_id, started, ended, endpoint, address)
	SELECT users.id, devices.id, 1000, 2000, 'x', 'y' FROM users JOIN devices ON devices.user_id = users.id
	WHERE users.name = 'alice'"
check_eq "an old session is in the log" 1 "$(sqlite3 "$DB" 'SELECT count(*) FROM sessions WHERE started = 1000')"
kill -TERM "$SERVER"; wait "$SERVER" 2>/dev/null
check_eq "SIGTERM closes every open session" 0 "$(sqlite3 "$DB" 'SELECT count(*) FROM sessions WHERE ended IS NULL')"
check_state "after stop the server's namespace is as before" srv before
start_server 3
old_gone() { [ "$(sqlite3 "$DB" 'SELECT count(*) FROM sessions WHERE started = 1000')" = 0 ]; }
check "sessions past session_retention_days are purged" wait_for 3 old_gone
check_eq "newer ones stay" 1 "$(sqlite3 "$DB" "SELECT count(*) > 0 FROM sessions WHERE started > 1000")"
kill -TERM "$SERVER"; wait "$SERVER" 2>/dev/null
finish
