#!/usr/bin/env bash
# tests/netns/t_announce.sh: announcements, the services catalog and resources over HTTPS
# and the CLI, against a real server: an admin writes for everyone and for a group; each
# user's feed shows its own audience with unread counts, read marks are rows that go
# with their announcement or group, the end (until) hides one, a change of audience moves
# it, the event streams carry the unread count; services are filtered by group and
# resources follow the runtime settings; roles hold, bad input is refused naming the
# field, and the CLI's outputs and exit statuses are its contract.
#
#   ns srv (warren server)  vs 10.201.0.1/24 ---- vc 10.201.0.2/24  ns cl (curl)
#   portal https://10.201.0.1:8443
. "$(dirname "$0")/lib.sh"
[ "$WARREN_BACKEND" = kernel ] &&
	skip_all "HTTP, the feed and the catalog do not touch the WireGuard backend; the host tier runs it"
require ip wg jq openssl curl sqlite3
need_warren

VS=$(lname vs) VC=$(lname vc) WGS=$(lname wgs)
ns_new srv cl
veth srv "$VS" 10.201.0.1/24 cl "$VC" 10.201.0.2/24
SOCK=$WT_DIR/server.sock CONF=$WT_DIR/server.conf URL=https://10.201.0.1:8443 DB=$WT_DIR/warren.db
test_ca 10.201.0.1 || finish
cat >"$CONF" <<EOF
daemon = { state_dir = "$WT_DIR/state"; socket = "$SOCK"; };
server = { interface = "$WGS"; listen_port = 51820; private_key = "$(wg_genkey)";
           endpoint = "10.201.0.1:51820"; pool = [ "10.9.0.0/24" ];
           client_allowed_ips = [ "10.9.0.0/24" ]; egress = "$VS"; snat = false;
           database = "$DB";
           portal = { listen = "10.201.0.1:8443"; tls_cert_file = "$WT_DIR/portal.crt";
                      tls_key_file = "$WT_DIR/portal.key"; }; };
EOF
W() { in_ns srv "$WARREN" "$@" -s "$SOCK"; }
# cli ARGS...: the CLI's exit status, stdout and stderr as "RC|OUT|ERR"
cli() {
	local out err rc
	out=$(in_ns srv "$WARREN" "$@" -s "$SOCK" 2>"$WT_DIR/cli.err"); rc=$?
	err=$(cat "$WT_DIR/cli.err")
	printf '%s|%s|%s' "$rc" "$out" "$err"
}
sql() { sqlite3 -separator ' ' "$DB" "$1"; }
spawn srv server "$WARREN" server -c "$CONF"
portal_up() { in_ns cl curl -s -o /dev/null --cacert "$WT_DIR/ca.pem" "$URL/"; }
wait_for 10 test -S "$SOCK" && wait_for 5 portal_up
check "the server starts with its portal" test $? = 0

j() { jq -r "$1" "$WT_DIR/body"; }
# as_admin / as_viewer / as NAME: who the next requests are
as_admin() { AUTH=$ADMIN_TOKEN COOKIE= CSRF=; }
as_viewer() { AUTH=$VIEWER_TOKEN COOKIE= CSRF=; }
declare -A COOKIES CSRFS
as() { AUTH= COOKIE=${COOKIES[$1]} CSRF=${CSRFS[$1]}; }
# portal_user NAME: a portal password, a login and the forced change; the session kept
portal_user() {
	local p
	p=$(W user passwd "$1")
	AUTH= COOKIE= CSRF=
	req POST /api/v1/login "{\"name\":\"$1\",\"password\":\"$p\"}"
	COOKIE=$(set_cookie) CSRF=$(j .csrf)
	req POST /api/v1/password "{\"old\":\"$p\",\"new\":\"$1 reads the news\"}"
	COOKIES[$1]=$(set_cookie) CSRFS[$1]=$(j .csrf)
	[ "$ST" = 200 ]
}
# stream NAME: NAME's event stream (curl -N) into $WT_DIR/NAME.sse, open once it says retry
stream() {
	in_ns cl curl -sN --cacert "$WT_DIR/ca.pem" -H "Cookie: __Host-warren=${COOKIES[$1]}" \
		"$URL/api/v1/events" >"$WT_DIR/$1.sse" 2>/dev/null &
	track_pid $!
	wait_for 5 grep -q '^retry: ' "$WT_DIR/$1.sse"
}
# unread_events NAME: the unread counts NAME's stream was told, in order
unread_events() {
	awk 'BEGIN { RS = ""; FS = "\n" } {
		ev = ""; d = ""
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^event: /) ev = substr($i, 8)
			else if ($i ~ /^data: /) d = d substr($i, 7)
		}
		if (ev == "announcements") print d
	}' "$WT_DIR/$1.sse" | jq -r .unread | xargs
}
told() { [ "$(unread_events "$1")" = "$2" ]; }
last_told() { [ "$(unread_events "$1" | awk '{ print $NF }')" = "$2" ]; }
n_told() { unread_events "$1" | wc -w; }
more_told() { [ "$(n_told "$1")" -gt "$2" ]; }
feed() {   # feed NAME: "total unread id:read ..." of NAME's feed
	as "$1"
	req GET /api/v1/me/announcements
	j '"\(.total) \(.unread) \([.announcements[] | "\(.id):\(.read)"] | join(" "))"'
}

# ---- accounts: staff has alice, default has bob; an admin token, a viewer token
W group add staff
W user add alice --group staff >/dev/null
W user add bob >/dev/null
ADMIN_TOKEN=$(W token add ops) VIEWER_TOKEN=$(W token add peek --role viewer)
portal_user alice && portal_user bob
check "alice and bob log in to the portal" test $? = 0
check "alice's stream opens" stream alice
check "bob's stream opens" stream bob

# ---- one announcement for everyone, one for staff
as_admin
req POST /api/v1/announcements '{"title":"Maintenance","text":"Saturday 02:00-04:00\nThe VPN restarts once."}'
A1=$(j .id)
check_eq "an admin adds one for everyone" "201 Maintenance null false null token:ops 0" \
	"$ST $(j '"\(.title) \(.group) \(.pinned) \(.until) \(.author) \(.reads)"')"
check_eq "its text keeps its lines" "Saturday 02:00-04:00|The VPN restarts once." "$(j .text | paste -sd'|')"
out=$(cli announce add --title "Staff meeting" --text "Friday, room 2" --group staff --pinned)
A2=${out#0|}; A2=${A2%|}
check "announce add prints the new id alone" bash -c "[[ '$out' =~ ^0\\|[0-9]+\\|\$ ]] && [ '$A2' -gt '$A1' ]"
check_eq "for its group, pinned" "staff true socket" \
	"$(W announce show "$A2" --json | jq -r '"\(.group) \(.pinned) \(.author)"')"
check_eq "alice (staff) sees both, pinned first, none read" "2 2 $A2:false $A1:false" "$(feed alice)"
check_eq "bob sees the one for everyone" "1 1 $A1:false" "$(feed bob)"
as alice
req GET /api/v1/me
check_eq "GET /me carries alice's unread count for the portal's header" "200 alice 2" \
	"$ST $(j '"\(.name) \(.unread_announcements)"')"
wait_for 3 told alice "1 2"
check_eq "alice's stream was told her unread count at each" "1 2" "$(unread_events alice)"
check_eq "bob's only at the one he sees" "1" "$(unread_events bob)"

# ---- read marks
as alice
req POST "/api/v1/me/announcements/$A2/read"
check_eq "alice marks the staff meeting read" 204 "$ST"
check_eq "her unread count drops" "2 1 $A2:true $A1:false" "$(feed alice)"
check_eq "the mark is a row of announcement_reads" "alice $A2" \
	"$(sql "SELECT u.name, r.announcement_id FROM announcement_reads r JOIN users u ON u.id = r.user_id")"
wait_for 3 told alice "1 2 1"
check "her stream hears it too (her other tabs)" test $? = 0
req POST "/api/v1/me/announcements/$A2/read"
check_eq "marking it again changes nothing" "204 1" "$ST $(sql 'SELECT count(*) FROM announcement_reads')"
check_eq "and is audited once, with the id as target" "1 $A2 user:alice" \
	"$(sql "SELECT count(*), target, actor FROM audit WHERE op = 'me.announcement.read'")"
as bob
req POST "/api/v1/me/announcements/$A2/read"
check_eq "bob cannot mark one he does not see" "404 no announcement $A2" "$ST $(err)"
req POST /api/v1/me/announcements/999999/read
check_eq "nor one that does not exist" 404 "$ST"
req POST /api/v1/me/announcements/abc/read
check_eq "an id is a number" "400 id: expected a whole number" "$ST $(err)"
req GET /api/v1/announcements
check_eq "a user cannot read the admins' list" "403 forbidden" "$ST $(err)"
req GET "/api/v1/me/announcements?user=alice"
check_eq "nor anyone else's feed" "400 user: unknown field" "$ST $(err)"
req GET "/api/v1/announcements/$A2"
check_eq "nor one announcement through the admin route" 403 "$ST"
CSRF=
req POST "/api/v1/me/announcements/$A1/read"
check_eq "a read mark from a cookie needs the CSRF token" 403 "$ST"
as_admin
req GET /api/v1/me/announcements
check_eq "a console token has no feed of its own" 403 "$ST"

# ---- the admins' view, roles
as_viewer
req GET /api/v1/announcements
check_eq "a viewer lists them, newest first, with reads" "200 2 $A2:1 $A1:0 null" \
	"$ST $(j '"\(.total) \([.announcements[] | "\(.id):\(.reads)"] | join(" ")) \(.next)"')"
req POST /api/v1/announcements '{"title":"x","text":"y"}'
check_eq "but cannot add one" "403 forbidden" "$ST $(err)"
req PATCH "/api/v1/announcements/$A1" '{"pinned":true}'
check_eq "nor change one" 403 "$ST"
req DELETE "/api/v1/announcements/$A1"
check_eq "nor delete one" 403 "$ST"
as_admin
req GET '/api/v1/announcements?limit=1'
NEXT=$(j .next)
req GET "/api/v1/announcements?limit=1&cursor=$NEXT"
check_eq "pages of one, by cursor" "$A1 null" "$(j '"\(.announcements[0].id) \(.next)"')"

# ---- audience and end
req PATCH "/api/v1/announcements/$A2" '{"group":null}'
check_eq "PATCH group null sends it to everyone" "200 null" "$ST $(j .group)"
check_eq "bob sees it now, pinned first" "2 2 $A2:false $A1:false" "$(feed bob)"
wait_for 3 told bob "1 2"
check "and his stream hears of it" test $? = 0
as_admin
req PATCH "/api/v1/announcements/$A2" '{"group":"staff"}'
check_eq "and back to staff" "200 staff" "$ST $(j .group)"
check_eq "bob no longer sees it" "1 1 $A1:false" "$(feed bob)"
as_admin
req PATCH "/api/v1/announcements/$A2" '{"group":"nosuch"}'
check_eq "a group that does not exist is refused" "400 group: no group \"nosuch\"" "$ST $(err)"
check_eq "and changes nothing" staff "$(W announce show "$A2" --json | jq -r .group)"
check_eq "announce set --until in the past prints its line" "0|$A1 - everyone until 2000-01-01 00:00 reads 0 Maintenance|" \
	"$(cli announce set "$A1" --until 2000-01-01 | tr -s ' ')"
check_eq "hides it from every feed" "1 0 $A2:true|0 0 " "$(feed alice)|$(feed bob)"
check_eq "the admins still list it" "2" "$(W announce list --json | jq length)"
check_eq "--no-until shows it again" "0" "$(cli announce set "$A1" --no-until | cut -d'|' -f1)"
check_eq "in both feeds" "2 1|1 1" "$(feed alice | cut -d' ' -f1,2)|$(feed bob | cut -d' ' -f1,2)"

# ---- what goes with what: a group's deletion takes its announcements and their reads
W group add temp
N=$(n_told bob)
W user set bob --group temp >/dev/null
wait_for 3 more_told bob "$N"
check "a user moved to another group is told its new unread count" last_told bob 1
as_admin
req POST /api/v1/announcements '{"title":"Temp only","text":"for temp","group":"temp","until":"2099-12-31T23:00Z"}'
A3=$(j .id)
check_eq "one for group temp, with an end" "201 temp 4102441200" "$ST $(j '"\(.group) \(.until)"')"
wait_for 3 last_told bob 2
check "bob, in temp now, hears of it" test $? = 0
as bob
req POST "/api/v1/me/announcements/$A3/read"
check_eq "bob (in temp now) reads it" "204 1" "$ST $(sql "SELECT count(*) FROM announcement_reads WHERE announcement_id = $A3")"
W user set bob --group default >/dev/null
check_eq "a group with users stays, as before" "1" "$(cli group delete staff | cut -d'|' -f1)"
check "deleting group temp" W group delete temp
check_eq "takes its announcement and the read marks of it" "0 0" \
	"$(sql "SELECT count(*) FROM announcements WHERE id = $A3") $(sql "SELECT count(*) FROM announcement_reads WHERE announcement_id = $A3")"
as alice
req POST "/api/v1/me/announcements/$A1/read"
check "deleting an announcement" W announce delete "$A2"
check_eq "takes its read marks; others stay" "0 1" \
	"$(sql "SELECT count(*) FROM announcement_reads WHERE announcement_id = $A2") $(sql "SELECT count(*) FROM announcement_reads")"
as_admin
req GET "/api/v1/announcements/$A2"
check_eq "it is gone" "404 no announcement $A2" "$ST $(err)"
check_eq "alice's feed has what is left" "1 0 $A1:true" "$(feed alice)"

# ---- the CLI's text and status
A4=$(W announce add --title "Upgrade" --text "New client" --until 2099-01-01)
check "announce list prints one line each, newest first" bash -c \
	"ip netns exec '$(ns srv)' '$WARREN' announce list -s '$SOCK' | awk 'NR == 1 && \$1 == $A4 && \$3 == \"everyone\" && \$5 == \"2099-01-01\" && \$NF == \"Upgrade\" { f = 1 } NR == 2 && \$1 == $A1 { g = 1 } END { exit !(f && g && NR == 2) }'"
check_eq "announce show prints its fields and text" "id       $A4|title    Upgrade|group    everyone|pinned   no|author   socket|reads    0|New client" \
	"$(W announce show "$A4" | grep -v '^until\|^created\|^updated\|^$' | paste -sd'|')"
check_eq "announce list --json is the rows as the API has them" "$A4 $A1" "$(W announce list --json | jq -r 'map(.id) | join(" ")')"
check_eq "announce set --pinned --title prints its line" "0|$A4 pinned everyone" \
	"$(cli announce set "$A4" --pinned --title "Upgrade now" | awk '{ print $1, $2, $3 }')"
check_eq "announce show of one that is not there: exit 1, the server's message" "1||no announcement 999999" \
	"$(cli announce show 999999)"
N0=$(sql 'SELECT count(*) FROM audit')
check_eq "announce add without --title: exit 2, the option named" "2||warren announce: --title: missing" \
	"$(cli announce add --text x)"
check_eq "a bad date: exit 2, the option named" "2||warren announce: --until: date \"2027-02-30\": day out of range" \
	"$(cli announce add --title t --text x --until 2027-02-30)"
check_eq "an empty title" "2||warren announce: --title: empty" "$(cli announce add --title '   ' --text x)"
check_eq "--group and --everyone together" "2||warren announce: --group and --everyone: one or the other" \
	"$(cli announce set "$A4" --group staff --everyone)"
check_eq "nothing to change" "2||warren announce: nothing to change (title, text, group, pinned, until)" \
	"$(cli announce set "$A4")"
check_eq "an id that is not a number" "2||warren announce: id: expected a whole number" "$(cli announce delete x)"
check_eq "an unknown option prints the usage" "2" "$(cli announce add --title t --text x --colour red | cut -d'|' -f1)"
check_eq "none of them reached the server" "$N0" "$(sql 'SELECT count(*) FROM audit')"
check "announce --help prints the usage" bash -c "'$WARREN' announce --help | grep -q '^usage: warren announce add --title TITLE'"
check "service --help too" bash -c "'$WARREN' service --help | grep -q '^usage: warren service add NAME --address'"

# ---- hostile input: refused naming the field, nothing changed
as_admin
N1=$(sql 'SELECT count(*) FROM announcements')
big=$(head -c 201 /dev/zero | tr '\0' t)
req POST /api/v1/announcements "{\"title\":\"$big\",\"text\":\"x\"}"
check_eq "a title of 201 characters" "400 title: longer than 200 characters" "$ST $(err)"
req POST /api/v1/announcements "{\"title\":\"$(printf 'é%.0s' $(seq 200))\",\"text\":\"x\"}"
check_eq "200 two-byte characters are 200 characters" 201 "$ST"
sql "DELETE FROM announcements WHERE id = $(j .id)"
head -c 20001 /dev/zero | tr '\0' x >"$WT_DIR/text"
req POST /api/v1/announcements '' -H 'Content-Type: application/json' --data-binary "{\"title\":\"t\",\"text\":\"$(cat "$WT_DIR/text")\"}"
check_eq "a text of 20,001 characters" "400 text: longer than 20000 characters" "$ST $(err)"
req POST /api/v1/announcements '{"title":5,"text":"x"}'
check_eq "a title that is no string" "400 title: expected a string" "$ST $(err)"
req POST /api/v1/announcements '{"title":"t","text":"x","pinned":"yes"}'
check_eq "pinned that is no boolean" "400 pinned: expected true or false" "$ST $(err)"
req POST /api/v1/announcements '{"title":"t","text":"x","until":12}'
check_eq "until that is no date" "400 until: expected a date YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]" "$ST $(err)"
req POST /api/v1/announcements '{"title":"t","text":"x","audience":"all"}'
check_eq "an unknown field" "400 audience: unknown field" "$ST $(err)"
req POST /api/v1/announcements '{"title":"t\u0007","text":"x"}'
check_eq "a control character in the title" "400 title: control characters are not allowed" "$ST $(err)"
req POST /api/v1/announcements '{"title":"t","text":"x","group":"Bad Name"}'
check_eq "a group that is no name" "400 group \"Bad Name\": only a-z, 0-9, '.', '_' and '-' are allowed" "$ST $(err)"
req PATCH "/api/v1/announcements/$A4" '{"id":7}'
check_eq "the id belongs in the path" "400 id: belongs in the path" "$ST $(err)"
req PATCH /api/v1/announcements/0 '{"pinned":true}'
check_eq "id 0" "400 id: 0 is out of range (1..9223372036854775807)" "$ST $(err)"
check_eq "no announcement was made" "$N1" "$(sql 'SELECT count(*) FROM announcements')"

# ---- services
check_eq "service add prints its line" "0|wiki                 https://wiki.example.net/start   every group  The wiki|" \
	"$(cli service add wiki --address https://wiki.example.net/start --description 'The wiki')"
W service add git --address git.internal:22 --group staff >/dev/null
as_admin
req POST /api/v1/services '{"name":"mail","address":"[fd00::25]:993","groups":["default","staff"]}'
check_eq "a service over the API, for two groups" "201 mail [fd00::25]:993 default,staff" \
	"$ST $(j '"\(.name) \(.address) \(.groups | join(","))"')"
srv_names() { as "$1"; req GET /api/v1/me/services; j '[.services[].name] | join(" ")'; }
check_eq "alice (staff) is offered git, mail and wiki" "git mail wiki" "$(srv_names alice)"
check_eq "bob (default) mail and wiki" "mail wiki" "$(srv_names bob)"
as bob
req GET /api/v1/me/services
check_eq "each with its address and description only" '{"name":"wiki","address":"https://wiki.example.net/start","description":"The wiki"}' \
	"$(jq -c '.services[] | select(.name == "wiki")' "$WT_DIR/body")"
check "service set --everyone" W service set git --everyone
check_eq "offers git to bob too" "git mail wiki" "$(srv_names bob)"
W service set git --group staff --group staff >/dev/null
check_eq "a group given twice counts once" "staff" "$(W service show git --json | jq -r '.groups | join(",")')"
as_viewer
req GET '/api/v1/services?limit=2'
check_eq "a viewer lists the catalog by name, paged" "200 3 git mail true" \
	"$ST $(j '"\(.total) \([.services[].name] | join(" ")) \(.next != null)"')"
req PATCH /api/v1/services/git '{"description":"x"}'
check_eq "but cannot change it" 403 "$ST"
as_admin
req POST /api/v1/services '{"name":"bad","address":"no port"}'
check_eq "an address that is none" "400 address \"no port\": expected HOST:PORT or an http:// or https:// URL" "$ST $(err)"
for a in 'host:0' 'host:65536' 'ftp://x' 'https://' 'https://a b/' '[fd00::1' 'a..b:1'; do
	req POST /api/v1/services "{\"name\":\"bad\",\"address\":\"$a\"}"
	echo "$ST"
done >"$WT_DIR/codes"
check_eq "nor ports out of range, other schemes, spaces, broken brackets or empty labels" \
	"400 400 400 400 400 400 400" "$(xargs <"$WT_DIR/codes")"
req POST /api/v1/services '{"name":"bad","address":"x:1","groups":["nosuch"]}'
check_eq "a group that does not exist" "400 groups: no group \"nosuch\"" "$ST $(err)"
req POST /api/v1/services '{"name":"bad","address":"x:1","groups":"staff"}'
check_eq "groups that are no list" "400 groups: expected a list of strings" "$ST $(err)"
req POST /api/v1/services '{"name":"wiki","address":"x:1"}'
check_eq "a name taken" "409 service \"wiki\" exists already" "$ST $(err)"
check_eq "none made" "git mail wiki" "$(W service list --json | jq -r 'map(.name) | join(" ")')"
check_eq "service add without --address: exit 2, named" "2||warren service: --address: missing" "$(cli service add x)"
check_eq "service add with a bad address: exit 2" \
	"2||warren service: --address \"x\": expected HOST:PORT or an http:// or https:// URL" "$(cli service add x --address x)"
# A group a service names stays: a service for it alone would become everyone's.
W group add lab
W service add lab-printer --address 10.9.0.77:631 --group lab >/dev/null
check_eq "a group a service names is not deleted" \
	"1||group lab is named by services (change their groups first)" "$(cli group delete lab)"
W service set lab-printer --group default >/dev/null
check "once it names another, the group goes" W group delete lab
check_eq "service show prints its fields" "name         lab-printer|address      10.9.0.77:631|groups       default" \
	"$(W service show lab-printer | grep -v '^created\|^description' | paste -sd'|')"
check "service delete" W service delete lab-printer
check_eq "service show of one gone: exit 1" "1||no service \"lab-printer\"" "$(cli service show lab-printer)"

# ---- resources follow the settings
as alice
req GET /api/v1/me/resources
check_eq "alice's resources are the client_allowed_ips" '200 [{"destination":"10.9.0.0/24"}]' \
	"$ST $(jq -c .resources "$WT_DIR/body")"
check_eq "as destinations too, open all the time" '10.9.0.0/24 any null always true null' \
	"$(j '"\(.destinations[0].network) \(.destinations[0].protocol) \(.destinations[0].ports) \(.schedule.value) \(.schedule.open) \(.schedule.next)"')"
W settings set client_allowed_ips 10.9.0.0/24,192.168.50.0/24,fd00:50::/64 >/dev/null
req GET /api/v1/me/resources
check_eq "and follow a settings change at once" "10.9.0.0/24 192.168.50.0/24 fd00:50::/64" \
	"$(j '[.resources[].destination] | join(" ")')"
W settings reset client_allowed_ips >/dev/null
req GET /api/v1/me/resources
check_eq "and its reset" "10.9.0.0/24" "$(j '[.resources[].destination] | join(" ")')"
as_admin
req GET /api/v1/me/resources
check_eq "a console token has none of its own" 403 "$ST"

# ---- how soon a portal hears of a new announcement
N=$(n_told alice)
as_admin
T0=$(date +%s%N)
req POST /api/v1/announcements '{"title":"Quick","text":"timed"}'
wait_for 3 more_told alice "$N"
OK=$? T1=$(date +%s%N)
check "alice's stream hears of a new announcement" test $OK = 0
diag "announcements event $(( (T1 - T0) / 1000000 )) ms after the request was sent (curl and polling included)"
W announce delete "$(j .id)"

# ---- the audit: every change, by id or name
check_eq "the audit names each change's target" \
	"announcement.add:$A1 announcement.set:$A1 announcement.delete:$A2 service.add:wiki service.set:git service.delete:lab-printer" \
	"$(for q in "announcement.add $A1" "announcement.set $A1" "announcement.delete $A2" 'service.add wiki' 'service.set git' 'service.delete lab-printer'; do
		set -- $q; sql "SELECT DISTINCT op || ':' || target FROM audit WHERE op = '$1' AND target = '$2' AND status < 300"
	done | xargs)"
check "the server runs on" kill -0 "$WT_LAST_PID"
finish
