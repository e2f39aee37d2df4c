#!/usr/bin/env bash
# The command line contract: --help, --version, unknown commands, exit statuses.
. "$(dirname "$0")/lib.sh"

run "$WARREN" --version
expect_eq "--version" "$OUT" "warren $(sed -n 's/^VERSION := //p' "$ROOT/Makefile")"
run "$WARREN" --help
expect_eq "--help exits 0" "$RC" 0
HELP=$OUT
for c in genkey pubkey genpsk check up down agent status reload server user session; do
	printf '%s\n' "$HELP" | grep -q "^  $c " && ok "--help lists $c" || not_ok "--help lists $c"
	run "$WARREN" "$c" --help
	expect_eq "$c --help exits 0 with usage" "$RC:$(printf '%s' "$OUT" | head -n1 | cut -d' ' -f1-3)" \
		"0:usage: warren $c"
done
run "$WARREN"
expect_eq "no command is a usage error" "$RC" 2
run "$WARREN" frobnicate
expect_eq "unknown command exits 2" "$RC" 2
expect_eq "unknown command message" "$ERR" 'warren: unknown command "frobnicate"; see "warren --help"'
run "$WARREN" check -c /nonexistent/warren.conf
expect_eq "check of a missing file exits 2" "$RC" 2
expect_eq "check of a missing file names it" "$ERR" "/nonexistent/warren.conf: No such file or directory"
run "$WARREN" check -x
expect_eq "check with a bad option exits 2" "$RC" 2

# Administration: bad input is refused before any server is asked (none runs here), with
# exit 2 and the reason; a good request to a missing server exits 1.
S=/nonexistent/warren.sock
while IFS='|' read -r args want; do
	# shellcheck disable=SC2086
	run "$WARREN" $args -s "$S"
	expect_eq "$args: exit 2" "$RC" 2
	expect_eq "$args: says why" "$ERR" "$want"
done <<'EOF'
user add Bad.Name!|warren user: user name "Bad.Name!": only a-z, 0-9, '.', '_' and '-' are allowed
user add alice --expires 2027-02-30|warren user: date "2027-02-30": day out of range
user add alice --quota 5GB|warren user: size "5GB": expected N followed by B, KiB, MiB, GiB or TiB, optionally /month
user add alice --reset-day 32|warren user: --reset-day: 32 is out of range (1..31)
user add alice --public-key nope|warren user: --public-key: not a WireGuard public key
user add alice bob|warren user: usage: user add NAME [--expires DATE|DURATION] [--quota SIZE[/month]] [--reset-day DAY] [--public-key KEY] [--device NAME|--no-device] [--group GROUP] [--email ADDRESS] [--rate RATE]
user set alice|warren user: nothing to change (expires, quota, reset_day, group, state, email, rate)
user set alice --public-key x|warren user: usage: user set NAME [--expires DATE|DURATION|never] [--quota SIZE[/month]|none] [--reset-day DAY] [--group GROUP] [--email ADDRESS] [--rate RATE|--rate-inherit]
user set alice --rate 20Mbps|warren user: --rate: "20Mbps": bad unit (bit, kbit, Mbit or Gbit)
user set alice --rate 1Mbit --rate-inherit|warren user: --rate and --rate-inherit: one or the other
group set staff|warren group: nothing to change (destinations, schedule, sources, rate, isolate, portal_login, idle, max_maps)
group set staff --schedule 8:00-18:00|warren group: --schedule: "8:00-18:00": bad time
group set staff --destinations 10.0.0.0/33|warren group: --destinations: "10.0.0.0/33": prefix longer than 32
group set staff --max-maps 70000|warren group: --max-maps: expected a number 0..65535, or null
group set staff --isolate --no-isolate|warren group: --isolate and --no-isolate: one or the other
group set staff --rate 1Mbit --inherit rate|warren group: --rate and --inherit: one or the other
group set staff --inherit colour|warren group: --inherit "colour": not a policy field (destinations, schedule, sources, rate, isolate, portal_login, idle, max_maps)
group add staff --inherit rate|warren group: usage: group add NAME [--destinations LIST] [--schedule TEXT] [--sources LIST] [--rate RATE] [--isolate|--no-isolate] [--portal-login|--no-portal-login] [--idle DURATION] [--max-maps N]
user rotate alice --quota 1GiB|warren user: usage: user rotate NAME [--device NAME] [--public-key KEY]
user list --png f|warren user: --png and --svg go with qr, one of them
user show|warren user: usage: user show NAME [--json]
user frob alice|warren user: unknown command "frob": add list show config qr set disable enable delete rotate passwd export import
session list --since yesterday|warren session: --since: date "yesterday": expected YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]
session list extra|warren session: usage: session list [--user NAME [--device NAME]] [--since DATE] [--until DATE] [--search TEXT] [--json]
session drop|warren session: unknown command "drop": list
user add alice --email nobody|warren user: --email "nobody": not an address
device add gw1 --user branch --config --expires 2d|warren device: --expires: only an agent device enrols with a token
device add gw1|warren device: --user: missing
admin add Root!|warren admin: admin name "Root!": only a-z, 0-9, '.', '_' and '-' are allowed
admin add ops --role god|warren admin: --role: expected one of admin, viewer
token add ci --role root|warren token: --role: expected one of admin, viewer
announce add --text x|warren announce: --title: missing
announce add --title t --text x --until 2027-02-30|warren announce: --until: date "2027-02-30": day out of range
announce add --title t --text x --pinned --pinned|warren announce: --pinned: given twice
announce set 1 --group staff --everyone|warren announce: --group and --everyone: one or the other
announce set 1 --pinned --unpinned|warren announce: --pinned and --unpinned: one or the other
announce set 1|warren announce: nothing to change (title, text, group, pinned, until)
announce show x|warren announce: id: expected a whole number
announce delete|warren announce: usage: announce delete ID
announce frob|warren announce: unknown command "frob": add list show set delete
service add wiki|warren service: --address: missing
service add wiki --address nope|warren service: --address "nope": expected HOST:PORT or an http:// or https:// URL
service add wiki --address x:1 --group Bad|warren service: --group "Bad": only a-z, 0-9, '.', '_' and '-' are allowed
service add wiki --address x:1 --group a --everyone|warren service: --group and --everyone: one or the other
service set wiki|warren service: nothing to change (address, description, groups)
EOF
run "$WARREN" user list -s "$S"
expect_eq "a good request with no server exits 1" "$RC" 1
expect_eq "and says where it looked" "$ERR" "warren: cannot reach the daemon at $S: No such file or directory (is warren running?)"
finish
