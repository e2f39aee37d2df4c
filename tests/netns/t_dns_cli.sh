#!/usr/bin/env bash
# tests/netns/t_dns_cli.sh: `warren dns ...` against a running server: records, rules and
# block lists added, listed, changed and deleted (the rows in the database after each),
# bad input refused with exit 2 naming the field and nothing written, the server's own
# refusals (a group that does not exist, an id that does not exist) exit 1, and the query
# log and statistics after a few queries to the resolver for its internal names. The
# resolver's upstream is a port where nothing listens: internal names need none.
#
#   ns srv: warren server (wg $WGS 10.9.0.1/24), resolver on 127.0.0.1:5353, dig
. "$(dirname "$0")/lib.sh"
require ip wg jq sqlite3 dig
need_warren

WGS=$(lname wgs)
SOCK=$WT_DIR/server.sock CONF=$WT_DIR/server.conf DB=$WT_DIR/warren.db
ns_new srv
cat >"$CONF" <<EOF
daemon = { state_dir = "$WT_DIR/state"; socket = "$SOCK"; };
server = { interface = "$WGS"; listen_port = 51820; private_key = "$(wg_genkey)";
           endpoint = "10.9.0.1:51820"; pool = [ "10.9.0.0/24" ];
           client_allowed_ips = [ "10.9.0.0/24" ]; snat = false; database = "$DB";
           resolver = { upstream = [ "127.0.0.1:5399" ]; port = 5353;
                        listen = [ "127.0.0.1" ]; dnssec = false; redirect = false; }; };
EOF
spawn srv server "$WARREN" server -c "$CONF"
SERVER=$WT_LAST_PID
wait_for 10 test -S "$SOCK"
check "the server starts with its resolver" test $? = 0 || { cat "$WT_DIR/server.log"; finish; }

W() { in_ns srv "$WARREN" "$@" -s "$SOCK"; }
# cli ARGS...: "RC|OUT|ERR" of the command
cli() {
	local out err rc
	out=$(in_ns srv "$WARREN" "$@" -s "$SOCK" 2>"$WT_DIR/cli.err"); rc=$?
	err=$(cat "$WT_DIR/cli.err")
	printf '%s|%s|%s' "$rc" "$out" "$err"
}
sql() { sqlite3 -readonly -separator ' ' "$DB" "$1"; }
# refused WHAT WANT-ERR ARGS...: exit 2 with that message, nothing written
refused() {
	local what=$1 want=$2 before after got
	shift 2
	before=$(sql "SELECT count(*) FROM dns_records; SELECT count(*) FROM dns_rules;
		SELECT count(*) FROM dns_lists; SELECT count(*) FROM dns_list_groups;" | xargs)
	got=$(cli "$@")
	after=$(sql "SELECT count(*) FROM dns_records; SELECT count(*) FROM dns_rules;
		SELECT count(*) FROM dns_lists; SELECT count(*) FROM dns_list_groups;" | xargs)
	check_eq "$what" "2||$want" "$got"
	check_eq "$what: nothing written" "$before" "$after"
}

W group add staff >/dev/null
W user add alice --group staff >/dev/null
W user add bob >/dev/null

# ---- help and usage
help=$("$WARREN" dns --help); rc=$?
check "dns --help exits 0" test "$rc" = 0
check "dns --help names every part" eval 'grep -q "record add NAME TYPE VALUE" <<<"$help" &&
	grep -q "rule add block|allow PATTERN" <<<"$help" && grep -q "list add NAME PATH|URL" <<<"$help" &&
	grep -q "log \[--user USER" <<<"$help" && grep -q "stats \[--since DATE" <<<"$help"'
got=$("$WARREN" dns 2>&1); rc=$?
check_eq "dns alone: its usage, exit 2" "2 usage: warren dns" "$rc $(head -1 <<<"$got" | cut -c1-17)"
check_eq "dns nope: exit 2" "2||warren dns: unknown command \"nope\": record rule list log stats" \
	"$(cli dns nope)"
check_eq "dns record add without a value: its usage" \
	"2||warren dns record: usage: dns record add NAME A|AAAA|CNAME|TXT|SRV VALUE [--ttl SECONDS]" \
	"$(cli dns record add x.vpn.internal A)"
check_eq "dns record nope: exit 2" "2||warren dns record: unknown command \"nope\": add list del" \
	"$(cli dns record nope)"

# ---- records
got=$(cli dns record add nas.vpn.internal A 10.9.0.200 --ttl 120)
check "record add prints the record" eval '[[ "$got" =~ ^0\|[0-9]+\ +nas\.vpn\.internal\ +A\ +120\ +10\.9\.0\.200\|$ ]]'
check_eq "record add: the row" "nas.vpn.internal A 10.9.0.200 120" \
	"$(sql 'SELECT name, type, value, ttl FROM dns_records')"
got=$(cli dns record add Wiki.VPN.internal cname nas.vpn.internal)
check "record add folds the name and the type" eval '[[ "$got" =~ wiki\.vpn\.internal\ +CNAME ]]'
check_eq "record add: a TXT of several words" "0" \
	"$(cli dns record add t.vpn.internal TXT 'hello world' | cut -d'|' -f1)"
refused "record add: a bad IPv4 address" \
	'warren dns record: value "10.9.0.300": not an IPv4 address' \
	dns record add bad.vpn.internal A 10.9.0.300
refused "record add: a bad IPv6 address" \
	'warren dns record: value "10.9.0.1": not an IPv6 address' \
	dns record add bad.vpn.internal AAAA 10.9.0.1
refused "record add: a bad type" \
	'warren dns record: type "MX": must be A, AAAA, CNAME, TXT or SRV' \
	dns record add bad.vpn.internal MX 10.9.0.1
refused "record add: a bad name" \
	'warren dns record: name "x..y": not a domain name' \
	dns record add x..y A 10.9.0.1
refused "record add: a ttl out of range" \
	'warren dns record: --ttl: 0 is out of range (1..604800)' \
	dns record add ok.vpn.internal A 10.9.0.9 --ttl 0
check_eq "record add: the same again is a conflict (exit 1)" \
	"1||record nas.vpn.internal A 10.9.0.200: exists" \
	"$(cli dns record add nas.vpn.internal A 10.9.0.200)"
got=$(W dns record list)
check "record list: one line a record" eval '[ "$(grep -c vpn.internal <<<"$got")" = 3 ]'
check_eq "record list --json: the records" "nas.vpn.internal,t.vpn.internal,wiki.vpn.internal" \
	"$(W dns record list --json | jq -r 'map(.name) | join(",")')"
WIKI=$(sql "SELECT id FROM dns_records WHERE name = 'wiki.vpn.internal'")
check_eq "record del" "0||" "$(cli dns record del "$WIKI")"
check_eq "record del: the row is gone" "0" \
	"$(sql "SELECT count(*) FROM dns_records WHERE id = $WIKI")"
check_eq "record del: again, no such record (exit 1)" "1||no record $WIKI" \
	"$(cli dns record del "$WIKI")"
refused "record del: not an id" "warren dns record: id: expected a whole number" \
	dns record del abc

# ---- rules
got=$(cli dns rule add block ads.example.com --note "no ads")
check "rule add prints the rule" eval '[[ "$got" =~ ^0\|[0-9]+\ +block\ +ads\.example\.com\ +every\ group\ +no\ ads\|$ ]]'
got=$(cli dns rule add allow '@@||ok.example.com^' --group staff)
check "rule add for a group" eval '[[ "$got" =~ allow\ +@@\|\|ok\.example\.com\^\ +staff ]]'
check_eq "rule add: the rows" "ads.example.com block  no ads|@@||ok.example.com^ allow staff " \
	"$(sql "SELECT r.pattern, r.action, ifnull(g.name, ''), r.note FROM dns_rules r
		LEFT JOIN groups g ON g.id = r.group_id ORDER BY r.id" | paste -sd'|')"
refused "rule add: a bad action" \
	'warren dns rule: action: expected one of block, allow' \
	dns rule add deny ads.example.com
refused "rule add: a bad pattern" "$(cli dns rule add block 'not a domain' | cut -d'|' -f3)" \
	dns rule add block 'not a domain'
check "rule add: a bad pattern names it" eval \
	'cli dns rule add block "not a domain" | grep -q "^2||warren dns rule: pattern \"not a domain\": "'
check_eq "rule add: a group that does not exist (exit 1)" "1||group: no group \"nope\"" \
	"$(cli dns rule add block x.example.com --group nope)"
check_eq "rule add: the same again is a conflict" "1" \
	"$(cli dns rule add block ads.example.com | cut -d'|' -f1)"
check_eq "rule list --json" "block ads.example.com null,allow @@||ok.example.com^ staff" \
	"$(W dns rule list --json | jq -r 'map("\(.action) \(.pattern) \(.group)") | join(",")')"
RULE=$(sql "SELECT id FROM dns_rules WHERE pattern = 'ads.example.com'")
check_eq "rule del" "0||" "$(cli dns rule del "$RULE")"
check_eq "rule del: the row is gone" "1" "$(sql 'SELECT count(*) FROM dns_rules')"

# ---- lists
printf '0.0.0.0 tracker.example\n||ads.example^\nnot a domain line\n' >"$WT_DIR/ads.txt"
got=$(cli dns list add ads "$WT_DIR/ads.txt" --group staff --refresh 12h)
check "list add prints the list" eval 'grep -q "^refresh     every 12h$" <<<"$got" &&
	grep -q "^groups      staff$" <<<"$got" && grep -q "^state       enabled$" <<<"$got"'
check_eq "list add: the row and its group" "ads $WT_DIR/ads.txt 1 43200 staff" \
	"$(sql "SELECT l.name, l.source, l.enabled, l.refresh_s, g.name FROM dns_lists l
		JOIN dns_list_groups lg ON lg.list_id = l.id JOIN groups g ON g.id = lg.group_id")"
check_eq "list add --disabled from a URL" "0" \
	"$(cli dns list add remote https://lists.example/hosts.txt --disabled | head -1 | cut -d'|' -f1)"
check_eq "list add --disabled: the row" "remote 0 86400 0" \
	"$(sql "SELECT name, enabled, refresh_s, (SELECT count(*) FROM dns_list_groups
		WHERE list_id = dns_lists.id) FROM dns_lists WHERE name = 'remote'")"
refused "list add: a relative path" \
	'warren dns list: source "ads.txt": not an absolute path or an http(s) URL' \
	dns list add rel ads.txt
refused "list add: ftp" \
	'warren dns list: source "ftp://x/y": not an absolute path or an http(s) URL' \
	dns list add rel ftp://x/y
refused "list add: a bad refresh" \
	'warren dns list: --refresh: 30 s is out of range (60 s..366 d)' \
	dns list add rel /x --refresh 30s
refused "list add: a bad name" \
	"$(cli dns list add 'Bad Name' /x | cut -d'|' -f3)" dns list add 'Bad Name' /x
check "list add: a bad name names the field" eval \
	'cli dns list add "Bad Name" /x | grep -q "^2||warren dns list: list name \"Bad Name\": "'
check_eq "list add: a group that does not exist (exit 1), nothing written" \
	"1||group: no group \"nope\" 2" \
	"$(cli dns list add other /x --group nope) $(sql 'SELECT count(*) FROM dns_lists')"
check_eq "list add: a name in use" "1||list \"ads\" exists" "$(cli dns list add ads /y)"
got=$(W dns list)
check "list (all): one line a list" eval '[ "$(grep -Ec "^(ads|remote) " <<<"$got")" = 2 ]'
check_eq "list --json" "ads true staff,remote false " \
	"$(W dns list --json | jq -r 'map("\(.name) \(.enabled) \(.groups | join(" "))") | join(",")')"
check_eq "list show --json: its fields" \
	"ads $WT_DIR/ads.txt 43200 [\"staff\"] true" \
	"$(W dns list show ads --json | jq -rc '"\(.name) \(.source) \(.refresh) \(.groups) \(.enabled)"')"
check "list show --json: fetch fields are there" eval \
	'W dns list show ads --json | jq -e "has(\"fetched_at\") and has(\"entries\") and has(\"bad_lines\") and has(\"error\")"'
check_eq "list set --disable --all-groups" "0" \
	"$(cli dns list set ads --disable --all-groups | head -1 | cut -d'|' -f1)"
check_eq "list set: the row" "0 0" \
	"$(sql "SELECT enabled, (SELECT count(*) FROM dns_list_groups) FROM dns_lists WHERE name = 'ads'")"
check_eq "list set --enable --group staff --group default" "1 2" \
	"$(W dns list set ads --enable --group staff --group default >/dev/null;
	   sql "SELECT enabled, (SELECT count(*) FROM dns_list_groups) FROM dns_lists WHERE name = 'ads'")"
refused "list set: --enable and --disable" \
	'warren dns list: --enable and --disable: one or the other' \
	dns list set ads --enable --disable
refused "list set: --group and --all-groups" \
	'warren dns list: --group and --all-groups: one or the other' \
	dns list set ads --group staff --all-groups
refused "list set: nothing to change" \
	'warren dns list: nothing to change (enabled, groups, refresh)' dns list set ads
check_eq "list set: no such list" "1||no list \"nope\"" "$(cli dns list set nope --enable)"
got=$(cli dns list refresh ads)
check "list refresh" eval '[[ "$got" =~ ^0\|list\ ads:\ fetching ]]'
check_eq "list del" "0||" "$(cli dns list del remote)"
check_eq "list del: the row is gone" "ads" "$(sql 'SELECT name FROM dns_lists')"
check_eq "list del: again" "1||no list \"remote\"" "$(cli dns list del remote)"

# ---- every write is audited
check_eq "the audit has every change" \
	"dns.list.add dns.list.delete dns.list.refresh dns.list.set dns.record.add dns.record.delete dns.rule.add dns.rule.delete" \
	"$(sql "SELECT DISTINCT op FROM audit WHERE op LIKE 'dns.%' ORDER BY op" | xargs)"

# ---- the query log after queries for internal names
dq() { in_ns srv dig +time=2 +tries=1 +short @127.0.0.1 -p 5353 "$@" 2>/dev/null; }
check_eq "the resolver answers alice.vpn.internal" "10.9.0.2" "$(dq alice.vpn.internal A)"
check_eq "the resolver answers an admin record" "10.9.0.200" "$(dq nas.vpn.internal A)"
dq nothing.vpn.internal A >/dev/null
dq bob.vpn.internal AAAA >/dev/null
logged() { [ "$(W dns log --json | jq '.entries | length')" -ge 4 ]; }
wait_for 10 logged
check "dns log: the queries are logged" test $? = 0
got=$(cli dns log)
check "dns log: a table row per query" eval 'grep -Eq "alice\.vpn\.internal +NOERROR" <<<"$got" &&
	grep -Eq "nothing\.vpn\.internal +NXDOMAIN" <<<"$got" && grep -Eq " AAAA +bob\.vpn\.internal" <<<"$got"'
check_eq "dns log --domain nas --json" "nas.vpn.internal A NOERROR false null" \
	"$(W dns log --domain nas --json | jq -r '.entries[] | "\(.name) \(.type) \(.rcode) \(.blocked) \(.list)"')"
check_eq "dns log --type AAAA" "bob.vpn.internal" \
	"$(W dns log --type AAAA --json | jq -r '.entries[].name')"
check_eq "dns log --limit 2: a page and a cursor" "2 true" \
	"$(W dns log --limit 2 --json | jq -r '"\(.entries | length) \(.next != null)"')"
check_eq "dns log --blocked: none" "0" "$(W dns log --blocked --json | jq '.entries | length')"
check "dns log --json: each entry's fields" eval \
	'W dns log --json | jq -e ".entries[0] | has(\"id\") and has(\"at\") and has(\"user\") and has(\"device\") and has(\"upstream_ms\") and has(\"collapsed\")"'
refused "dns log: a bad type" \
	'warren dns: --type "BOGUS": not a query type (A, AAAA, MX, TXT, ... or TYPEn)' \
	dns log --type BOGUS
refused "dns log: a bad date" "$(cli dns log --since 2027-02-30 | cut -d'|' -f3)" \
	dns log --since 2027-02-30
check "dns log: a bad date names it" eval 'cli dns log --since 2027-02-30 | grep -q "^2||warren dns: --since"'
refused "dns log: --blocked and --allowed" \
	'warren dns: --blocked and --allowed: one or the other' dns log --blocked --allowed
refused "dns log: --device without --user" 'warren dns: device: goes with user' \
	dns log --device phone
check_eq "dns log --user nobody: exit 1" '1||no user "nobody"' "$(cli dns log --user nobody)"

# ---- statistics: the roll-ups are written at least once a minute and when the server
# stops; a restart writes them now
kill "$SERVER"
wait "$SERVER" 2>/dev/null
spawn srv server2 "$WARREN" server -c "$CONF"
SERVER=$WT_LAST_PID
wait_for 10 test -S "$SOCK"
check "the server starts again" test $? = 0
check "dns log: the entries are kept over a restart" eval '[ "$(W dns log --json | jq ".entries | length")" -ge 4 ]'
check "dns stats --json counts the queries" eval '[ "$(W dns stats --json | jq .queries)" -ge 4 ]'
check "dns stats --json: its fields" eval 'W dns stats --json | jq -e "has(\"since\") and has(\"until\") and
	has(\"blocked_pct\") and has(\"nxdomain\") and has(\"servfail\") and has(\"upstream_ms_avg\") and
	(.top_names | type == \"array\") and (.top_blocked | type == \"array\") and (.top_users | type == \"array\")"'
check "dns stats --json: one NXDOMAIN" eval '[ "$(W dns stats --json | jq .nxdomain)" -ge 1 ]'
got=$(cli dns stats --top 3)
check "dns stats: text" eval 'grep -Eq "^queries +[0-9]+" <<<"$got" && grep -q "^top names:" <<<"$got"'
refused "dns stats: --top out of range" 'warren dns: --top: 101 is out of range (0..100)' \
	dns stats --top 101

kill "$SERVER" 2>/dev/null
wait "$SERVER" 2>/dev/null
finish
