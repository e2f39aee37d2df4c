// tests/web/qr.mjs: web/lib/qr.js against a real reader. Every version from 1 to 40 at
// every level, at the shortest and the longest text it is chosen for, each mask forced
// once, a wg-quick file, UTF-8 in several scripts and control characters: each code is
// drawn as SVG, rendered to PNG by rsvg-convert and read back by zbarimg, and the text
// must come back exactly. Prints TAP-ish "ok"/"not ok" lines and a summary.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { qrEncode, qrSvg, capacity } from '../../web/lib/qr.js';

const dir = mkdtempSync(join(tmpdir(), 'qr-'));
let passed = 0;
let failed = 0;
const failures = [];

function read(svg, n) {
	const s = join(dir, `c${n}.svg`);
	const p = join(dir, `c${n}.png`);
	writeFileSync(s, svg);
	execFileSync('rsvg-convert', ['-o', p, s]);
	try {
		return execFileSync('zbarimg', ['--raw', '-q', '-Sdisable', '-Sqrcode.enable', p],
			{ stdio: ['ignore', 'pipe', 'ignore'] }).toString('utf8');
	} catch (e) {
		return null;
	}
}

let n = 0;
// what: the case's name; opts go to qrEncode; want: version and level when they matter.
function check(what, text, opts = {}, want = {}) {
	n++;
	let qr;
	try {
		qr = qrEncode(text, opts);
	} catch (e) {
		failed++;
		failures.push(`${what}: ${e.message}`);
		return;
	}
	// 4 px a module is what a screen shows; zbar reads it.
	const svg = qrSvg(qr, { size: (qr.size + 8) * 4 });
	const got = read(svg, n);
	const bad = [];
	// zbarimg ends each symbol with a newline.
	if (got === null) bad.push('zbarimg read nothing');
	else if (got !== `${text}\n`) bad.push(`read back ${JSON.stringify(got.slice(0, 80))} (${got.length} chars)`);
	if (want.version && qr.version !== want.version) bad.push(`version ${qr.version}, wanted ${want.version}`);
	if (want.ecc && qr.ecc !== want.ecc) bad.push(`level ${qr.ecc}, wanted ${want.ecc}`);
	if (bad.length) {
		failed++;
		failures.push(`${what} (v${qr.version} ${qr.ecc} mask ${qr.mask}, ${new TextEncoder().encode(text).length} bytes): ${bad.join('; ')}`);
	} else {
		passed++;
	}
}

// Text of exactly len ASCII bytes that is not all one character (a real reader's
// heuristics are not what is tested): letters, digits and punctuation in turn.
function filler(len, seed = 0) {
	const abc = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 +-=/.,:;!?';
	let s = '';
	for (let i = 0; i < len; i++) s += abc[(i * 7 + seed * 13 + (i >> 3)) % abc.length];
	return s;
}

const result = (name, fails) => {
	if (fails.length) {
		console.log(`not ok - ${name}`);
		for (const f of fails.slice(0, 20)) console.log(`#   ${f}`);
		if (fails.length > 20) console.log(`#   ... and ${fails.length - 20} more`);
	} else {
		console.log(`ok - ${name}`);
	}
};

function group(name, fn) {
	const before = failures.length;
	const p0 = passed;
	fn();
	result(`${name} (${passed - p0 + failures.length - before} codes)`, failures.slice(before));
}

group('every version 1-40 at levels L, M, Q and H, at the longest text it holds and one byte more than the version before', () => {
	for (const ecc of ['L', 'M', 'Q', 'H']) {
		for (let v = 1; v <= 40; v++) {
			const max = capacity(v, ecc);
			check(`${ecc} v${v} longest`, filler(max, v), { ecc, boost: false }, { version: v, ecc });
			if (v > 1) check(`${ecc} v${v} shortest`, filler(capacity(v - 1, ecc) + 1, v + 40), { ecc, boost: false }, { version: v, ecc });
		}
	}
});

group('text past version 40 is refused', () => {
	n++;
	try {
		qrEncode(filler(capacity(40, 'L') + 1), { ecc: 'L' });
		failures.push('2954 bytes at L did not throw');
		failed++;
	} catch (e) {
		if (e instanceof RangeError) passed++;
		else {
			failed++;
			failures.push(`threw ${e}`);
		}
	}
});

group('each of the eight masks forced, in versions 1, 7 and 22', () => {
	for (let mask = 0; mask < 8; mask++) {
		for (const v of [1, 7, 22]) {
			check(`mask ${mask} v${v}`, filler(capacity(v, 'M') - 3, mask), { ecc: 'M', mask, minVersion: v, boost: false }, { version: v });
		}
	}
});

group('every length from 1 to 300 bytes at level M', () => {
	for (let len = 1; len <= 300; len++) check(`M ${len} bytes`, filler(len, len), { ecc: 'M' });
});

const WG = `[Interface]
# warren: alice's laptop
PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=
Address = 10.9.0.2/32, fd00:9::2/128
DNS = 10.9.0.1

[Peer]
PublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=
PresharedKey = 3W3WNhxPzGOt0yTcuJl4xtqPy0vI9R2Tn1LOE4ug2uI=
Endpoint = vpn.example.net:51820
AllowedIPs = 10.9.0.0/16, 10.0.0.0/8, 192.168.40.0/24, fd00:9::/64
PersistentKeepalive = 25
`;

group('wg-quick files of ~400 bytes, at M and L', () => {
	check('wg-quick M', WG, { ecc: 'M' });
	check('wg-quick L', WG, { ecc: 'L' });
	check('wg-quick twice M', WG + WG.replace(/alice/g, 'bob'), { ecc: 'M' });
	check('wg-quick CRLF', WG.replace(/\n/g, '\r\n'), { ecc: 'M' });
});

group('UTF-8: Chinese, accents, Cyrillic, Greek, emoji', () => {
	check('zh', '你好，世界！这是一个二维码测试。', {});
	check('zh long', '中文设备名称：张伟的笔记本电脑；公告：服务器将于周六凌晨维护。'.repeat(6), {});
	check('latin', 'Grüße aus Köln — naïve café, señor, Ørsted, Łódź', {});
	check('cyrillic greek', 'Привет, мир! Καλημέρα κόσμε', {});
	check('emoji', 'device 📱 → tunnel 🔒 ok ✅', {});
	check('mixed', `[Interface]\n# 设备：李娜的手机 📱\nPrivateKey = ${'A'.repeat(43)}=\n`, { ecc: 'L' });
});

group('control characters and other binary-ish text', () => {
	check('tabs', 'a\tb\tc\t\td', {});
	check('controls', 'x\x01\x02\x03\x07\x1b[0m\x7fy', {});
	check('all ascii 1-127', Array.from({ length: 127 }, (_, i) => String.fromCharCode(i + 1)).join(''), {});
	check('lone newlines', '\n\n\nend\n', {});
	check('voucher code', 'K7M2-9QXA-R4TZ-0HJW-PB8=', { ecc: 'M' });
});

rmSync(dir, { recursive: true, force: true });
console.log(`# ${passed} codes read back, ${failed} wrong`);
process.exit(failed ? 1 : 0);
