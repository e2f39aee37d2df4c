// The self-service portal in Debian's Chromium, against the portal at $URL (run by
// t_portal.sh inside the client's namespace). Prints one "ok - ..." or "not ok - ..."
// line per check; screenshots of every page go to $SHOTS as portal-*-WIDTH.png.
//
// All against the real server, nothing made up in the browser: the voucher code check
// and the completion of a file with a browser-made key (node, the page's own modules);
// sign-in with a one-time password and the forced change; the first render on a phone;
// a device added with a key made by WebCrypto (the private key in no request), its file
// downloaded and brought up with stock wg-quick (ping through the tunnel), its QR code
// read back by zbarimg; new keys made in the browser (the old file stops at once, the
// new one works); a device revoked (its peer leaves the interface); announcements with
// the unread count on the navigation, live by SSE; vouchers: an account made, signed
// in, connected, the code refused a second time, an account extended; the same flows in
// Chinese; no console errors, no CSP violations anywhere.
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

const BASE = process.env.URL;
const WEB = process.env.WEB;
const SHOTS = process.env.SHOTS;
const WORK = process.env.WORK;
const TUN_NS = process.env.TUN_NS;
const WEB_NS = process.env.WEB_NS;
const WG_IF = process.env.WG_IF;
const WGS = process.env.WGS;
const DESK = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const SIZES = [DESK, PHONE];

let failures = 0;
const ok = (d) => console.log(`ok - ${d}`);
function notOk(d, ...detail) {
	failures++;
	console.log(`not ok - ${d}`);
	for (const l of detail.flat().slice(0, 20)) console.log(`#   ${String(l).slice(0, 400)}`);
}
const check = (d, cond, ...detail) => (cond ? ok(d) : notOk(d, ...detail));
const sh = (cmd, args, opt = {}) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opt });
const W = (...args) => sh('ip', ['netns', 'exec', WEB_NS, process.env.WARREN, ...args, '-s', process.env.SOCK]);
const inTun = (...args) => sh('ip', ['netns', 'exec', TUN_NS, ...args],
	{ env: { ...process.env, WG_QUICK_USERSPACE_IMPLEMENTATION: 'wireguard-go' } });
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

const cat = Object.fromEntries(['en', 'zh-CN'].map((l) => [l, JSON.parse(readFileSync(join(WEB, 'i18n', `${l}.json`), 'utf8'))]));
const en = cat.en;
const zh = cat['zh-CN'];
const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));

async function attempt(fn) {
	try {
		await fn();
		return true;
	} catch {
		return false;
	}
}

// ---- the page's own modules in node: the voucher check and the key completion
const voucher = await import(join(WEB, 'lib/voucher.js'));
const wgkeys = await import(join(WEB, 'lib/wgkeys.js'));
{
	const data = 'K7M29QXAR4TZ0HJWPB8';
	const code = data + voucher.checkSymbol(data);
	const printed = voucher.formatCode(code);
	const typo = printed.replace('R4TZ', 'R4T2');
	const bad = [];
	if (voucher.checkCode(printed).state !== 'ok') bad.push(`printed ${printed}`);
	if (voucher.checkCode(printed.toLowerCase().replace(/0/g, 'o').replace(/1/g, 'l').replace(/-/g, ' ')).state !== 'ok') bad.push('forgiving');
	if (voucher.checkCode(typo).state !== 'wrong_check') bad.push(`typo ${typo}`);
	if (voucher.checkCode(printed.slice(0, 9)).state !== 'partial') bad.push('partial');
	if (voucher.checkCode(`${printed}X`).state !== 'too_long') bad.push('too long');
	if (voucher.checkCode('K7M2-U').state !== 'bad_symbol') bad.push('U inside');
	// 95 bits mod 37 by hand for an all-ones code: (2^95 - 1) mod 37.
	let m = 1n;
	for (let i = 0; i < 95; i++) m = (m * 2n) % 37n;
	if (voucher.checkSymbol('Z'.repeat(19)) !== voucher.CHECK_SYMBOLS[Number((m - 1n + 37n) % 37n)]) bad.push('ZZZ check');
	if (voucher.checkSymbol('0'.repeat(19)) !== '0') bad.push('000 check');
	check('voucher codes: the check symbol (mod 37), forgiving O/I/L, case, dashes and spaces; a typo, a short, a long code and a stray symbol told apart',
		!bad.length, bad);
	const server = '# PrivateKey missing: the server never saw it. Add under [Interface]:\n# PrivateKey = <the private key whose public key is X>\n[Interface]\nAddress = 10.9.0.2/32\n\n[Peer]\nPublicKey = Y\n';
	const done = wgkeys.withPrivateKey(server, 'KEY=');
	check('a file without a private key is completed: comment lines gone, PrivateKey first under [Interface]',
		done === '[Interface]\nPrivateKey = KEY=\nAddress = 10.9.0.2/32\n\n[Peer]\nPublicKey = Y\n', JSON.stringify(done));
}

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM,
	headless: true,
	args: [
		'--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync',
		`--ignore-certificate-errors-spki-list=${process.env.SPKI}`,
	],
});

// A page that records what the browser complains about, CSP violations, and the body
// of every request it sends.
async function open(context) {
	const pg = await context.newPage();
	pg.setDefaultTimeout(10000);
	const log = { console: [], errors: [], bodies: [], requests: [] };
	pg.on('console', (m) => {
		if (m.type() === 'error' || m.type() === 'warning') log.console.push({ type: m.type(), text: m.text(), url: m.location().url });
	});
	pg.on('pageerror', (e) => log.errors.push(String(e)));
	pg.on('request', (r) => {
		log.requests.push(r.url());
		const b = r.postData();
		if (b) log.bodies.push(b);
	});
	await pg.addInitScript(() => {
		window.__csp = [];
		document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
	});
	return { pg, log };
}

// What the browser said, but the failed API calls a step makes on purpose (a refused
// voucher, a wrong password).
async function checkClean(label, { pg, log }, allowApi = false) {
	const csp = await pg.evaluate(() => window.__csp).catch(() => []);
	const cspConsole = log.console.filter((m) => /Content Security Policy/i.test(m.text));
	check(`${label}: no CSP violation`, !csp.length && !cspConsole.length, csp, cspConsole.map((m) => m.text));
	const c = log.console
		.filter((m) => !(allowApi && /^Failed to load resource/.test(m.text) && m.url.includes('/api/v1/')))
		.map((m) => `${m.type}: ${m.text} (${m.url})`)
		.concat(log.errors.map((e) => `page error: ${e}`));
	check(`${label}: no console error`, !c.length, c);
	const other = log.requests.filter((u) => !u.startsWith(BASE) && !u.startsWith('data:') && !u.startsWith('blob:'));
	check(`${label}: no request leaves for another origin`, !other.length, other);
}

async function shot(pg, name, size) {
	await pg.setViewportSize(size);
	await pg.waitForTimeout(200);
	await pg.screenshot({ path: join(SHOTS, `portal-${name}-${size.width}.png`), fullPage: false });
}
async function shots(pg, name, back = null) {
	const was = pg.viewportSize();
	await closeToasts(pg);
	for (const size of SIZES) await shot(pg, name, size);
	await pg.setViewportSize(back || was);
}

const dialog = (pg) => pg.locator('dialog[open]');
async function closeToasts(pg) {
	for (const b of await pg.locator('.toast button').all()) await b.click().catch(() => {});
}

// Sign in through the form; with a one-time password, the forced change follows.
async function signIn(pg, c, name, password, change) {
	await pg.getByLabel(c['login.name'], { exact: true }).fill(name);
	await pg.getByLabel(c['login.password'], { exact: true }).fill(password);
	await pg.locator('button[type=submit]').click();
	if (change) {
		await pg.locator('h1', { hasText: c['password.title_forced'] }).waitFor({ timeout: 15000 });
		await pg.getByLabel(c['password.old_forced'], { exact: true }).fill(password);
		await pg.getByLabel(c['password.new'], { exact: true }).fill(change);
		await pg.getByLabel(c['password.again'], { exact: true }).fill(change);
		await pg.locator('button[type=submit]').click();
	}
}

// The nav's tab of a page (the bottom bar on a phone, the side on a desktop).
const tab = (pg, id) => pg.locator(`.ptabs a[data-page="${id}"]`);
async function go(pg, id, h1) {
	await tab(pg, id).click();
	await pg.locator('h1', { hasText: h1 }).waitFor({ timeout: 10000 });
}

// The wg-quick file of a tunnel as the test brings it up (DNS left out: no resolv.conf).
function tunnelFile(conf) {
	const f = join(WORK, `${WG_IF}.conf`);
	writeFileSync(f, conf.split('\n').filter((l) => !/^\s*DNS\s*=/i.test(l)).join('\n'), { mode: 0o600 });
	return f;
}
function pings(tries = 8) {
	for (let i = 0; i < tries; i++) {
		try {
			inTun('ping', '-c', '1', '-W', '1', '10.9.0.1');
			return true;
		} catch {
			// the first handshake takes a moment
		}
	}
	return false;
}
function up(conf, label) {
	try {
		inTun('wg-quick', 'up', tunnelFile(conf));
		return true;
	} catch (e) {
		notOk(`${label}: wg-quick up`, String(e.stderr || e.message).split('\n'));
		return false;
	}
}
function down() {
	try {
		inTun('wg-quick', 'down', join(WORK, `${WG_IF}.conf`));
	} catch {
		// not up
	}
}
const serverPeers = () => sh('wg', ['show', WGS, 'peers']).split('\n').filter(Boolean);
const pubkeyOf = (conf) => {
	const m = /^PrivateKey\s*=\s*(\S+)/m.exec(conf);
	return m ? sh('wg', ['pubkey'], { input: `${m[1]}\n`, stdio: ['pipe', 'pipe', 'pipe'] }).trim() : '';
};

// The file the keys dialog offers: the download (saved as the browser names it) and the
// QR code as the screen shows it, read by zbarimg.
async function takeKeys(pg, name, label) {
	const d = dialog(pg);
	await d.locator('a[data-conf="new"]').waitFor({ timeout: 15000 });
	const [dl] = await Promise.all([pg.waitForEvent('download', { timeout: 10000 }), d.locator('a[data-conf="new"]').click()]);
	const saved = join(WORK, 'dl', `${label}-${dl.suggestedFilename()}`);
	await dl.saveAs(saved);
	const conf = readFileSync(saved, 'utf8');
	const png = join(WORK, `${label}-qr.png`);
	await d.locator('.qr').screenshot({ path: png });
	let scanned = '';
	try {
		scanned = sh('zbarimg', ['--raw', '-q', png]);
	} catch (e) {
		scanned = `(zbarimg: ${e.status})`;
	}
	return { conf, scanned, filename: dl.suggestedFilename() };
}

async function me(pg) {
	return pg.evaluate(async () => (await fetch('/api/v1/me', { headers: { Accept: 'application/json' } })).json());
}

mkdirSync(SHOTS, { recursive: true });
mkdirSync(join(WORK, 'dl'), { recursive: true });
const ctxOpts = { viewport: PHONE, acceptDownloads: true };


// ============================================================ alice, in English
const actx = await browser.newContext({ ...ctxOpts, locale: 'en' });
const A = await open(actx);
const pg = A.pg;
let conf1 = '';
{
	await pg.goto(`${BASE}/`);
	await pg.locator('h1', { hasText: en['login.title.portal'] }).waitFor();
	check('the sign-in page offers "Have a voucher?"', await pg.getByRole('link', { name: en['voucher.have_one_link'] }).count() === 1);
	await shots(pg, 'login-en');
	await signIn(pg, en, 'alice', 'wrong password');
	await pg.locator('.form-error').waitFor({ timeout: 10000 });
	await pg.getByLabel(en['login.password'], { exact: true }).fill('');
	await signIn(pg, en, 'alice', process.env.P_ALICE);
	await pg.locator('h1', { hasText: en['password.title_forced'] }).waitFor({ timeout: 15000 });
	ok('the one-time password from `warren user passwd` signs in and leads to the forced change');
	await shots(pg, 'password-en');
	await pg.getByLabel(en['password.old_forced'], { exact: true }).fill(process.env.P_ALICE);
	await pg.getByLabel(en['password.new'], { exact: true }).fill('alice portal pass');
	await pg.getByLabel(en['password.again'], { exact: true }).fill('alice portal pass');
	await pg.locator('button[type=submit]').click();
	const hello = fill(en['account.hello'], { name: 'alice' });
	check('after the change the account page greets alice', await attempt(() => pg.locator('h1', { hasText: hello }).waitFor({ timeout: 15000 })));
	const text = await pg.locator('.pmain').innerText();
	check('it shows the state, the expiry, the quota bar with what is left, and the devices count',
		text.includes(en['state.enabled']) && await pg.locator('.quota-block progress').count() === 1
		&& text.includes(fill(en['portal.quota_left'], { left: '20 GiB' })) && text.includes(fill(en['devices.count_of'], { n: 0, max: 3 })), text.slice(0, 600));
	check('and the traffic of 30 days as a chart', await attempt(() => pg.locator('.chart svg').waitFor({ timeout: 10000 })));
	check('and says no device is connected', text.includes(en['portal.no_session']));

	// The first render after sign-in, on a phone-sized window: from the navigation to the
	// account's figures on screen.
	const times = [];
	for (let i = 0; i < 5; i++) {
		await pg.goto(`${BASE}/`);
		times.push(await pg.waitForFunction(() => {
			if (document.querySelector('.account-page .quota-block') && document.querySelector('.ptabs')) {
				window.__first = window.__first || performance.now();
				return window.__first;
			}
			return false;
		}, null, { polling: 'raf', timeout: 15000 }).then((h) => h.jsonValue()));
	}
	const first = med(times);
	console.log(`# the portal's first render at 390x844 after sign-in: ${first.toFixed(0)} ms from the navigation (median of 5: ${times.map((x) => x.toFixed(0)).join(', ')} ms; figure 300 ms)`);
	check(`the first render on a phone is within 600 ms on this busy machine (${first.toFixed(0)} ms; figure 300 ms)`, first <= 600);
	await shots(pg, 'account-en');
}

// ---- a device with a key made in the browser; its file up as a real tunnel; its QR
{
	await go(pg, 'devices', en['account.devices']);
	check('the devices page says none yet and the limit', (await pg.locator('.pmain').innerText()).includes(en['devices.none'])
		&& (await pg.locator('.page-lead').innerText()).includes(fill(en['devices.count_of'], { n: 0, max: 3 })));
	const x = await pg.evaluate(async () => {
		try {
			await crypto.subtle.generateKey({ name: 'X25519' }, true, ['deriveBits']);
			return true;
		} catch {
			return false;
		}
	});
	check('this Chromium makes X25519 keys (WebCrypto)', x);
	await shots(pg, 'devices-empty-en');
	await pg.getByRole('button', { name: en['device.add'] }).click();
	await dialog(pg).waitFor();
	await dialog(pg).getByLabel(en['device.name'], { exact: true }).fill('Laptop!');
	await dialog(pg).locator('button[type=submit]').click();
	check('a device name the server would refuse is caught in the form', await attempt(() => dialog(pg).locator('.field-error', { hasText: en['devices.name_rule'] }).waitFor({ timeout: 3000 })));
	await dialog(pg).getByLabel(en['device.name'], { exact: true }).fill('laptop');
	await shots(pg, 'device-add-en');
	await dialog(pg).locator('button[type=submit]').click();
	const k = await takeKeys(pg, 'laptop', 'laptop1');
	conf1 = k.conf;
	check('the keys dialog says plainly the key is shown only now', (await dialog(pg).innerText()).includes(en['devices.once']));
	await shots(pg, 'device-keys-en');
	const m1 = await me(pg);
	const laptop = (m1.devices || []).find((d) => d.name === 'laptop');
	check('the download is laptop.conf: the server\'s file with PrivateKey under [Interface] and no comment lines',
		k.filename === 'laptop.conf' && /^\[Interface\]\nPrivateKey = [A-Za-z0-9+/]{43}=\n/.test(conf1) && !/^#/m.test(conf1)
		&& /Endpoint = 10\.204\.0\.1:51820/.test(conf1), conf1.split('\n').slice(0, 4));
	check('its private key is the one of the public key the server holds, and the server holds no private key',
		laptop && pubkeyOf(conf1) === laptop.public_key && laptop.server_holds_private_key === false,
		`${pubkeyOf(conf1)} vs ${laptop && laptop.public_key} (${laptop && laptop.server_holds_private_key})`);
	const priv = /^PrivateKey = (\S+)/m.exec(conf1)[1];
	check('the private key left the browser in no request', !A.log.bodies.some((b) => b.includes(priv)), A.log.bodies.filter((b) => b.includes(priv)));
	check('the page\'s QR code (zbarimg, from the screen) reads exactly the downloaded file', k.scanned === conf1 || k.scanned === `${conf1}\n`,
		JSON.stringify(k.scanned.slice(0, 120)));
	await dialog(pg).getByRole('button', { name: en['devices.done_saved'] }).click();
	await dialog(pg).waitFor({ state: 'detached', timeout: 5000 }).catch(() => {});
	check('the device list shows laptop with the note that its key is not kept here',
		(await pg.locator('[data-device="laptop"]').innerText()).includes(en['devices.key_on_device']));

	if (up(conf1, 'the browser-made file')) {
		check('wg-quick brings the downloaded file up and the server answers ping through the tunnel (10.9.0.1)', pings());
	}
	// The account page shows the session now: the endpoint, the handshake.
	await go(pg, 'account', fill(en['account.hello'], { name: 'alice' }));
	check('the account page shows the current session: laptop from 10.205.0.2 with its latest handshake',
		await attempt(() => pg.locator('.session[data-device="laptop"]', { hasText: '10.205.0.2' }).waitFor({ timeout: 20000 })),
		await pg.locator('.pmain').innerText());
	await shots(pg, 'account-online-en');
	await go(pg, 'devices', en['account.devices']);
	await shots(pg, 'devices-en');
}

// ---- new keys made in the browser: the old file stops at once, the new one works
{
	const card = pg.locator('[data-device="laptop"]');
	await card.getByRole('button', { name: en['device.rotate'] }).click();
	await dialog(pg).waitFor();
	await shots(pg, 'device-rotate-en');
	await dialog(pg).getByRole('button', { name: en['device.rotate'] }).click();
	const k = await takeKeys(pg, 'laptop', 'laptop2');
	const m2 = await me(pg);
	const laptop = (m2.devices || []).find((d) => d.name === 'laptop');
	check('New keys makes another key in the browser: a new file whose key is the server\'s new public key',
		k.conf !== conf1 && laptop && pubkeyOf(k.conf) === laptop.public_key && laptop.server_holds_private_key === false);
	check('the new file reads back from its QR code too', k.scanned === k.conf || k.scanned === `${k.conf}\n`);
	const priv = /^PrivateKey = (\S+)/m.exec(k.conf)[1];
	check('the new private key left the browser in no request either', !A.log.bodies.some((b) => b.includes(priv)));
	await dialog(pg).getByRole('button', { name: en['devices.done_saved'] }).click();
	let stopped = true;
	try {
		inTun('ping', '-c', '2', '-W', '1', '10.9.0.1');
		stopped = false;
	} catch {
		// refused, as it should be
	}
	check('the old file stops working at once (no ping through the old tunnel)', stopped);
	check('its old key is off the server\'s interface', !serverPeers().includes(pubkeyOf(conf1)));
	down();
	if (up(k.conf, 'the new file')) check('the new file brings the tunnel up again (ping 10.9.0.1)', pings());
	down();
}

// ---- revoke: a second device, gone from the interface
{
	await pg.getByRole('button', { name: en['device.add'] }).click();
	await dialog(pg).getByLabel(en['device.name'], { exact: true }).fill('phone');
	await dialog(pg).locator('button[type=submit]').click();
	const k = await takeKeys(pg, 'phone', 'phone');
	await dialog(pg).getByRole('button', { name: en['devices.done_saved'] }).click();
	const key = pubkeyOf(k.conf);
	check('phone\'s peer is on the server\'s interface', serverPeers().includes(key));
	await closeToasts(pg);
	await pg.locator('[data-device="phone"]').getByRole('button', { name: en['device.revoke'] }).click();
	await dialog(pg).waitFor();
	check('Revoke asks first', (await dialog(pg).innerText()).includes(en['device.revoke_text']));
	await shots(pg, 'device-revoke-en');
	await dialog(pg).getByRole('button', { name: en['device.revoke'] }).click();
	await pg.locator('[data-device="phone"]').waitFor({ state: 'detached', timeout: 10000 });
	let gone = false;
	for (let i = 0; i < 20 && !gone; i++) {
		gone = !serverPeers().includes(key);
		if (!gone) await pg.waitForTimeout(200);
	}
	check('after the confirmation phone leaves the list and its peer is gone (wg show)', gone);
}

// ---- the device limit
{
	for (const n of ['tablet', 'desktop']) {
		await pg.getByRole('button', { name: en['device.add'] }).click();
		await dialog(pg).getByLabel(en['device.name'], { exact: true }).fill(n);
		await dialog(pg).locator('button[type=submit]').click();
		await dialog(pg).locator('a[data-conf="new"]').waitFor({ timeout: 15000 });
		await dialog(pg).getByRole('button', { name: en['devices.done_saved'] }).click();
		await dialog(pg).waitFor({ state: 'detached', timeout: 5000 }).catch(() => {});
	}
	await pg.locator('[data-device="desktop"]').waitFor();
	check('at the limit (3 of 3) Add device is disabled and the page says why',
		await pg.getByRole('button', { name: en['device.add'] }).isDisabled()
		&& (await pg.locator('.pmain').innerText()).includes(fill(en['devices.at_limit'], { max: 3 })));
	await shots(pg, 'devices-full-en');
}

// ---- services and resources
{
	W('service', 'add', 'intranet', '--address', 'https://intranet.corp.example/', '--description', 'The company wiki, the calendar and the phone book.');
	W('service', 'add', 'files', '--address', '10.20.0.5:445', '--description', 'Shared drives (SMB).');

	await go(pg, 'services', en['services.title']);
	await pg.waitForFunction(() => !document.querySelector('.pmain [aria-busy="true"]'));
	const txt = await pg.locator('.pmain').innerText();
	check('the services page lists the services offered (a URL as a link) and the networks the tunnel reaches',
		await pg.locator('.service').count() === 2 && await pg.locator('a.service-address[href="https://intranet.corp.example/"]').count() === 1
		&& txt.includes('10.20.0.5:445') && txt.includes('10.9.0.0/16'), txt.slice(0, 500));

	await shots(pg, 'services-en');
}

// ---- announcements: the unread count on the navigation, live
{
	const addAnn = (title, text, more = []) => W('announce', 'add', '--title', title, '--text', text, ...more);
	addAnn('Maintenance on Saturday', 'The gateway restarts at 02:00 for about five minutes.\nSessions come back by themselves.');
	addAnn('Welcome', 'Your devices can reach the office network through the VPN.', ['--pinned']);
	await pg.goto(`${BASE}/`);
	const badge = pg.locator('.ptabs a[data-page="announcements"] .nav-badge');
	check('the navigation shows 2 unread announcements', await attempt(() => badge.filter({ hasText: '2' }).waitFor({ timeout: 10000 })));
	await go(pg, 'announcements', en['announce.title']);
	await pg.locator('.announcement').first().waitFor();
	const titles = await pg.locator('.announcement-title').allInnerTexts();
	check('pinned first, then the newest; both marked unread', titles[0] === 'Welcome' && await pg.locator('.announcement.is-unread').count() === 2, titles);
	await shots(pg, 'announcements-en');
	await pg.locator('.announcement-toggle', { hasText: 'Maintenance on Saturday' }).click();
	check('opening one shows its text and marks it read: the count drops to 1',
		await attempt(() => badge.filter({ hasText: '1' }).waitFor({ timeout: 5000 }))
		&& (await pg.locator('.announcement-body').innerText()).includes('five minutes'));
	await shots(pg, 'announcement-open-en');
	await pg.reload();
	check('the mark is the server\'s: after a reload the count is still 1', await attempt(() => badge.filter({ hasText: '1' }).waitFor({ timeout: 10000 })));
	addAnn('New DNS', 'Names under corp.example resolve through the tunnel now.');
	check('a new announcement raises the count without a reload (SSE)', await attempt(() => badge.filter({ hasText: '2' }).waitFor({ timeout: 15000 })));
	check('and appears in the open feed', await attempt(() => pg.locator('.announcement-title', { hasText: 'New DNS' }).waitFor({ timeout: 10000 })));
}

// ---- vouchers: signed in, a code extends the account
const codes = W('voucher', 'add', '--count', '4', '--duration', '30d', '--quota', '5GiB/month', '--name', 'month').split('\n').map((s) => s.trim()).filter(Boolean);
check('voucher add prints 4 codes', codes.length === 4, codes);
{
	await go(pg, 'redeem', en['voucher.title']);
	const field = pg.getByRole('textbox', { name: en['voucher.code'], exact: true });
	const sample = 'K7M29QXAR4TZ0HJWPB8';
	const good = voucher.formatCode(sample + voucher.checkSymbol(sample));
	await field.fill(good.slice(0, 12));
	check('a code half typed says how far it is', (await pg.locator('.code-status').innerText()).includes(fill(en['voucher.code_partial'], { n: 10, of: 20 })));
	await field.fill(good.replace('R4TZ', 'R4T2'));
	check('a typo is caught as it is typed: the check symbol does not match',
		await attempt(() => pg.locator('.code-status', { hasText: en['voucher.wrong_check'] }).waitFor({ timeout: 2000 })));
	await field.fill(good.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o'));
	check('the same code in lower case with spaces and O for 0 is right', await attempt(() => pg.locator('.code-status', { hasText: en['voucher.code_ok'] }).waitFor({ timeout: 2000 })));
	await shots(pg, 'redeem-en');
	const before = await me(pg);
	await field.fill(W('voucher', 'add', '--count', '1', '--quota', '5GiB', '--name', 'inall').trim());
	await pg.getByRole('button', { name: en['voucher.redeem'] }).click();
	check('a code whose data counts in all does not add to alice\'s monthly quota, and says so',
		await attempt(() => pg.locator('.form-error', { hasText: en['voucher.period_total'] }).waitFor({ timeout: 10000 }))
		&& (await me(pg)).quota === before.quota);
	await field.fill(codes[0]);
	await pg.getByRole('button', { name: en['voucher.redeem'] }).click();
	await attempt(() => pg.locator('.redeem-done').waitFor({ timeout: 10000 }));
	const after = await me(pg);
	const doneText = await pg.locator('.redeem-done').innerText().catch(() => '');
	check('Redeem extends the account: the page shows the new expiry and the monthly quota, as the server has them',
		after.expires > before.expires && after.quota === before.quota + 5 * 2 ** 30 && doneText.includes(en['voucher.extended'])
		&& doneText.includes(fill(en['vouchers.quota_month'], { size: '25 GiB' })),
		`${before.expires} -> ${after.expires}, ${before.quota} -> ${after.quota}`, doneText);
	await shots(pg, 'redeem-done-en');
	await field.fill(codes[0]);
	await pg.getByRole('button', { name: en['voucher.redeem'] }).click();
	check('the same code again is refused: used', await attempt(() => pg.locator('.form-error', { hasText: en['voucher.used'] }).waitFor({ timeout: 10000 })));
}
// States other than active say what they mean for the devices.
{
	W('user', 'set', 'alice', '--expires', '2020-01-31');
	await pg.goto(`${BASE}/`);
	const banner = pg.locator('.state-banner');
	check('an expired account says so on the account page, with the way to a voucher',
		await attempt(() => banner.waitFor({ timeout: 10000 })) && (await banner.innerText()).includes(fill(en['portal.state_expired'], { when: 'Jan 31, 2020' }))
		&& await banner.getByRole('link', { name: en['portal.redeem_cta'] }).count() === 1
		&& (await pg.locator('.badge').first().innerText()).includes(en['state.expired']), await pg.locator('.pmain').innerText().catch(() => ''));
	await shots(pg, 'account-expired-en');
	W('user', 'set', 'alice', '--expires', '60d');
	W('user', 'disable', 'alice');
	await pg.goto(`${BASE}/`);
	check('a disabled account\'s session ends: the portal shows the sign-in',
		await attempt(() => pg.locator('h1', { hasText: en['login.title.portal'] }).waitFor({ timeout: 10000 })));
	await signIn(pg, en, 'alice', 'alice portal pass');
	check('signing in with the right password says an administrator disabled the account',
		await attempt(() => pg.locator('.form-error', { hasText: en['error.account_disabled'] }).waitFor({ timeout: 10000 })));
	await shots(pg, 'login-disabled-en');
	W('user', 'enable', 'alice');
	await signIn(pg, en, 'alice', 'alice portal pass');
	await pg.locator('h1', { hasText: fill(en['account.hello'], { name: 'alice' }) }).waitFor({ timeout: 15000 });
}

// The dark scheme, for the screenshots.
await pg.emulateMedia({ colorScheme: 'dark' });
await go(pg, 'account', fill(en['account.hello'], { name: 'alice' }));
await shots(pg, 'account-dark-en');
await go(pg, 'devices', en['account.devices']);
await shots(pg, 'devices-dark-en');
await go(pg, 'announcements', en['announce.title']);
await shots(pg, 'announcements-dark-en');
await pg.emulateMedia({ colorScheme: 'light' });
await checkClean('alice\'s portal', A, true);

// ---- signed out: a voucher makes an account, which signs in and connects
async function signup(lang, code, name) {
	const c = cat[lang];
	const ctx = await browser.newContext({ ...ctxOpts, locale: lang });
	const P = await open(ctx);
	const p = P.pg;
	await p.goto(`${BASE}/`);
	await p.getByRole('link', { name: c['voucher.have_one_link'] }).click();
	await p.locator('h1', { hasText: c['voucher.signup_title'] }).waitFor();
	await shots(p, `signup-${lang}`);
	return { ctx, P, p, c };
}
const { ctx, P, p, c } = await signup('en', codes[1], 'dana');
await p.getByRole('textbox', { name: c['voucher.code'], exact: true }).fill(codes[1]);
await p.getByLabel(c['voucher.name'], { exact: true }).fill('dana');
await p.getByLabel(c['password.new'], { exact: true }).fill('dana portal pass');
await p.getByLabel(c['password.again'], { exact: true }).fill('dana portal pass');
await p.locator('button[type=submit]').click();
check('the voucher makes the account dana and signs it in', await attempt(() => p.locator('h1', { hasText: fill(c['account.hello'], { name: 'dana' }) }).waitFor({ timeout: 15000 })));
await go(p, 'devices', c['account.devices']);
await p.getByRole('button', { name: c['device.add'] }).click();
await dialog(p).getByLabel(c['device.name'], { exact: true }).fill('dana-laptop');
await dialog(p).locator('button[type=submit]').click();
const k = await takeKeys(p, 'dana-laptop', 'dana');
if (up(k.conf, 'dana\'s file')) check('dana\'s new device connects (ping 10.9.0.1)', pings());
down();
await checkClean('the voucher sign-up', P, true);
await ctx.close();
const again = await signup('en', codes[1], 'erik');
await again.p.getByRole('textbox', { name: en['voucher.code'], exact: true }).fill(codes[1]);
await again.p.getByLabel(en['voucher.name'], { exact: true }).fill('erik');
await again.p.getByLabel(en['password.new'], { exact: true }).fill('erik portal pass');
await again.p.getByLabel(en['password.again'], { exact: true }).fill('erik portal pass');
await again.p.locator('button[type=submit]').click();
check('a second redemption of the same code fails, and says it was used',
	await attempt(() => again.p.locator('.form-error', { hasText: en['voucher.used'] }).waitFor({ timeout: 10000 })));
await shots(again.p, 'signup-used-en');
await again.ctx.close();
await actx.close();

// ============================================================ chen, in Chinese
{
	const ctx = await browser.newContext({ ...ctxOpts, locale: 'zh-CN' });
	const Z = await open(ctx);
	const p = Z.pg;
	await p.goto(`${BASE}/`);
	check('zh-CN: the sign-in page is in Chinese', await attempt(() => p.locator('h1', { hasText: zh['login.title.portal'] }).waitFor())
		&& await p.getByRole('link', { name: zh['voucher.have_one_link'] }).count() === 1);
	await shots(p, 'login-zh');
	await signIn(p, zh, 'chen', process.env.P_CHEN, 'chen 的门户密码 2026');
	check('zh-CN: the one-time password and the forced change lead to the account page',
		await attempt(() => p.locator('h1', { hasText: fill(zh['account.hello'], { name: 'chen' }) }).waitFor({ timeout: 15000 })));
	await shots(p, 'account-zh');
	await go(p, 'devices', zh['account.devices']);
	await p.getByRole('button', { name: zh['device.add'] }).click();
	await dialog(p).getByLabel(zh['device.name'], { exact: true }).fill('chen-phone');
	await shots(p, 'device-add-zh');
	await dialog(p).locator('button[type=submit]').click();
	const k = await takeKeys(p, 'chen-phone', 'chen');
	check('zh-CN: the keys dialog says in Chinese that the key is shown only now', (await dialog(p).innerText()).includes(zh['devices.once']));
	await shots(p, 'device-keys-zh');
	check('zh-CN: the QR code reads the downloaded file', k.scanned === k.conf || k.scanned === `${k.conf}\n`);
	if (up(k.conf, 'chen\'s file')) check('zh-CN: chen\'s device connects (ping 10.9.0.1)', pings());
	down();
	await dialog(p).getByRole('button', { name: zh['devices.done_saved'] }).click();
	await shots(p, 'devices-zh');
	await go(p, 'services', zh['services.title']);
	await shots(p, 'services-zh');
	await go(p, 'announcements', zh['announce.title']);
	await p.waitForFunction(() => !document.querySelector('.pmain [aria-busy="true"]'));
	await shots(p, 'announcements-zh');
	await go(p, 'redeem', zh['voucher.title']);
	const field = p.getByRole('textbox', { name: zh['voucher.code'], exact: true });
	await field.fill('K7M2-9QXA-R4TZ-0HJW-PB8Z');
	check('zh-CN: a wrong code is caught in Chinese', await attempt(() => p.locator('.code-status', { hasText: zh['voucher.wrong_check'] }).waitFor({ timeout: 2000 })));
	await field.fill(codes[2]);
	await p.getByRole('button', { name: zh['voucher.redeem'] }).click();
	check('zh-CN: a voucher extends chen\'s account', await attempt(() => p.locator('.redeem-done', { hasText: zh['voucher.extended'] }).waitFor({ timeout: 10000 })));

	await shots(p, 'redeem-zh');
	await checkClean('chen\'s portal (zh-CN)', Z, true);

	// A browser without X25519 (WebCrypto refuses it here): the server makes the keys.
	const N = await open(ctx);
	await N.pg.addInitScript(() => {
		const gen = crypto.subtle.generateKey.bind(crypto.subtle);
		crypto.subtle.generateKey = (alg, ...rest) => ((alg && (alg === 'X25519' || alg.name === 'X25519'))
			? Promise.reject(new DOMException('Unrecognized name', 'NotSupportedError')) : gen(alg, ...rest));
	});
	await N.pg.goto(`${BASE}/devices`);
	check('zh-CN: without X25519 the devices page says the server makes the keys',
		await attempt(() => N.pg.locator('.banner', { hasText: zh['devices.no_x25519'] }).waitFor({ timeout: 10000 })));
	await N.pg.getByRole('button', { name: zh['device.add'] }).click();
	await dialog(N.pg).getByLabel(zh['device.name'], { exact: true }).fill('chen-old');
	await dialog(N.pg).locator('button[type=submit]').click();
	const kn = await takeKeys(N.pg, 'chen-old', 'chen-old');
	const mo = await me(N.pg);
	const old = (mo.devices || []).find((d) => d.name === 'chen-old');
	check('zh-CN: the fallback: the server\'s keys, its file with its PrivateKey, the QR code the same file',
		old && old.server_holds_private_key === true && pubkeyOf(kn.conf) === old.public_key
		&& (kn.scanned === kn.conf || kn.scanned === `${kn.conf}\n`) && (await dialog(N.pg).innerText()).includes(zh['devices.server_keys']));
	await shots(N.pg, 'device-keys-server-zh');
	await dialog(N.pg).locator('.modal-foot button').click();
	const card = N.pg.locator('[data-device="chen-old"]');
	const [dl] = await Promise.all([N.pg.waitForEvent('download', { timeout: 10000 }),
		card.getByRole('link', { name: zh['account.config'] }).click()]);
	const again = join(WORK, 'dl', `chen-old-again-${dl.suggestedFilename()}`);
	await dl.saveAs(again);
	check('zh-CN: a device whose key the server holds downloads its file again from the list', readFileSync(again, 'utf8') === kn.conf);
	await checkClean('the portal without X25519', N, true);
	await ctx.close();
	const s = await signup('zh-CN');
	await s.p.getByRole('textbox', { name: zh['voucher.code'], exact: true }).fill(codes[3]);
	await s.p.getByLabel(zh['voucher.name'], { exact: true }).fill('fang');
	await s.p.getByLabel(zh['password.new'], { exact: true }).fill('fang portal pass');
	await s.p.getByLabel(zh['password.again'], { exact: true }).fill('fang portal pass');
	await s.p.locator('button[type=submit]').click();
	check('zh-CN: a voucher makes the account fang and signs it in',
		await attempt(() => s.p.locator('h1', { hasText: fill(zh['account.hello'], { name: 'fang' }) }).waitFor({ timeout: 15000 })));
	await checkClean('the voucher sign-up (zh-CN)', s.P, true);
	await s.ctx.close();
}

await browser.close();
console.log(`# portal.mjs: ${failures} failed`);
process.exit(failures ? 1 : 0);
