#!/usr/bin/env bash
# tests/netns/t_events.sh: live changes by Server-Sent Events (GET /api/v1/events) as
# the console and the portal meet them, with curl -N as the browser: an admin's stream
# sees a real client come online within 3 s of its handshake and a user added over the
# CLI; a VPN user's stream sees its own device and never another user's, and ends at its
# logout; a viewer token's stream works and ends when the token is deleted; 600 streams
# from one address stay open at once and all get an event; a client that stops reading is
# dropped while the others go on; the server and its portal stay up throughout.
#
#   ns c1 (alice's tunnel, every HTTPS client) 10.201.0.2/24 ---- vc1 10.201.0.1/24
#   ns c2 (bob's tunnel)                      10.202.0.2/24 ---- vc2 10.202.0.1/24
#   ns srv: warren server, link 10.9.0.1/24 :51820, portal https://10.201.0.1:8443
#   c2 reaches 10.201.0.1 through srv.
. "$(dirname "$0")/lib.sh"
[ "$WARREN_BACKEND" = kernel ] &&
	skip_all "HTTP, sessions and the operations table do not touch the WireGuard backend; the host tier runs it"
require ip wg jq openssl curl
need_warren

VC1=$(lname vc1) C1=$(lname c1) VC2=$(lname vc2) C2=$(lname c2) WGS=$(lname wgs)
AL=$(lname al) BO=$(lname bo)
ns_new srv c1 c2
ns_forward srv
veth srv "$VC1" 10.201.0.1/24 c1 "$C1" 10.201.0.2/24
veth srv "$VC2" 10.202.0.1/24 c2 "$C2" 10.202.0.2/24
ip -n "$(ns c2)" route add 10.201.0.0/24 via 10.202.0.1
SOCK=$WT_DIR/server.sock CONF=$WT_DIR/server.conf URL=https://10.201.0.1:8443
test_ca 10.201.0.1 || finish
# The default accounting interval (2 s): "within 3 s of the handshake" is the product's.
cat >"$CONF" <<EOF
daemon = { state_dir = "$WT_DIR/state"; socket = "$SOCK"; };
server = { interface = "$WGS"; listen_port = 51820; private_key = "$(wg_genkey)";
           endpoint = "10.201.0.1:51820"; pool = [ "10.9.0.0/24" ];
           client_allowed_ips = [ "10.9.0.0/24" ]; egress = "$VC1"; snat = false;
           database = "$WT_DIR/warren.db";
           portal = { listen = "10.201.0.1:8443"; tls_cert_file = "$WT_DIR/portal.crt";
                      tls_key_file = "$WT_DIR/portal.key"; }; };
EOF
W() { in_ns srv "$WARREN" "$@" -s "$SOCK"; }
spawn srv server "$WARREN" server -c "$CONF"
SERVER_PID=$WT_LAST_PID
portal_up() { in_ns c1 curl -s -o /dev/null --cacert "$WT_DIR/ca.pem" "$URL/"; }
wait_for 10 test -S "$SOCK" && wait_for 5 portal_up
check "the server starts with its portal" test $? = 0
portal_pid() {
	local p
	for p in $(ip netns pids "$(ns srv)"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = warren-portal ] && echo "$p"
	done
}
PORTAL_PID=$(portal_pid)
streams() { W status --json | jq -r .server.event_streams; }
streams_are() { [ "$(streams)" = "$1" ]; }

# ---- sessions and requests (lib.sh's req and login, from c1)
API_NS=c1
# session NAME ONE-TIME-PASSWORD NEW: log in, change the password; COOKIE and CSRF hold
# the session that results.
session() {
	login "$1" "$2"
	req POST /api/v1/password "{\"old\":\"$2\",\"new\":\"$3\"}"
	COOKIE=$(set_cookie) CSRF=$(jq -r .csrf "$WT_DIR/body")
	[ "$ST" = 200 ]
}
# stream NAME CURL-ARGS...: curl -N on /api/v1/events in c1, its bytes in $WT_DIR/NAME.sse,
# its headers in NAME.hdr, its pid in $WT_DIR/NAME.pid; true once the stream has opened.
stream() {
	local n=$1; shift
	in_ns c1 curl -sN --cacert "$WT_DIR/ca.pem" -D "$WT_DIR/$n.hdr" "$@" "$URL/api/v1/events" \
		>"$WT_DIR/$n.sse" 2>/dev/null &
	echo $! >"$WT_DIR/$n.pid"
	track_pid $!
	wait_for 5 grep -q '^retry: ' "$WT_DIR/$n.sse"
}
running() { kill -0 "$(cat "$WT_DIR/$1.pid")" 2>/dev/null; }
# events FILE NAME: the data of each event NAME in FILE, one JSON document a line.
events() {
	awk -v want="$2" 'BEGIN { RS = ""; FS = "\n" } {
		ev = "message"; d = ""
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^event: /) ev = substr($i, 8)
			else if ($i ~ /^data: /) d = d substr($i, 7)
		}
		if (ev == want && d != "") print d
	}' "$1"
}
# has FILE NAME JQ: some event NAME in FILE satisfies the jq filter JQ.
has() { events "$1" "$2" | jq -s -e "map($3) | length > 0" >/dev/null 2>&1; }
online() { has "$1" status ".devices[] | select(.user == \"$2\" and .online == true)"; }

# ---- an admin's stream, a viewer token's stream, a user's stream
P=$(W admin add root)
session root "$P" "correct horse battery"
check "an admin logs in" test "$ST" = 200
ADMIN_COOKIE=$COOKIE ADMIN_CSRF=$CSRF
check "an admin session opens a stream" stream admin -H "Cookie: __Host-warren=$ADMIN_COOKIE"
check_eq "as text/event-stream, not stored, with the portal's headers" \
	"200 text/event-stream no-store nosniff" \
	"$(awk 'NR == 1 { s = $2 } tolower($1) == "content-type:" { t = $2 } tolower($1) == "cache-control:" { c = $2 }
		tolower($1) == "x-content-type-options:" { n = $2 } END { print s, t, c, n }' "$WT_DIR/admin.hdr" | tr -d '\r')"
check_eq "it opens with the reconnection hint" "retry: 3000" "$(head -n1 "$WT_DIR/admin.sse")"

VT=$(W token add live --role viewer)
check "a viewer token opens a stream" stream viewer -H "Authorization: Bearer $VT"

W user add alice >/dev/null
W user add bob >/dev/null
AP=$(W user passwd alice)
session alice "$AP" "alice keeps a secret"
check "a VPN user logs in to the portal and changes its one-time password" test "$ST" = 200
ALICE_COOKIE=$COOKIE ALICE_CSRF=$CSRF
check "a user's session opens a stream" stream alice -H "Cookie: __Host-warren=$ALICE_COOKIE"
check_eq "the server counts three streams" 3 "$(streams)"

COOKIE= CSRF=
req GET /api/v1/events
check_eq "without credentials: 401" "401 unauthorized" "$ST $(jq -r .error "$WT_DIR/body")"
COOKIE=$ADMIN_COOKIE
req GET '/api/v1/events?x=1'
check_eq "a query it does not know: 400" "400 x: unknown field" "$ST $(jq -r .error "$WT_DIR/body")"
CT=$(W token add ops)
COOKIE= CSRF=
ST=$(in_ns c1 curl -s -o /dev/null -w '%{http_code}' --cacert "$WT_DIR/ca.pem" -X POST \
	-H "Authorization: Bearer $CT" "$URL/api/v1/events")
check_eq "only GET" 405 "$ST"

# ---- a user added over the CLI: every console stream hears of it, the user's does not
W user add carol >/dev/null
wait_for 3 has "$WT_DIR/admin.sse" user 'select(.name == "carol" and .state == "enabled" and .deleted == false)'
check "the admin's stream gets a user event for a user added over the CLI" test $? = 0
check "so does the viewer token's" has "$WT_DIR/viewer.sse" user 'select(.name == "carol")'
W user delete carol >/dev/null
wait_for 3 has "$WT_DIR/admin.sse" user 'select(.name == "carol" and .deleted == true and .state == null)'
check "and one when it is deleted, with its name" test $? = 0

# ---- real clients: alice's and bob's configs brought up with warren up
W user config alice >"$WT_DIR/$AL.conf"
W user config bob >"$WT_DIR/$BO.conf"
check "alice brings her config up" in_ns c1 "$WARREN" up --state-dir "$WT_DIR/c1" "$WT_DIR/$AL.conf"
check "her tunnel reaches the server (the handshake is done)" ping_ok c1 10.9.0.1
T0=$(date +%s%N)
wait_for 3 online "$WT_DIR/admin.sse" alice
OK=$?
T1=$(date +%s%N)
check "the admin's stream shows her device online within 3 s of the handshake" test $OK = 0
diag "status event $(( (T1 - T0) / 1000000 )) ms after the first ping answered"
check "with the row GET /api/v1/status has, endpoint and handshake included" \
	has "$WT_DIR/admin.sse" status '.devices[] | select(.user == "alice" and .device == "alice" and .kind == "config" and .state == "enabled" and (.endpoint | startswith("10.201.0.2:")) and .latest_handshake > 0 and .addresses[0] == "10.9.0.2/32" and has("rx_bytes") and has("rx_rate"))'
wait_for 3 online "$WT_DIR/alice.sse" alice
check "alice's own stream shows her device online" test $? = 0
check "so does the viewer token's" online "$WT_DIR/viewer.sse" alice
check "bob brings his config up" in_ns c2 "$WARREN" up --state-dir "$WT_DIR/c2" "$WT_DIR/$BO.conf"
check "his tunnel reaches the server" ping_ok c2 10.9.0.1
wait_for 4 online "$WT_DIR/admin.sse" bob
check "the admin sees bob online too" test $? = 0
# A few more polls with traffic on both tunnels, then look at what alice was told.
in_ns c1 ping -q -c 5 -i 0.5 10.9.0.1 >/dev/null 2>&1 &
in_ns c2 ping -q -c 5 -i 0.5 10.9.0.1 >/dev/null 2>&1
sleep 2.5
check "bob's traffic reaches the admin's stream as he sends it" \
	has "$WT_DIR/admin.sse" status '.devices[] | select(.user == "bob" and .rx_bytes > 0)'
check_eq "alice's stream has never carried anything of bob's" "" \
	"$(grep -o 'bob' "$WT_DIR/alice.sse" | head -n1)"
check_eq "only her own rows, in every status event" "alice" \
	"$(events "$WT_DIR/alice.sse" status | jq -r '.devices[].user' | sort -u | xargs)"
check "and no user event of anyone else (carol came and went)" \
	test -z "$(events "$WT_DIR/alice.sse" user | jq -r 'select(.name != "alice") | .name')"
check "every event has an id, counting from 1" \
	bash -c "grep '^id: ' '$WT_DIR/alice.sse' | awk '{ if (\$2 != NR) exit 1 } END { exit NR == 0 }'"
W user set alice --expires 30d >/dev/null
wait_for 3 has "$WT_DIR/alice.sse" user 'select(.name == "alice" and .deleted == false)'
check "alice hears of a change to her own account" test $? = 0

# ---- a session's end ends its stream
COOKIE=$ALICE_COOKIE CSRF=$ALICE_CSRF
req POST /api/v1/logout
check_eq "alice logs out" 204 "$ST"
wait_for 3 bash -c "! kill -0 $(cat "$WT_DIR/alice.pid") 2>/dev/null"
check "and her stream closes at once" test $? = 0
COOKIE=$ALICE_COOKIE CSRF=
req GET /api/v1/events
check_eq "her cookie opens no stream again" 401 "$ST"
check "the admin's stream goes on" running admin

# The many streams and the client that stops reading are python3's (the kernel tier's
# guest has none).
if ! command -v python3 >/dev/null 2>&1; then
	skip "600 streams from one address, a client that stops reading" "no python3"
else
# ---- 600 streams from one client address
cat >"$WT_DIR/sse.py" <<'EOF'
# sse.py many HOST PORT CA COOKIE N MARKER SECONDS READY: N event streams over one
# address; READY is written once all are open; then each waits for a user event naming
# MARKER. Prints "open X got Y".
# sse.py slow HOST PORT CA COOKIE READY STOP: one stream whose client reads its headers
# and then nothing, on a small receive buffer; once STOP exists it reads what is there:
# prints "closed" when the portal had closed it, "open" when it still streams.
# sse.py gen SOCKET USER N: N changes of USER over the control socket.
import asyncio, os, socket, ssl, sys, time

def ctx(ca):
    c = ssl.create_default_context(cafile=ca)
    return c

def request(host, cookie):
    return (f"GET /api/v1/events HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n"
            f"Cookie: __Host-warren={cookie}\r\n\r\n").encode()

async def chunks(r):
    while True:
        line = await r.readline()
        if not line:
            return
        n = int(line.strip().split(b";")[0], 16)
        if n == 0:
            return
        data = await r.readexactly(n + 2)
        yield data[:-2]

async def one(host, port, c, cookie, marker, opened, got, sem, all_open):
    async with sem:
        r, w = await asyncio.open_connection(host, port, ssl=c, server_hostname=host)
        w.write(request(host, cookie))
        await w.drain()
        status = await r.readline()
        if b" 200 " not in status:
            raise RuntimeError(status)
        while (await r.readline()) not in (b"\r\n", b""):
            pass
        buf = b""
        agen = chunks(r)
        async for data in agen:
            buf += data
            if b"retry: " in buf:
                break
    opened.append(1)
    if len(opened) == all_open[0]:
        all_open[1].set()
    want = b'event: user\ndata: {"name":"' + marker.encode() + b'"'
    async for data in agen:
        buf += data
        if want in buf:
            got.append(1)
            break
    await asyncio.sleep(0.5)
    w.close()

async def many(host, port, ca, cookie, n, marker, seconds, ready):
    c = ctx(ca)
    opened, got, sem = [], [], asyncio.Semaphore(50)
    all_open = [n, asyncio.Event()]
    tasks = [asyncio.create_task(one(host, port, c, cookie, marker, opened, got, sem, all_open))
             for _ in range(n)]
    try:
        await asyncio.wait_for(all_open[1].wait(), seconds)
        open(ready, "w").close()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), seconds)
    except asyncio.TimeoutError:
        pass
    print(f"open {len(opened)} got {len(got)}")

def slow(host, port, ca, cookie, ready, stop):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((host, int(port)))
    t = ctx(ca).wrap_socket(s, server_hostname=host)
    t.sendall(request(host, cookie))
    head = b""
    while b"retry: " not in head:
        head += t.recv(1024)
    open(ready, "w").close()
    while not os.path.exists(stop):
        time.sleep(0.2)
    t.settimeout(5)
    try:
        while t.recv(65536):
            pass
        print("closed")
    except socket.timeout:
        print("open")
    except (ssl.SSLError, OSError):
        print("closed")

def gen(path, user, n):
    for i in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        day = "%02d" % (i % 28 + 1)
        s.sendall(f'warren/1 api user.set {{"user":"{user}","expires":"2099-01-{day}"}}\n'.encode())
        while s.recv(4096):
            pass
        s.close()

if sys.argv[1] == "many":
    a = sys.argv[2:]
    asyncio.run(many(a[0], int(a[1]), a[2], a[3], int(a[4]), a[5], float(a[6]), a[7]))
elif sys.argv[1] == "slow":
    slow(*sys.argv[2:8])
else:
    gen(sys.argv[2], sys.argv[3], int(sys.argv[4]))
EOF
N=600
in_ns c1 python3 "$WT_DIR/sse.py" many 10.201.0.1 8443 "$WT_DIR/ca.pem" "$ADMIN_COOKIE" $N \
	marker600 60 "$WT_DIR/many.ready" >"$WT_DIR/many.out" 2>"$WT_DIR/many.err" &
MANY=$!
track_pid $MANY
wait_for 60 test -e "$WT_DIR/many.ready"
check "$N streams from one address open" test $? = 0
if command -v ss >/dev/null 2>&1; then
	ESTAB=$(in_ns srv ss -Htn state established '( sport = :8443 )' | wc -l)
	check "the portal holds them all at once ($ESTAB connections)" test "$ESTAB" -ge $((N + 2))
fi
check "and the server knows every one" test "$(streams)" -ge $((N + 2))
W user add marker600 >/dev/null
wait "$MANY"
check_eq "all of them get the event" "open $N got $N" "$(cat "$WT_DIR/many.out")"
[ -s "$WT_DIR/many.err" ] && diag "$(tail -n 3 "$WT_DIR/many.err")"
wait_for 5 streams_are 2
check "when they leave, the server forgets them (admin and viewer remain)" test $? = 0

# ---- a client that stops reading is dropped; the others go on
W user add slow-reader-generates-user-event >/dev/null
in_ns c1 python3 "$WT_DIR/sse.py" slow 10.201.0.1 8443 "$WT_DIR/ca.pem" "$ADMIN_COOKIE" \
	"$WT_DIR/slow.ready" "$WT_DIR/slow.stop" >"$WT_DIR/slow.out" 2>"$WT_DIR/slow.err" &
SLOW=$!
track_pid $SLOW
wait_for 10 test -e "$WT_DIR/slow.ready"
check "a client opens a stream and stops reading" test $? = 0
dropped() { grep -q 'unread; dropped' "$WT_DIR/server.log"; }
# About 100 bytes an event: 6,000 of them fill the kernel's buffers and the 256 KiB queue.
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	python3 "$WT_DIR/sse.py" gen "$SOCK" slow-reader-generates-user-event 500
	dropped && break
done
wait_for 15 dropped
check "the portal drops it once 256 KiB wait unread" test $? = 0
touch "$WT_DIR/slow.stop"
wait "$SLOW"
check_eq "its connection is closed" closed "$(cat "$WT_DIR/slow.out")"
W user add after-the-drop >/dev/null
wait_for 3 has "$WT_DIR/admin.sse" user 'select(.name == "after-the-drop")'
check "the admin's stream, which read everything, got the next event" test $? = 0
check "so did the viewer token's" has "$WT_DIR/viewer.sse" user 'select(.name == "after-the-drop")'
GOT_A=$(events "$WT_DIR/admin.sse" user | grep -c slow-reader)
GOT_V=$(events "$WT_DIR/viewer.sse" user | grep -c slow-reader)
check_eq "and neither lost any of the $GOT_A events in between" "$GOT_A" "$GOT_V"
fi

# ---- a token's deletion ends its stream (checked every 10 s)
W token delete live
wait_for 12 bash -c "! kill -0 $(cat "$WT_DIR/viewer.pid") 2>/dev/null"
check "a deleted token's stream ends within 10 s" test $? = 0

check "the server runs on" kill -0 "$SERVER_PID"
check_eq "with the same portal process (never restarted)" "$PORTAL_PID" "$(portal_pid)"
check "the admin's stream is still open" running admin
check_not "no error in the server's log" grep -E 'refusing|restarting|exited' "$WT_DIR/server.log"
finish
