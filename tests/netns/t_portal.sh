#!/usr/bin/env bash
# tests/netns/t_portal.sh: an agent enrols with a server's portal, runs the tunnel the
# server assigns it, follows the server's changes, survives the portal going away and
# refuses what the server did not sign; the portal refuses bad requests and stays up.
#
#   ns gw (warren agent)  10.201.0.2/24 ---- vgs 10.201.0.1/24  ns srv (warren server)
#                                                 portal https://10.201.0.1:8443
#                                                 wg 10.9.0.1/24 :51820
. "$(dirname "$0")/lib.sh"
require ip wg jq openssl curl
need_warren

VG=$(lname vg) VS=$(lname vs) WGS=$(lname wgs)
ns_new srv gw
veth srv "$VS" 10.201.0.1/24 gw "$VG" 10.201.0.2/24
SOCK=$WT_DIR/server.sock CONF=$WT_DIR/server.conf DB=$WT_DIR/warren.db
ASOCK=$WT_DIR/agent.sock ACONF=$WT_DIR/agent.conf URL=https://10.201.0.1:8443

# A test CA and the portal's certificate for its address.
test_ca 10.201.0.1 || finish

server_conf() {   # server_conf PORT
	cat >"$CONF" <<EOF
daemon = { state_dir = "$WT_DIR/srvstate"; socket = "$SOCK"; };
server = { interface = "$WGS"; listen_port = $1; private_key = "$SKEY";
           endpoint = "10.201.0.1:$1"; pool = [ "10.9.0.0/24" ];
           client_allowed_ips = [ "10.9.0.0/24" ]; egress = "$VS"; snat = false;
           database = "$DB";
           portal = { listen = "10.201.0.1:8443"; tls_cert_file = "$WT_DIR/portal.crt";
                      tls_key_file = "$WT_DIR/portal.key"; name = "hq"; }; };
EOF
}
SKEY=$(wg_genkey)
server_conf 51820
cat >"$ACONF" <<EOF
daemon = { state_dir = "$WT_DIR/gwstate"; socket = "$ASOCK"; };
portal = { url = "$URL"; ca_file = "$WT_DIR/ca.pem"; interval = 30; };
EOF
W() { in_ns srv "$WARREN" "$@" -s "$SOCK"; }
api() { in_ns gw curl -s -o "$WT_DIR/body" -w '%{http_code}' --cacert "$WT_DIR/ca.pem" "$@"; }

start_server() {
	spawn srv "server$1" "$WARREN" server -c "$CONF"
	SERVER=$WT_LAST_PID
	wait_for 10 test -S "$SOCK" && wait_for 5 in_ns gw curl -s -o /dev/null --cacert "$WT_DIR/ca.pem" "$URL/"
}
start_agent() {
	spawn gw "agent$1" "$WARREN" agent -c "$ACONF"
	AGENT=$WT_LAST_PID
	wait_for 10 test -S "$ASOCK"
}
start_server 1
check "the server starts with its portal" test $? = 0
check_eq "the portal runs without privileges" "nobody" \
	"$(ps -o user= -p "$(pgrep -f 'warren portal' | head -n1)" | xargs)"

# An agent's user needs no config device of its own: the agent's device is its one.
W user add branch --no-device >/dev/null
TOKEN=$(W device add gw1 --user branch)
check "device add prints a token" test "${#TOKEN}" = 43

# ---- bad requests get 4xx, reveal nothing, and the portal stays up
check_eq "a wrong token gets 401" "401 {\"error\":\"unauthorized\"}" \
	"$(api -X POST -d '{"token":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","public_key":"'"$(wg_genkey | wg pubkey)"'"}' "$URL/api/v1/agent/enroll") $(cat "$WT_DIR/body")"
check_eq "malformed JSON gets 400" 400 "$(api -X POST -d '{"token":' "$URL/api/v1/agent/enroll")"
head -c 200000 /dev/zero | tr '\0' a >"$WT_DIR/big"
check_eq "an oversized body gets 413" 413 "$(api -X POST -H "Expect: 100-continue" --data-binary @"$WT_DIR/big" "$URL/api/v1/agent/enroll")"
check_eq "an unknown path gets 404" 404 "$(api "$URL/api/v1/nope")"
check_eq "a profile without credentials gets 401" 401 "$(api "$URL/api/v1/agent/profile")"
check "the portal still answers" in_ns gw curl -s -o /dev/null --cacert "$WT_DIR/ca.pem" "$URL/"

# ---- enrolment, with the agent already running (it waits for it)
start_agent 1
check "the agent starts before it is enrolled" test $? = 0
printf '%s\n' "$TOKEN" | in_ns gw "$WARREN" enroll "$URL" - --ca "$WT_DIR/ca.pem" -c "$ACONF" >"$WT_DIR/enroll.out" 2>&1
check "warren enroll succeeds" test $? = 0
check_eq "it keeps its key and credential private" "600 600" \
	"$(stat -c %a "$WT_DIR/gwstate/portal/wg.key" "$WT_DIR/gwstate/portal/credential" | xargs)"
check_eq "the server holds the agent's public key, not a private one" \
	"$(wg pubkey <"$WT_DIR/gwstate/portal/wg.key") false" \
	"$(W user show branch | jq -r '"\(.public_key) \(.server_holds_private_key)"')"
check_eq "a replayed token gets 401" 401 \
	"$(api -X POST -d '{"token":"'"$TOKEN"'","public_key":"'"$(wg_genkey | wg pubkey)"'"}' "$URL/api/v1/agent/enroll")"

# ---- the agent runs the tunnel it pulled
check "warren reload makes the agent use its enrolment" in_ns gw "$WARREN" reload -s "$ASOCK"
check "it brings up the pulled tunnel" wait_for 10 in_ns gw ip link show wg-hq
check "and reaches the server through it" ping_ok gw 10.9.0.1 10

# ---- the server changes its port: the agent follows within 2 s
server_conf 51821
t0=$(date +%s%N)
W reload >/dev/null
follows() { in_ns gw wg show wg-hq endpoints | grep -q ':51821$'; }
check "after the server moved its port the agent follows" wait_for 2 follows
diag "followed in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "and reaches the server on the new port" ping_ok gw 10.9.0.1 10

# ---- the server takes a new key: the agent follows, and its tunnel works again
SKEY=$(wg_genkey)
server_conf 51821
W reload >/dev/null
newkey() { in_ns gw wg show wg-hq peers | grep -qF "$(wg_pubkey "$SKEY")"; }
check "after the server's key changed the agent follows within 2 s" wait_for 2 newkey
check "and reaches the server with it" ping_ok gw 10.9.0.1 10

# ---- a runtime setting changed over the API: the agent's profile follows within 2 s
W settings set client_keepalive 7 >/dev/null
keepalive7() { in_ns gw wg show wg-hq persistent-keepalive | grep -q '[[:space:]]7$'; }
check "a new client keepalive in the settings reaches the agent within 2 s" wait_for 2 keepalive7

# ---- admin API
ADMIN=$(W token add ops)
check_eq "the admin API lists users with a token" "200 branch" \
	"$(api -H "Authorization: Bearer $ADMIN" "$URL/api/v1/users") $(jq -r '.users[].name' "$WT_DIR/body")"
check_eq "and refuses without one" 401 "$(api "$URL/api/v1/users")"

# ---- a user whose key a device holds is not rotated; a deleted device is cut off
out=$(W user rotate branch 2>&1); rc=$?
check_eq "rotating a user an enrolled device holds is refused" \
	"1 device branch/gw1 is an enrolled agent: it holds its own key; to replace it, delete the device and add a new one" "$rc $out"
W user add other --no-device >/dev/null
T2=$(W device add gw2 --user other)
K2=$(wg_genkey | wg pubkey)
api -X POST -d '{"token":"'"$T2"'","public_key":"'"$K2"'"}' "$URL/api/v1/agent/enroll" >/dev/null
C2=$(jq -r .credential "$WT_DIR/body")
check_eq "a second device enrols" "200" "$(api -H "Authorization: Bearer $C2" "$URL/api/v1/agent/profile")"
check "device delete" W device delete gw2 --user other
check_eq "its credential is refused" 401 "$(api -H "Authorization: Bearer $C2" "$URL/api/v1/agent/profile")"
check_not "and its key is off the link" bash -c "ip netns exec '$(ns srv)' wg show '$WGS' peers | grep -qF '$K2'"

# ---- failed authentication is rate limited per client address
for i in $(seq 12); do api -H "Authorization: Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
	"$URL/api/v1/agent/profile" >"$WT_DIR/rl.$i"; done
# (the refusals above count too: the window is a minute)
check_eq "after 10 failures a client gets 429" 429 "$(cat "$WT_DIR/rl.12")"
check "but not before 10" test "$(cat "$WT_DIR"/rl.* | grep -c 401)" -le 10
check "with Retry-After" bash -c "ip netns exec '$(ns gw)' curl -s -D - -o /dev/null --cacert '$WT_DIR/ca.pem' '$URL/api/v1/agent/profile' | grep -qi '^retry-after: [0-9]'"
check "the enrolled agent is not affected" ping_ok gw 10.9.0.1

# ---- portal down: a restarted agent runs its cached profile
kill -9 "$SERVER"; wait "$SERVER" 2>/dev/null
pkill -f 'warren portal' 2>/dev/null
kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
start_agent 2
check "with the portal down the agent starts from its cached profile" wait_for 10 in_ns gw ip link show wg-hq
check "and its tunnel works (the server's link outlived it)" ping_ok gw 10.9.0.1 10

# ---- a profile with a bad signature is refused and the old one kept: a portal that
# is not the server answers with the cached profile, altered, under its old signature
if command -v python3 >/dev/null 2>&1; then
	cp "$WT_DIR/gwstate/portal/profile.json" "$WT_DIR/before.json"
	sed 's/"serial":[0-9]*/"serial":999/' "$WT_DIR/before.json" >"$WT_DIR/forged.json"
	cp "$WT_DIR/gwstate/portal/profile.sig" "$WT_DIR/forged.sig"
	cat >"$WT_DIR/forger.py" <<'EOF'
import http.server, ssl, sys
d = sys.argv[1]
body = open(d + "/forged.json", "rb").read()
sig = open(d + "/forged.sig").read().strip()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("ETag", '"00000000000000000000000000000000"')
        self.send_header("X-Warren-Signature", sig)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("10.201.0.1", 8443), H)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
c.load_cert_chain(d + "/portal.crt", d + "/portal.key")
s.socket = c.wrap_socket(s.socket, server_side=True)
s.serve_forever()
EOF
	spawn srv forger python3 "$WT_DIR/forger.py" "$WT_DIR"
	refused() { grep -q "signature" "$WT_DIR/agent2.log"; }
	check "a profile with a bad signature is refused" wait_for 10 refused
	check "and the old one kept" cmp "$WT_DIR/before.json" "$WT_DIR/gwstate/portal/profile.json"
	check "its tunnel still works" ping_ok gw 10.9.0.1 5
	kill "$WT_LAST_PID" 2>/dev/null
else
	skip "a profile with a bad signature is refused" "no python3 for a forged portal"
fi

# ---- a cached profile that was altered is not run
cp "$WT_DIR/gwstate/portal/profile.json" "$WT_DIR/good.json"
sed -i 's/"serial":[0-9]*/"serial":999/' "$WT_DIR/gwstate/portal/profile.json"
kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
start_agent 3
sleep 1
check "a tampered cached profile is refused" grep -q "signature" "$WT_DIR/agent3.log"
check_not "and nothing runs from it" in_ns gw ip link show wg-hq
kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
finish
