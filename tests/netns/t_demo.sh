#!/usr/bin/env bash
# tests/netns/t_demo.sh: `make demo` keeps working: demo/lab.sh start builds the whole lab in under 15 s, each far end sees the traffic the lab says it does, and stop leaves nothing behind.
#
# The topology is demo/lab.sh's (drawn there): wdemo-lan -- wdemo-gw (warren agent) --
# wdemo-wan -- wdemo-hq (wireguard-go) / wdemo-cloud (warren server + portal) /
# wdemo-phone (wg-quick). Its names are fixed, not this run's: the scenario takes the
# lab's lock and skips when a lab is there already (a user's `make demo`).
. "$(dirname "$0")/lib.sh"
[ "$WARREN_BACKEND" = kernel ] &&
	skip_all "the demo lab is for the host (its phone runs wg-quick, its portal needs openssl); the host tier runs it"
require ip wg wg-quick wireguard-go openssl curl tcpdump jq flock sha256sum
need_warren

LAB_SH=$WT_ROOT/demo/lab.sh
LOCK=/run/lock/wdemo.lock
# fd 9, as demo/lab.sh expects: it closes it in what it leaves running.
mkdir -p "${LOCK%/*}" && exec 9>>"$LOCK" || { not_ok "open $LOCK"; finish; }
flock -n 9 || skip_all "another demo lab start or stop holds $LOCK"
for n in wdemo-lan wdemo-gw wdemo-wan wdemo-hq wdemo-cloud wdemo-phone; do
	[ -e "/var/run/netns/$n" ] && skip_all "a demo lab is running (namespace $n; make demo-stop removes it)"
done
[ -e /tmp/wdemo ] && skip_all "a demo lab is running (/tmp/wdemo; make demo-stop removes it)"

LAB=$WT_DIR/lab
export WDEMO_DIR=$LAB WDEMO_LOCKED=1 WARREN
at_exit "'$LAB_SH' stop"
wg show wg-cloud public-key >/dev/null 2>&1 && skip_all "a WireGuard link wg-cloud runs here: the lab's agent needs that name"
uapi() { local f; for f in /var/run/wireguard/wdemo-*.sock /var/run/wireguard/wg-cloud.sock; do [ -e "$f" ] && echo "${f##*/}"; done | xargs; }
resolv_before=$(sha256sum /etc/resolv.conf 2>/dev/null)

t0=$(date +%s%N)
out=$(bash "$LAB_SH" start 2>&1); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
printf '%s\n' "$out" >"$WT_DIR/start.out"
check_eq "demo/lab.sh start succeeds" 0 "$rc" || diag "$(tail -n 20 "$WT_DIR/start.out")"
diag "demo/lab.sh start took $ms ms"
check "and takes under 15 s" test "$ms" -lt 15000
said() { grep -qF -- "$1" "$WT_DIR/start.out"; }
check "hq sees the LAN host as the gateway's hq address" said "wdemo-hq saw on wdemo-hqsrv: 10.9.0.10 > 172.16.0.1"
check "the cloud sees the LAN host as the branch's address, through the pulled tunnel" \
	said "wdemo-cloud saw on wdemo-cldsrv: 10.8.0.3 > 198.51.100.1"
check "the cloud sees the phone as alice's address" said "wdemo-cloud saw on wdemo-cldsrv: 10.8.0.2 > 198.51.100.1"
check "nothing crossed the WAN unencrypted" said "WireGuard packets and 0 unencrypted ones"
check "the summary names the sockets, the console and the API" \
	bash -c "grep -qF 'status -s $LAB/agent.sock' '$WT_DIR/start.out' && grep -qF 'status -s $LAB/server.sock' '$WT_DIR/start.out' &&
		grep -qF 'https://198.18.9.2:8443/admin/   sign in as admin, password ' '$WT_DIR/start.out' &&
		grep -qF 'https://198.18.9.2:8443/api/v1/users' '$WT_DIR/start.out'"
# The console from this host, as a browser here would meet it, with the password printed.
PW=$(sed -n 's|.*/admin/   sign in as admin, password \([a-z2-9-]*\) .*|\1|p' "$WT_DIR/start.out")
check_eq "the console's page answers on this host" 200 \
	"$(curl -s -o /dev/null -w '%{http_code}' --cacert "$LAB/portal.crt" https://198.18.9.2:8443/admin/)"
check_eq "and the printed admin password signs in, to be changed" "200 admin true" \
	"$(curl -s -o "$WT_DIR/login.json" -w '%{http_code}' --cacert "$LAB/portal.crt" -H 'Content-Type: application/json' \
		-d "{\"name\":\"admin\",\"password\":\"$PW\"}" https://198.18.9.2:8443/api/v1/login) $(jq -r '"\(.role) \(.must_change_password)"' "$WT_DIR/login.json")"
# The user portal: alice's printed password, and a printed voucher making an account.
APW=$(sed -n "s|.*alice's user portal, password \([a-z2-9-]*\) .*|\1|p" "$WT_DIR/start.out")
check_eq "alice's printed password signs in to the portal, to be changed" "200 user true" \
	"$(curl -s -o "$WT_DIR/login.json" -w '%{http_code}' --cacert "$LAB/portal.crt" -H 'Content-Type: application/json' \
		-d "{\"name\":\"alice\",\"password\":\"$APW\"}" https://198.18.9.2:8443/api/v1/login) $(jq -r '"\(.role) \(.must_change_password)"' "$WT_DIR/login.json")"
CODE=$(sed -n 's|.*/redeem   a new account from the voucher \([0-9A-Z*~$=-]*\);|\1|p' "$WT_DIR/start.out")
check_eq "the printed voucher makes an account" "201 visitor true" \
	"$(curl -s -o "$WT_DIR/redeem.json" -w '%{http_code}' --cacert "$LAB/portal.crt" -H 'Content-Type: application/json' \
		-d "{\"code\":\"$CODE\",\"name\":\"visitor\",\"password\":\"a visitor's words\"}" \
		https://198.18.9.2:8443/api/v1/vouchers/redeem) $(jq -r '"\(.user) \(.created)"' "$WT_DIR/redeem.json")"

# What the lab printed, checked again from the outside.
A() { "$WARREN" "$@" -s "$LAB/agent.sock"; }
S() { "$WARREN" "$@" -s "$LAB/server.sock"; }
check_eq "the agent runs hq from its file and cloud from the portal, both up" "hq:up cloud:up" \
	"$(A status --json | jq -r '[.tunnels[] | "\(.name):\(.state)"] | join(" ")')"
check_eq "its portal pull polls, with profile 1 of device gw1" "polling 1 gw1" \
	"$(A status --json | jq -r '.portal | "\(.state) \(.serial) \(.device)"')"
check_eq "the server holds the branch's public key from the enrolment, no private key" \
	"$(wg pubkey <"$LAB/state/portal/wg.key") false" \
	"$(S user show branch1 | jq -r '"\(.public_key) \(.server_holds_private_key)"')"
check_eq "alice has an expiry and a monthly quota of 10 GiB" "true 10737418240 month" \
	"$(S user show alice | jq -r '"\(.expires != null) \(.quota_bytes) \(.quota_period)"')"
check_eq "both users are online, each with an open session" "alice branch1" \
	"$(S session list --json | jq -r '[.[] | select(.ended == null) | .user] | sort | join(" ")')"
N() { ip netns exec "$@"; }
check "the phone has a handshake with the server" \
	bash -c "ip netns exec wdemo-phone wg show wdemo-phone latest-handshakes | awk '\$2 > 0 { f = 1 } END { exit !f }'"
check_not "its configuration holds no DNS line (resolv.conf stays alone)" grep -q '^DNS' "$LAB/phone/wdemo-phone.conf"
check "the LAN host still reaches the internet host" N wdemo-lan ping -n -q -c 1 -W 2 198.51.100.1
check_eq "the admin API answers with the lab's token (the voucher's account too)" "200 alice branch1 visitor" \
	"$(N wdemo-gw curl -s -o "$WT_DIR/users.json" -w '%{http_code}' --cacert "$LAB/portal.crt" \
		-H "Authorization: Bearer $(cat "$LAB/admin.token")" https://198.18.2.2:8443/api/v1/users) $(jq -r '[.users[].name] | join(" ")' "$WT_DIR/users.json")"

# The agent's pull never goes through the full tunnel the portal hands out: once the
# portal process restarts, the agent comes back over the underlay, and so it still
# follows when the tunnel breaks for a new server key.
pull_conn() { N wdemo-gw ss -tnH state established dst 198.18.2.2 dport = :8443 | awk '{ print $3 }' | xargs; }
old=$(pull_conn)
for p in $(ip netns pids wdemo-cloud); do
	tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q 'warren portal' && kill "$p"
done
reconnected() { local c; c=$(pull_conn); [ -n "$c" ] && [ "$c" != "$old" ]; }
check "the agent reconnects after the portal process restarts" wait_for 15 reconnected
check_eq "over the underlay, not through the tunnel it pulled" 198.18.0.2 "$(pull_conn | sed 's/:[0-9]*$//')"
(umask 077 && wg genkey >"$LAB/keys/cloud.key.new") && mv "$LAB/keys/cloud.key.new" "$LAB/keys/cloud.key"
S reload
newkey() { N wdemo-gw wg show wg-cloud peers | grep -qF "$(wg pubkey <"$LAB/keys/cloud.key")"; }
check "after a new server key the agent follows" wait_for 5 newkey
check "and the LAN host reaches the internet host again" N wdemo-lan ping -n -q -c 1 -W 3 198.51.100.1

# A second start replaces the lab.
out=$(bash "$LAB_SH" start 2>&1); rc=$?
printf '%s\n' "$out" >"$WT_DIR/start2.out"
check_eq "a second start removes the lab and starts again" "0 1" "$rc $(grep -c 'already there: removing it first' "$WT_DIR/start2.out")" ||
	diag "$(tail -n 20 "$WT_DIR/start2.out")"
check "and its traffic flows" grep -qF "wdemo-cloud saw on wdemo-cldsrv: 10.8.0.2 > 198.51.100.1" "$WT_DIR/start2.out"

# stop: nothing of it is left.
pids=$(for n in wdemo-lan wdemo-gw wdemo-wan wdemo-hq wdemo-cloud wdemo-phone; do ip netns pids "$n" 2>/dev/null; done | xargs)
cmds=$(for p in $pids; do tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null; echo; done)
check_eq "it runs the server, its portal, the agent and five wireguard-go" "1 1 1 5" \
	"$(for c in 'warren server' 'warren portal' 'warren agent' '^wireguard-go'; do grep -c "$c" <<<"$cmds"; done | xargs)" ||
	diag "$cmds"
out=$(bash "$LAB_SH" stop 2>&1); rc=$?
check_eq "demo/lab.sh stop succeeds" "0" "$rc" || diag "$out"
check_eq "no wdemo namespaces are left" "" "$(ip netns list | grep -o '^wdemo-[a-z]*' | xargs)"
check_not "nor its link into this namespace" ip link show wdemo-host
gone() { local p; for p in $pids; do [ -r "/proc/$p/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$p/stat" && return 1; done; return 0; }
check "none of its processes is left" wait_for 3 gone
check_eq "no lab's UAPI sockets are left" "" "$(uapi)"
check_not "the lab directory is gone" test -e "$LAB"
check_eq "/etc/resolv.conf is untouched" "$resolv_before" "$(sha256sum /etc/resolv.conf 2>/dev/null)"
finish
