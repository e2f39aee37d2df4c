// WireGuard keys made in the browser (WebCrypto X25519), so a private key exists only on
// the page that shows it: the server gets the public key, and the configuration it sends
// back (without a PrivateKey line) is completed here.

function b64(bytes) {
	let s = '';
	for (const b of bytes) s += String.fromCharCode(b);
	return btoa(s);
}

// JWK's base64url without padding to WireGuard's base64 with it.
function fromB64url(s) {
	const t = s.replace(/-/g, '+').replace(/_/g, '/');
	return t + '='.repeat((4 - (t.length % 4)) % 4);
}

let supported = null;

// Whether this browser makes X25519 keys (a secure context and a recent engine): asked
// once, by making a pair.
export function x25519Supported() {
	if (!supported) {
		supported = (async () => {
			try {
				if (!globalThis.crypto || !crypto.subtle) return false;
				const kp = await crypto.subtle.generateKey({ name: 'X25519' }, true, ['deriveBits']);
				return !!kp && !!kp.publicKey;
			} catch {
				return false;
			}
		})();
	}
	return supported;
}

// A new pair as WireGuard writes keys: { publicKey, privateKey } in base64.
export async function makeKeyPair() {
	const kp = await crypto.subtle.generateKey({ name: 'X25519' }, true, ['deriveBits']);
	const pub = new Uint8Array(await crypto.subtle.exportKey('raw', kp.publicKey));
	const jwk = await crypto.subtle.exportKey('jwk', kp.privateKey);
	if (pub.length !== 32 || typeof jwk.d !== 'string') throw new Error('X25519: unexpected key format');
	return { publicKey: b64(pub), privateKey: fromB64url(jwk.d) };
}

// The server's file for a key it never saw, completed: its "# PrivateKey ..." comment
// lines dropped and "PrivateKey = KEY" put first under [Interface], where the server puts
// the keys it holds.
export function withPrivateKey(conf, privateKey) {
	const lines = String(conf).split('\n').filter((l) => !/^\s*#\s*PrivateKey\b/.test(l) && !/^\s*PrivateKey\s*=/i.test(l));
	const at = lines.findIndex((l) => /^\s*\[Interface\]\s*$/i.test(l));
	if (at < 0) throw new Error('the configuration has no [Interface] section');
	lines.splice(at + 1, 0, `PrivateKey = ${privateKey}`);
	return lines.join('\n');
}
