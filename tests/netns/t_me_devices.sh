#!/usr/bin/env bash
# tests/netns/t_me_devices.sh: a VPN user's own devices through the portal's API
# (/api/v1/me/devices): added with keys made by the server or only a public key from the
# browser, downloaded, rotated and revoked, each seen on the server's link at once; the
# device limit; nobody else's devices reachable; console accounts and the unauthenticated
# turned away.
#
#   ns srv (warren server)  vs 10.201.0.1/24 ---- vc 10.201.0.2/24  ns cl (curl)
#   portal https://10.201.0.1:8443
. "$(dirname "$0")/lib.sh"
[ "$WARREN_BACKEND" = kernel ] &&
	skip_all "the user's routes call the same device code as the admin's; the host tier runs them"
require ip wg jq openssl curl
need_warren

server_with_portal "max_devices = 3;"

# on_link KEY / off_link KEY: whether the server's link has that peer; an empty KEY is
# neither, so a key that was never read cannot pass.
on_link() { [ -n "$1" ] && in_ns srv wg show "$WGS" peers | grep -qxF -- "$1"; }
off_link() { [ -n "$1" ] && ! in_ns srv wg show "$WGS" peers | grep -qxF -- "$1"; }
dev_json() { W device list --user "$1" --json | jq -c --arg d "$2" '.[] | select(.name == $d)'; }
pub_of() { dev_json "$1" "$2" | jq -r .public_key; }

W user add alice >/dev/null && W user add bob >/dev/null
AP=$(W user passwd alice)
login alice "$AP"
req POST /api/v1/password "{\"old\":\"$AP\",\"new\":\"alice's own words\"}"
login alice "alice's own words"
check_eq "alice signs in to the portal" 200 "$ST"
W user set alice --quota 2GiB >/dev/null
req GET /api/v1/me
check_eq "her account says her quota, use and device limit" "2147483648 0 3" \
	"$(jq -r '"\(.quota) \(.used) \(.max_devices)"' "$WT_DIR/body")"

# ---- a device with keys made by the server: its file carries them
req POST /api/v1/me/devices '{"name":"laptop"}'
check_eq "alice adds a device" "201 laptop config" "$ST $(jq -r '"\(.name) \(.kind)"' "$WT_DIR/body")"
LAPTOP=$(jq -r .public_key "$WT_DIR/body")
check "its peer is on the link at once" on_link "$LAPTOP"
req GET /api/v1/me/devices/laptop/config
check_eq "its file downloads as an attachment" "200 laptop.conf" \
	"$ST $(sed -n 's/^[Cc]ontent-[Dd]isposition:.*filename="\([^"]*\)".*/\1/p' "$WT_DIR/hdr" | tr -d '\r')"
check "with its private key, whose public key is the peer's" \
	test "$(sed -n 's/^PrivateKey = //p' "$WT_DIR/body" | wg pubkey)" = "$LAPTOP"
req GET /api/v1/me/devices/laptop/qr.svg
check_eq "and as a QR code" "200 image/svg+xml" \
	"$ST $(sed -n 's/^[Cc]ontent-[Tt]ype: \([^;[:space:]]*\).*/\1/p' "$WT_DIR/hdr")"

# ---- a device whose key the browser made: the server holds only the public key
PRIV=$(wg genkey) PUB=$(echo "$PRIV" | wg pubkey)
req POST /api/v1/me/devices "{\"name\":\"phone\",\"public_key\":\"$PUB\"}"
check_eq "alice adds a device with only its public key" "201 $PUB" "$ST $(jq -r .public_key "$WT_DIR/body")"
req GET /api/v1/me/devices/phone/config
check "its file has no private key" bash -c "! grep -q '^PrivateKey' '$WT_DIR/body'"
check "and says which key belongs there" grep -qF "public key is $PUB" "$WT_DIR/body"
check "no private key of it in the database" test \
	"$(sqlite3 "$WT_DIR/warren.db" "SELECT private_key_enc IS NULL FROM devices WHERE name = 'phone'")" = 1

# ---- rotation with a browser-made key: the old key is off the link at once
PRIV2=$(wg genkey) PUB2=$(echo "$PRIV2" | wg pubkey)
ADDR=$(dev_json alice phone | jq -r '.addresses[0]')
req POST /api/v1/me/devices/phone/rotate "{\"public_key\":\"$PUB2\"}"
check_eq "alice rotates the phone's key" "200 $PUB2" "$ST $(jq -r .public_key "$WT_DIR/body")"
check "the old key is off the link" off_link "$PUB"
check "the new one is on it" on_link "$PUB2"
check_eq "with the same address" "${ADDR:-none}" "$(dev_json alice phone | jq -r '.addresses[0]')"
req POST /api/v1/me/devices/laptop/rotate '{}'
check_eq "a rotation with keys made by the server" 200 "$ST"
check "takes the laptop's old key off the link" off_link "$LAPTOP"

# ---- the limit, and nobody else's devices
req POST /api/v1/me/devices '{"name":"tablet"}'
check_eq "a third device (alice's first, laptop, phone: at the limit of 3)" 409 "$ST"
check_eq "is refused with the limit named" "a user has at most 3 devices (server.max_devices)" "$(err)"
req POST /api/v1/me/devices '{"name":"phone"}'
check_eq "so is a second device of a name" 409 "$ST"
req GET /api/v1/me/devices/bob/config
check_eq "bob's device is not alice's to read" "404" "$ST"
BOB=$(pub_of bob bob)
req DELETE /api/v1/me/devices/bob
check_eq "nor to revoke" 404 "$ST"
check "bob stays on the link" on_link "$BOB"
req POST /api/v1/me/devices '{"name":"x","user":"bob"}'
check_eq "a request cannot name another user" 400 "$ST"
req POST /api/v1/me/devices/phone/rotate '{"public_key":"not a key"}'
check_eq "a bad key is refused, naming the field" "400" "$ST"
check "with the field named" bash -c "jq -r .error '$WT_DIR/body' | grep -q public_key"
check_eq "and the phone keeps its key" "$PUB2" "$(pub_of alice phone)"
SAVE=$CSRF CSRF=
req DELETE /api/v1/me/devices/phone
check_eq "a revocation without the CSRF token" 403 "$ST"
CSRF=$SAVE

# ---- revocation
req DELETE /api/v1/me/devices/phone
check_eq "alice revokes the phone" 204 "$ST"
check "its key is off the link" off_link "$PUB2"
check_eq "and the device is gone" "alice laptop" "$(W device list --user alice --json | jq -r '.[].name' | sort | xargs)"
check_eq "the audit names alice" "user:alice me.device.delete alice/phone" \
	"$(sqlite3 "$WT_DIR/warren.db" "SELECT actor || ' ' || op || ' ' || target FROM audit WHERE op = 'me.device.delete' AND status = 204")" 

# ---- an account an administrator disabled
W user disable alice >/dev/null
req GET /api/v1/me
check_eq "disabling alice ends her session" 401 "$ST"
login alice "alice's own words"
check_eq "her right password is told the account is disabled, with no session" \
	"403 account disabled by an administrator " "$ST $(err) $COOKIE"
login alice "not her password"
check_eq "a wrong one hears only that it is wrong" "401 wrong name or password" "$ST $(err)"
W user enable alice >/dev/null
login alice "alice's own words"
check_eq "enabled again, she signs in" 200 "$ST"

# ---- console accounts and strangers
P=$(W admin add root)
login root "$P"
req POST /api/v1/password "{\"old\":\"$P\",\"new\":\"root's own words\"}"
login root "root's own words"
req POST /api/v1/me/devices '{"name":"rootbox"}'
check_eq "an admin has no devices of its own" "403 forbidden" "$ST $(err)"
COOKIE= CSRF=
req GET /api/v1/me/devices/laptop/config
check_eq "nobody signed in reads nothing" 401 "$ST"
finish
