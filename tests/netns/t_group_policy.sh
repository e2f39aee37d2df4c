#!/usr/bin/env bash
# tests/netns/t_group_policy.sh: a group's access policy as admins meet it: the file's
# server.policy inherited, fields set and put back by the CLI and the HTTPS API, shown
# with where each comes from, bad values refused naming the field with the database
# unchanged, a user's own rate, what a user's portal shows, and a version-5 database
# migrated on start.
#
#   ns srv (warren server)  vs 10.202.0.1/24 ---- vc 10.202.0.2/24  ns cl (curl)
#   portal https://10.202.0.1:8443
. "$(dirname "$0")/lib.sh"
[ "$WARREN_BACKEND" = kernel ] &&
	skip_all "the policy's model does not touch the WireGuard backend; the host tier runs it"
require ip wg jq openssl curl sqlite3
need_warren

VS=$(lname vs) VC=$(lname vc) WGS=$(lname wgs)
ns_new srv cl
veth srv "$VS" 10.202.0.1/24 cl "$VC" 10.202.0.2/24
SOCK=$WT_DIR/server.sock CONF=$WT_DIR/server.conf URL=https://10.202.0.1:8443 DB=$WT_DIR/warren.db
test_ca 10.202.0.1 || finish

# A database as warren 5 left it, with a group and a user in it.
sqlite3 "$DB" <"$WT_ROOT/tests/data/schema-v5.sql"
sqlite3 "$DB" "INSERT INTO groups (id, name, created) VALUES (2, 'old', 1700000000);
	INSERT INTO users (name, created, period_start, group_id) VALUES ('olduser', 1700000000, 1700000000, 2);"

cat >"$CONF" <<EOF2
daemon = { state_dir = "$WT_DIR/state"; socket = "$SOCK"; };
server = { interface = "$WGS"; listen_port = 51820; private_key = "$(wg_genkey)";
           endpoint = "10.202.0.1:51820"; pool = [ "10.9.0.0/24" ];
           client_allowed_ips = [ "10.9.0.0/24", "192.168.50.0/24" ]; egress = "$VS"; snat = false;
           database = "$DB";
           timezone = "Europe/Berlin";
           policy = { schedule = "Mon-Fri 08:00-18:00"; rate = "20Mbit/5Mbit"; idle = 1800; };
           portal = { listen = "10.202.0.1:8443"; tls_cert_file = "$WT_DIR/portal.crt";
                      tls_key_file = "$WT_DIR/portal.key"; }; };
EOF2
W() { in_ns srv "$WARREN" "$@" -s "$SOCK"; }

# ---- the file's policy is checked like every other key
BAD=$WT_DIR/bad.conf
sed 's|rate = "20Mbit/5Mbit"|rate = "20Mbps/5Mbit"|' "$CONF" >"$BAD"
in_ns srv "$WARREN" server -c "$BAD" >"$WT_DIR/bad.out" 2>&1
check_eq "a bad rate in the file: exit 2" 2 "$?"
check "naming the file, line and field" grep -q "bad.conf:[0-9]*: policy: rate \"20Mbps\": bad unit" "$WT_DIR/bad.out"
sed 's|timezone = "Europe/Berlin"|timezone = "Europe/Atlantis"|' "$CONF" >"$BAD"
in_ns srv "$WARREN" server -c "$BAD" >"$WT_DIR/bad.out" 2>&1
check_eq "a zone that does not exist: exit 2" 2 "$?"
check "said so" grep -q 'timezone "Europe/Atlantis": no such zone' "$WT_DIR/bad.out"

spawn srv server "$WARREN" server -c "$CONF"
portal_up() { in_ns cl curl -s -o /dev/null --cacert "$WT_DIR/ca.pem" "$URL/"; }
wait_for 10 test -S "$SOCK" && wait_for 5 portal_up
check "the server starts on the version-5 database" test $? = 0
# The current schema version, from the code that migrates to it.
SCHEMA=$(sed -n 's/^#define DB_SCHEMA_VERSION \([0-9]*\)$/\1/p' "$WT_ROOT/server/db/db.h")
check_eq "migrated to the current version ($SCHEMA)" "$SCHEMA" "$(sqlite3 "$DB" 'PRAGMA user_version')"
check_eq "its group and user are kept" "old|olduser" \
	"$(sqlite3 "$DB" "SELECT g.name, u.name FROM users u JOIN groups g ON g.id = u.group_id")"

# ---- the CLI
check "group add with policy options" W group add staff --destinations 10.9.0.0/24,192.168.50.10:443/tcp --isolate
W group show staff >"$WT_DIR/show"
check_eq "show: the group's own destinations" "destinations  10.9.0.0/24, 192.168.50.10:443/tcp" \
	"$(grep '^destinations' "$WT_DIR/show")"
check_eq "show: the file's schedule, marked" "schedule      Mon-Fri 08:00-18:00 (file)" \
	"$(grep '^schedule' "$WT_DIR/show")"
check_eq "show: the file's rate" "rate          20Mbit/5Mbit (file)" "$(grep '^rate' "$WT_DIR/show")"
check_eq "show: isolate set by the group" "isolate       yes" "$(grep '^isolate' "$WT_DIR/show")"
check_eq "show: no sources anywhere" "sources       any (file)" "$(grep '^sources' "$WT_DIR/show")"
W group set staff --schedule "Sat-Mon 22:00-02:00" --rate 1.5Mbit/unlimited --idle 30m --max-maps 3 >/dev/null
check_eq "set: the values are stored in canonical text" "Sat-Mon 22:00-02:00|1500kbit/unlimited|1800|3" \
	"$(sqlite3 "$DB" "SELECT schedule, rate, idle_s, max_maps FROM groups WHERE name = 'staff'")"
check_eq "show --json: value and origin" "Sat-Mon 22:00-02:00 group 1800 group" \
	"$(W group show staff --json | jq -r '.policy | "\(.schedule.value) \(.schedule.from) \(.idle.value) \(.idle.from)"')"
W group set staff --inherit schedule --inherit max-maps --no-isolate >/dev/null
check_eq "--inherit puts NULL back" "||0" \
	"$(sqlite3 "$DB" "SELECT schedule, max_maps, isolate FROM groups WHERE name = 'staff'")"
check_eq "and show says the file's again" "Mon-Fri 08:00-18:00 file" \
	"$(W group show staff --json | jq -r '.policy.schedule | "\(.value) \(.from)"')"
SUM=$(sqlite3 "$DB" "SELECT * FROM groups" | sha256sum)
W group set staff --schedule "Mon-Fri 8:00-18" >/dev/null 2>"$WT_DIR/err"
check_eq "a bad schedule: exit 2" 2 "$?"
check_eq "naming the option and the item" 'warren group: --schedule: "Mon-Fri 8:00-18": bad time' \
	"$(cat "$WT_DIR/err")"
W group set staff --destinations 10.0.0.1/8 >/dev/null 2>"$WT_DIR/err"
check_eq "host bits in a destination: exit 2" 2 "$?"
check "said so" grep -q 'host bits set' "$WT_DIR/err"
W group set staff --inherit colour >/dev/null 2>&1
check_eq "--inherit of something that is no field: exit 2" 2 "$?"
check_eq "nothing of it was written" "$SUM" "$(sqlite3 "$DB" "SELECT * FROM groups" | sha256sum)"

W user add alice --group staff >/dev/null
W user set alice --rate 5Mbit/1Mbit >/dev/null
check_eq "user set --rate" "5Mbit/1Mbit" "$(sqlite3 "$DB" "SELECT rate FROM users WHERE name = 'alice'")"
check_eq "user show has it" "5Mbit/1Mbit" "$(W user show alice --json | jq -r .rate)"
W user set alice --rate 5Mbps >/dev/null 2>"$WT_DIR/err"
check_eq "a bad user rate: exit 2" 2 "$?"
W user set alice --rate-inherit >/dev/null
check_eq "--rate-inherit: NULL again" "1" "$(sqlite3 "$DB" "SELECT rate IS NULL FROM users WHERE name = 'alice'")"

# ---- the HTTPS API, with an admin token
AUTH=$(W token add ops --role admin)
req GET /api/v1/groups/staff
check_eq "GET a group" "200 staff group file" \
	"$ST $(jq -r '"\(.name) \(.policy.destinations.from) \(.policy.schedule.from)"' "$WT_DIR/body")"
req PATCH /api/v1/groups/staff '{"rate":"10Mbit/2Mbit","sources":["203.0.113.0/24"],"portal_login":true}'
check_eq "PATCH sets fields" "200 10Mbit/2Mbit group 203.0.113.0/24 true" \
	"$ST $(jq -r '.policy | "\(.rate.value) \(.rate.from) \(.sources.value[0]) \(.portal_login.value)"' "$WT_DIR/body")"
SUM=$(sqlite3 "$DB" "SELECT * FROM groups" | sha256sum)
req PATCH /api/v1/groups/staff '{"rate":"1Mbit","destinations":["10.0.0.0/33"]}'
check_eq "a bad field: 400 naming it with the parser's reason" \
	'400 destinations: "10.0.0.0/33": prefix longer than 32' "$ST $(err)"
req PATCH /api/v1/groups/staff '{"idle":"soon"}'
check_eq "a bad idle: 400" '400 idle: duration "soon": expected N followed by s, m, h or d' "$ST $(err)"
req POST /api/v1/groups '{"name":"bad","schedule":"Mo 08:00-09:00"}'
check_eq "group.add with a bad field: 400" '400 schedule: "Mo 08:00-09:00": bad day (Mon, Tue, ... Sun)' "$ST $(err)"
check_eq "and no group was made" 0 "$(sqlite3 "$DB" "SELECT count(*) FROM groups WHERE name = 'bad'")"
check_eq "the database is unchanged by the refusals" "$SUM" "$(sqlite3 "$DB" "SELECT * FROM groups" | sha256sum)"
req PATCH /api/v1/groups/staff '{"rate":null,"sources":null}'
check_eq "null goes back to the file's" "200 20Mbit/5Mbit file [] file" \
	"$ST $(jq -r -c '.policy | "\(.rate.value) \(.rate.from) \(.sources.value) \(.sources.from)"' "$WT_DIR/body")"
req POST /api/v1/groups '{"name":"guests","destinations":"192.168.50.0/24/udp","schedule":"never"}'
check_eq "group.add with policy fields" "201 192.168.50.0/24/udp never" \
	"$ST $(jq -r '.policy | "\(.destinations.value[0]) \(.schedule.value)"' "$WT_DIR/body")"
req GET /api/v1/groups
check_eq "the list carries each group's policy" "default:file old:file staff:group guests:group" \
	"$(jq -r '[.groups[] | "\(.name):\(.policy.destinations.from)"] | join(" ")' "$WT_DIR/body")"
req PATCH /api/v1/users/alice '{"rate":"unlimited/1Mbit"}'
check_eq "a user's rate over the API" "200 unlimited/1Mbit" "$ST $(jq -r .rate "$WT_DIR/body")"
req PATCH /api/v1/users/alice '{"rate":"1Mbit/0bit"}'
check_eq "a bad one: 400" '400 rate: "0bit": zero (write unlimited for no limit)' "$ST $(err)"

# ---- what alice's portal shows
AUTH=
AP=$(W user passwd alice)
login alice "$AP"
req POST /api/v1/password "{\"old\":\"$AP\",\"new\":\"alice's own words\"}"
login alice "alice's own words"
req GET /api/v1/me/resources
check_eq "resources: the group's destinations" "200 10.9.0.0/24 192.168.50.10/32 tcp 443" \
	"$ST $(jq -r '"\(.resources[0].destination) \(.destinations[1].network) \(.destinations[1].protocol) \(.destinations[1].ports)"' "$WT_DIR/body")"
check_eq "and the schedule in the server's zone" "Mon-Fri 08:00-18:00 Europe/Berlin" \
	"$(jq -r '.schedule | "\(.value) \(.timezone)"' "$WT_DIR/body")"
check "next is an ISO-8601 UTC instant" bash -c \
	"jq -r .schedule.next '$WT_DIR/body' | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:00Z\$'"
W user set alice --group guests >/dev/null
req GET /api/v1/me/resources
check_eq "another group, another policy" "192.168.50.0/24/udp udp never false null" \
	"$(jq -r '"\(.resources[0].destination) \(.destinations[0].protocol) \(.schedule.value) \(.schedule.open) \(.schedule.next)"' "$WT_DIR/body")"
W user set alice --group default >/dev/null
req GET /api/v1/me/resources
check_eq "no destinations of its own: what client_allowed_ips allows" "10.9.0.0/24 192.168.50.0/24 any" \
	"$(jq -r '"\(.resources[0].destination) \(.resources[1].destination) \(.destinations[0].protocol)"' "$WT_DIR/body")"
check "the server runs on" kill -0 "$WT_LAST_PID"
finish
