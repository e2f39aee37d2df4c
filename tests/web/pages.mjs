// The console and the portal in Debian's Chromium, against the portal at $URL (run by
// t_pages.sh inside the client's namespace). Prints one "ok - ..." or "not ok - ..."
// line per check; screenshots of every page go to $SHOTS.
//
// All against the real server: the pages load and sign-in renders in English and
// Chinese, no console errors, no CSP violations, the security headers on every answer
// (pages, files, API errors), gzip and immutable caching for files, 304 on a second load,
// 404 for unknown files and stale builds, a failing sign-in reads well. Then the console
// as an admin meets it: the one-time password from `warren admin add` and the forced
// change, every page, 10,000 users searched and paged, a user added, edited, its
// configuration downloaded and brought up as a real tunnel (wg-quick in $TUN_NS), its QR
// code decoded to the same file, keys rotated, a one-time portal password used at the
// portal, bulk changes, CSV import and export, groups, settings, admins and tokens,
// TOTP, the audit log; a viewer sees no edit control and is refused when it tries. The
// only answer made up in the browser is a server failure (500), which cannot be caused
// on purpose.
import { chromium, request } from 'playwright-core';
import { readFileSync, readdirSync, statSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import https from 'node:https';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const BASE = process.env.URL;
const WEB = process.env.WEB;
const SHOTS = process.env.SHOTS;
const LANGS = ['en', 'zh-CN'];
const SIZES = [{ width: 1280, height: 800 }, { width: 390, height: 844 }];

const SECURITY = {
	'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
		+ "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
	'x-content-type-options': 'nosniff',
	'referrer-policy': 'no-referrer',
	'strict-transport-security': 'max-age=31536000',
};
const IMMUTABLE = 'public, max-age=31536000, immutable';

let failures = 0;
const ok = (d) => console.log(`ok - ${d}`);
function notOk(d, ...detail) {
	failures++;
	console.log(`not ok - ${d}`);
	for (const l of detail.flat().slice(0, 20)) console.log(`#   ${l}`);
}
const check = (d, cond, ...detail) => (cond ? ok(d) : notOk(d, ...detail));

const cat = Object.fromEntries(LANGS.map((l) => [l, JSON.parse(readFileSync(join(WEB, 'i18n', `${l}.json`), 'utf8'))]));

// ---- the catalogs
{
	const en = Object.keys(cat.en);
	const zh = Object.keys(cat['zh-CN']);
	const onlyEn = en.filter((k) => !(k in cat['zh-CN']));
	const onlyZh = zh.filter((k) => !(k in cat.en));
	check('the en and zh-CN catalogs have the same keys', !onlyEn.length && !onlyZh.length,
		`only in en: ${onlyEn.join(' ')}`, `only in zh-CN: ${onlyZh.join(' ')}`);
	const empty = LANGS.flatMap((l) => Object.entries(cat[l]).filter(([, v]) => typeof v !== 'string' || !v.trim()).map(([k]) => `${l}: ${k}`));
	check('no catalog text is empty', !empty.length, empty);
	// Every literal key the code asks for is in the catalogs.
	const files = [];
	const walk = (d) => {
		for (const f of readdirSync(d)) {
			const p = join(d, f);
			if (statSync(p).isDirectory()) { if (f !== 'vendor') walk(p); } else if (p.endsWith('.js')) files.push(p);
		}
	};
	walk(WEB);
	const missing = [];
	for (const f of files) {
		const src = readFileSync(f, 'utf8');
		for (const m of src.matchAll(/\bt\('([^']+)'/g)) if (!(m[1] in cat.en)) missing.push(`${f}: ${m[1]}`);
		for (const m of src.matchAll(/\btn\('([^']+)'/g)) if (!(`${m[1]}.other` in cat.en)) missing.push(`${f}: ${m[1]}`);
	}
	check('every key the code names is in the catalogs', !missing.length, missing);
const inline = ['console/index.html', 'portal/index.html']
		.filter((f) => /<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=/i.test(readFileSync(join(WEB, f), 'utf8')));
	const risky = files.filter((f) => /\sstyle=|innerHTML|\beval\(|new Function/.test(readFileSync(f, 'utf8')));
	check('the pages have no inline script, style or handler', !inline.length && !risky.length, inline, risky);
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

// A page that records what the browser complains about, every request, the answers as
// they came off the network (Chromium's raw headers and status: a 304 shows as 304, and
// a copy from the cache is not counted again), and CSP violations as the page sees them.
async function open(context) {
	const pg = await context.newPage();
	pg.setDefaultTimeout(10000);
	const log = { console: [], errors: [], requests: [], raw: [], urls: new Map() };
	pg.on('console', (m) => {
		if (m.type() === 'error' || m.type() === 'warning') log.console.push({ type: m.type(), text: m.text(), url: m.location().url });
	});
	pg.on('pageerror', (e) => log.errors.push(String(e)));
	pg.on('request', (r) => log.requests.push(r.url()));
	const cdp = await context.newCDPSession(pg);
	await cdp.send('Network.enable');
	cdp.on('Network.requestWillBeSent', (e) => log.urls.set(e.requestId, { url: e.request.url, type: e.type }));
	cdp.on('Network.responseReceivedExtraInfo', (e) => {
		const headers = Object.fromEntries(Object.entries(e.headers).map(([k, v]) => [k.toLowerCase(), v]));
		log.raw.push({ id: e.requestId, status: e.statusCode, headers });
	});
	await pg.addInitScript(() => {
		window.__csp = [];
		document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
	});
	return { pg, log };
}

const rawOf = (log) => log.raw.map((r) => ({ ...r, ...(log.urls.get(r.id) || { url: '?', type: '?' }) }));

// Whether the server has the event stream (GET /api/v1/events); until it has, its 404 is
// the one failed request a page may log.
let HAVE_EVENTS = false;

// What the browser said that is not the expected failure of an API call.
function complaints(log, allowApi = false) {
	return log.console
		.filter((m) => !(allowApi && /^Failed to load resource/.test(m.text) && m.url.includes('/api/v1/')))
		.filter((m) => HAVE_EVENTS || !m.url.includes('/api/v1/events'))
		.map((m) => `${m.type}: ${m.text} (${m.url})`)
		.concat(log.errors.map((e) => `page error: ${e}`));
}

async function checkClean(label, pg, log, allowApi = false) {
	const csp = await pg.evaluate(() => window.__csp);
	const cspConsole = log.console.filter((m) => /Content Security Policy/i.test(m.text));
	check(`${label}: no CSP violation`, !csp.length && !cspConsole.length, csp, cspConsole.map((m) => m.text));
	const c = complaints(log, allowApi);
	check(`${label}: no console error`, !c.length, c);
}

// The headers of every answer the page got off the network from the portal.
function checkHeaders(label, log, { files: needFiles = true } = {}) {
	const bad = log.requests.filter((u) => !u.startsWith(BASE) && !u.startsWith('data:')).map((u) => `${u}: another origin`);
	let files = 0;
	for (const r of rawOf(log)) {
		const u = r.url;
		const h = r.headers;
		for (const [k, v] of Object.entries(SECURITY)) if (h[k] !== v) bad.push(`${u}: ${k}: ${h[k]}`);
		if (u.startsWith(`${BASE}/static/`)) {
			files++;
			if (h['cache-control'] !== IMMUTABLE) bad.push(`${u}: cache-control: ${h['cache-control']}`);
			if (r.status === 200 && h['content-encoding'] !== 'gzip') bad.push(`${u}: content-encoding: ${h['content-encoding']}`);
			if (h.vary !== 'Accept-Encoding') bad.push(`${u}: vary: ${h.vary}`);
			if (!/^"[0-9a-f]{32}(-gz)?"$/.test(h.etag || '')) bad.push(`${u}: etag: ${h.etag}`);
		} else if (r.type === 'Document') {
			if (h['cache-control'] !== 'no-cache') bad.push(`${u}: cache-control: ${h['cache-control']}`);
			if (r.status === 200 && h['content-type'] !== 'text/html; charset=utf-8') bad.push(`${u}: content-type: ${h['content-type']}`);
			if (!h.etag) bad.push(`${u}: no etag`);
		}
	}
	check(`${label}: every answer has the security headers; files are gzip, immutable, with ETags (${files} files)`,
		!bad.length && (files > 0 || !needFiles), bad);
}

async function shot(pg, name, size) {
	await pg.setViewportSize(size);
	await pg.waitForTimeout(150);
	await pg.screenshot({ path: join(SHOTS, `${name}-${size.width}.png`), fullPage: false });
}

async function shots(pg, name) {
	for (const size of SIZES) await shot(pg, name, size);
	await pg.setViewportSize(SIZES[0]);
}

mkdirSync(SHOTS, { recursive: true });

// ---- against the real portal
for (const lang of LANGS) {
	const context = await browser.newContext({ locale: lang, viewport: SIZES[0] });
	for (const [which, path] of [['console', '/admin/'], ['portal', '/']]) {
		const { pg, log } = await open(context);
		const first = await pg.goto(BASE + path);
		const title = cat[lang][`login.title.${which}`];
		let rendered = true;
		try {
			await pg.locator('h1', { hasText: title }).waitFor({ timeout: 10000 });
		} catch {
			rendered = false;
		}
		const htmlLang = await pg.evaluate(() => document.documentElement.lang);
		check(`${lang} ${path}: the sign-in page renders in ${lang} ("${title}")`, rendered && htmlLang === lang && first.status() === 200,
			`status ${first.status()}, lang ${htmlLang}`, (await pg.locator('body').innerText()).slice(0, 300));
		const submit = await pg.locator('button[type=submit]').innerText();
		check(`${lang} ${path}: its button reads "${cat[lang]['login.submit']}"`, submit.trim() === cat[lang]['login.submit'], submit);
		await pg.waitForLoadState('networkidle');
		await checkClean(`${lang} ${path}`, pg, log);
		checkHeaders(`${lang} ${path}`, log);
		await shots(pg, `${which}-login-${lang}`);

		// The second load asks again and hears 304; its files come from the cache.
		log.raw.length = 0;
		await pg.goto(BASE + path);
		await pg.locator('h1', { hasText: title }).waitFor({ timeout: 10000 });
		await pg.waitForLoadState('networkidle');
		const second = rawOf(log);
		const doc = second.find((r) => r.type === 'Document');
		check(`${lang} ${path}: a second load revalidates the page with 304`, doc && doc.status === 304,
			second.map((r) => `${r.status} ${r.url}`));
		const refetched = second.filter((r) => r.url.includes('/static/'));
		check(`${lang} ${path}: and takes its files from the cache without asking`, !refetched.length,
			refetched.map((r) => `${r.status} ${r.url}`));
		checkHeaders(`${lang} ${path}: the 304`, log, { files: false });

		if (which === 'console' && lang === 'en') {
			// Sign-in against a server that cannot sign anyone in yet: a readable error.
			log.console.length = 0;
			await pg.getByLabel(cat.en['login.name'], { exact: true }).fill('alice');
			await pg.getByLabel(cat.en['login.password'], { exact: true }).fill('not-the-password');
			await pg.locator('button[type=submit]').click();
			const alert = pg.locator('.form-error');
			let text = '';
			try {
				await alert.waitFor({ timeout: 10000 });
				text = (await alert.innerText()).trim();
			} catch {
				text = '';
			}
			const expected = [cat.en['login.unavailable'], cat.en['error.wrong_login']];
			check('a failing sign-in shows a readable error', expected.includes(text), `shown: "${text}"`);
			check('and the form can be used again', await pg.locator('button[type=submit]').isEnabled());
			const apiErrors = log.console.filter((m) => m.url.includes('/api/v1/login'));
			check('and the browser logged at most the failed request', apiErrors.length <= 1 && !complaints(log, true).length,
				log.console.map((m) => m.text));
			await shots(pg, `console-login-error-${lang}`);
		}
		if (which === 'console' && lang === 'en') {
			// The language switch changes the page at once and is remembered.
			await pg.getByLabel(cat.en['lang.label']).selectOption('zh-CN');
			let switched = true;
			try {
				await pg.locator('h1', { hasText: cat['zh-CN']['login.title.console'] }).waitFor({ timeout: 5000 });
			} catch {
				switched = false;
			}
			await pg.reload();
			let kept = true;
			try {
				await pg.locator('h1', { hasText: cat['zh-CN']['login.title.console'] }).waitFor({ timeout: 5000 });
			} catch {
				kept = false;
			}
			check('the language switch changes the page to Chinese', switched);
			check('and the choice is remembered', kept && (await pg.evaluate(() => localStorage.getItem('warren.lang'))) === 'zh-CN');
			await pg.evaluate(() => localStorage.removeItem('warren.lang'));
		}
		await pg.close();
	}
	await context.close();
}

// ---- raw answers: unknown files, stale builds, methods, the API's errors
{
	const rq = await request.newContext({ ignoreHTTPSErrors: true });
	const page = await rq.get(`${BASE}/admin/`);
	const body = await page.text();
	const build = (body.match(/\/static\/([0-9a-f]{16})\//) || [])[1];
	check('the page names its files under /static/BUILD/', !!build);
	const get = async (p, opt) => rq.fetch(`${BASE}${p}`, { maxRedirects: 0, ...opt });
	// The request target exactly as written: a URL parser would resolve ".." first.
	const raw = (p) => new Promise((resolve, reject) => {
		const u = new URL(BASE);
		const req = https.request({ host: u.hostname, port: u.port, path: p, rejectUnauthorized: false }, (res) => {
			res.resume();
			res.on('end', () => resolve({ status: () => res.statusCode, headers: () => res.headers }));
		});
		req.on('error', reject);
		req.end();
	});
	const sec = (r) => Object.entries(SECURITY).every(([k, v]) => r.headers()[k] === v);
	const cases = [
		['an unknown file under /static is 404', `/static/${build}/nope.js`, 404],
		['a file of another build is 404', `/static/0000000000000000/console/app.js`, 404],
		['/static/ alone is 404', '/static/', 404],
		['an escaped path is 404', `/static/${build}/console/%61pp.js`, 404],
		['a path with .. is 404', `/static/${build}/../${build}/console/app.js`, 404],
		['a path with // is 404', `/static/${build}//console/app.js`, 404],
		['the console at /admin redirects to /admin/', '/admin', 301],
		['a deep link of the console is its page', '/admin/users/alice', 200],
		['a deep link of the portal is its page', '/devices', 200],
		['an unknown API path is the API\'s 404', '/api/v1/nope', 404],
	];
	for (const [d, p, status] of cases) {
		const r = await raw(p);
		check(`${d} (with the security headers)`, r.status() === status && sec(r), `${p}: ${r.status()}`, JSON.stringify(r.headers()));
	}
	const redirect = await get('/admin');
	check('the redirect goes to /admin/', redirect.headers().location === '/admin/', redirect.headers().location);
	const post = await get('/', { method: 'POST', data: '' });
	check('POST to a page is 405 with Allow: GET, HEAD', post.status() === 405 && post.headers().allow === 'GET, HEAD' && sec(post),
		`${post.status()} ${post.headers().allow}`);
	const head = await get('/admin/', { method: 'HEAD' });
	check('HEAD of a page is 200 with its length and no body', head.status() === 200 && (await head.body()).length === 0
		&& Number(head.headers()['content-length']) > 0, `${head.status()} ${head.headers()['content-length']}`);
	const plain = await get(`/static/${build}/console/app.js`, { headers: { 'Accept-Encoding': 'identity' } });
	check('a client without gzip gets the file as it is', plain.status() === 200 && !plain.headers()['content-encoding']
		&& plain.headers()['content-type'] === 'text/javascript; charset=utf-8', JSON.stringify(plain.headers()));
	const etag = plain.headers().etag;
	const cond = await get(`/static/${build}/console/app.js`, { headers: { 'Accept-Encoding': 'identity', 'If-None-Match': etag } });
	check('If-None-Match with its ETag is 304', cond.status() === 304, `${cond.status()}`);
	const css = await get(`/static/${build}/css/base.css`, { headers: { 'Accept-Encoding': 'gzip' } });
	check('CSS is text/css with a charset', css.headers()['content-type'] === 'text/css; charset=utf-8', css.headers()['content-type']);
	const cat2 = await get(`/static/${build}/i18n/zh-CN.json`);
	check('a catalog is application/json', cat2.status() === 200 && cat2.headers()['content-type'] === 'application/json');
	const api = await get('/api/v1/agent/profile');
	check('an API error carries the security headers too', api.status() === 401 && sec(api), JSON.stringify(api.headers()));
	await rq.dispose();
}

// ---- the console against the real server, as an admin and a viewer meet it

const WORK = process.env.WORK;
const TUN_NS = process.env.TUN_NS;
const WG_IF = process.env.WG_IF;
const NUSERS = Number(process.env.NUSERS || 10000);
const NEW_PW = 'correct horse battery';
const fmt = (lang, n) => new Intl.NumberFormat(lang).format(n);
const sh = (cmd, args, opt = {}) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opt });
const inTun = (...args) => sh('ip', ['netns', 'exec', TUN_NS, ...args],
	{ env: { ...process.env, WG_QUICK_USERSPACE_IMPLEMENTATION: 'wireguard-go' } });

{
	const rq = await request.newContext({ ignoreHTTPSErrors: true });
	const ev = await rq.get(`${BASE}/api/v1/events`, { timeout: 3000 }).catch(() => null);
	HAVE_EVENTS = !!ev && ev.status() !== 404;
	await rq.dispose();
	if (!HAVE_EVENTS) console.log('# /api/v1/events answers 404 here: the steps that need the event stream are skipped (SKIP) and its 404 is allowed');
}

async function attempt(fn) {
	try {
		await fn();
		return true;
	} catch {
		return false;
	}
}

// Sign in through the form; with a one-time password, the forced change follows.
async function signIn(pg, c, name, password, { change } = {}) {
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

const rows = (pg) => pg.locator('.table tbody tr.row-action');
const dialog = (pg) => pg.locator('dialog[open]');
async function closeToasts(pg) {
	for (const b of await pg.locator('.toast button').all()) await b.click().catch(() => {});
}

// The current second's TOTP code for a base32 secret (RFC 6238, SHA-1, 30 s, 6 digits).
function totp(secret, offset = 0) {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	let bits = '';
	for (const ch of secret.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
	const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
	const step = Buffer.alloc(8);
	step.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + offset));
	const h = createHmac('sha1', key).update(step).digest();
	const o = h[h.length - 1] & 15;
	return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}

// Every console page for the screenshots and the language checks: path, what shows it
// has loaded, and its title key.
const PAGES = [
	['dashboard', '/admin/', '.stat-value:not(:has(.skeleton))', 'nav.dashboard'],
	['users', '/admin/users', '.table tbody tr.row-action', 'nav.users'],
	['user', '/admin/users/newbie', '.device-row', null],
	['status', '/admin/status', '.table tbody tr:not(.table-message) td', 'nav.status'],
	['sessions', '/admin/sessions', '.table tbody tr:not(.table-message) td', 'nav.sessions'],
	['groups', '/admin/groups', '.table tbody tr td', 'nav.groups'],
	['settings', '/admin/settings', '.setting', 'nav.settings'],
	['admins', '/admin/admins', '.table tbody tr td', 'nav.admins'],
	['audit', '/admin/audit', '.table tbody tr:not(.table-message) td', 'nav.audit'],
	['account', '/admin/account', '.panel', 'account.title_admin'],
];

const en = cat.en;
const ctxOpts = { viewport: SIZES[0], acceptDownloads: true };
// The admin's browser is 8 hours east of the server (which runs in UTC): what it types
// means its own zone, as what it shows does.
const adminCtx = await browser.newContext({ ...ctxOpts, locale: 'en', timezoneId: 'Asia/Shanghai' });
const { pg, log } = await open(adminCtx);
let conf = '';
let adminApi = null;

// ---- sign-in with the one-time password, the forced change, the dashboard
{
	await pg.goto(`${BASE}/admin/`);
	await signIn(pg, en, 'root', process.env.P_ROOT);
	await pg.locator('h1', { hasText: en['password.title_forced'] }).waitFor({ timeout: 15000 });
	ok('the one-time password from `warren admin add` signs in and leads to the password change');
	await shots(pg, 'console-password-en');
	await pg.getByLabel(en['password.old_forced'], { exact: true }).fill(process.env.P_ROOT);
	await pg.getByLabel(en['password.new'], { exact: true }).fill('short');
	await pg.getByLabel(en['password.again'], { exact: true }).fill('short');
	await pg.locator('button[type=submit]').click();
	await pg.locator('.field-error', { hasText: en['password.too_short'].replace('{n}', '8') }).waitFor({ timeout: 5000 });
	ok('a short new password is refused in the form');
	await pg.getByLabel(en['password.new'], { exact: true }).fill(NEW_PW);
	await pg.getByLabel(en['password.again'], { exact: true }).fill(NEW_PW);
	await pg.locator('button[type=submit]').click();
	await pg.locator('h1', { hasText: en['nav.dashboard'] }).waitFor({ timeout: 15000 });
	ok('after the change the dashboard shows');
	const users = await attempt(() => pg.locator('.stat-value', { hasText: fmt('en', NUSERS) }).first().waitFor({ timeout: 10000 }));
	check(`the dashboard counts the server's ${fmt('en', NUSERS)} users`, users, await pg.locator('.cards').innerText());
	check('and draws the traffic chart as SVG', await attempt(() => pg.locator('.chart svg').waitFor({ timeout: 10000 })));
	await pg.reload();
	// The page's session for requests made beside the browser (the test CA is not Node's).
	adminApi = await request.newContext({ ignoreHTTPSErrors: true, storageState: await adminCtx.storageState() });
	check('a reload keeps the session (GET /api/v1/me confirms it)',
		await attempt(() => pg.locator('h1', { hasText: en['nav.dashboard'] }).waitFor({ timeout: 10000 })));
}

// ---- 10,000 users: first render, API time, search, paging, sort
{
	await pg.goto(`${BASE}/admin/`);
	await pg.locator('.stat-value').first().waitFor();
	// The first render, measured in the page from the start of the navigation.
	const times = [];
	for (let i = 0; i < 5; i++) {
		await pg.goto(`${BASE}/admin/users`);
		await pg.waitForFunction(() => {
			if (document.querySelector('.table tbody tr.row-action')) {
				window.__firstRow = window.__firstRow || performance.now();
				return true;
			}
			return false;
		}, null, { polling: 'raf', timeout: 15000 });
		const r = await pg.evaluate(() => {
			const api = performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/v1/users?'));
			return { first: window.__firstRow, api: api.length ? api[0].responseEnd - api[0].requestStart : null };
		});
		times.push(r);
	}
	const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
	const first = med(times.map((x) => x.first));
	const apiInPage = med(times.map((x) => x.api).filter((x) => x != null));
	console.log(`# users page at ${fmt('en', NUSERS)} users: first render ${first.toFixed(0)} ms after the page was requested (median of 5 loads; runs ${times.map((x) => x.first.toFixed(0)).join(', ')} ms), its API request ${apiInPage.toFixed(1)} ms in the page`);
	// The figure is 500 ms (tests/bench/web.sh); a machine busy with other tests may take
	// longer, a panel that freezes at this size takes seconds.
	check(`the users page renders its first rows within 1.5 s at ${fmt('en', NUSERS)} users (${first.toFixed(0)} ms; figure 500 ms)`, first <= 1500);
	// One page of the API, timed from this namespace over a kept-alive TLS connection.
	const rq = adminApi;
	const apiTimes = {};
	for (const [label, q] of [['first page', 'limit=50'], ['a search', 'limit=50&q=zhang'], ['sorted by use, descending', 'limit=50&sort=-used'], ['state=expired', 'limit=50&state=expired']]) {
		const ms = [];
		for (let i = 0; i < 15; i++) {
			const t0 = performance.now();
			const r = await rq.get(`${BASE}/api/v1/users?${q}`);
			await r.body();
			ms.push(performance.now() - t0);
		}
		apiTimes[label] = med(ms);
	}
	console.log(`# GET /api/v1/users (50 a page, ${fmt('en', NUSERS)} users), median of 15 over HTTPS: ${Object.entries(apiTimes).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(', ')}`);
	// The server's own time per page is the figure (20 ms, tests/bench/server.sh); this
	// is the whole round trip through TLS and the portal process, on a busy machine.
	check(`one page of users from the API within 100 ms, round trip (${apiTimes['first page'].toFixed(1)} ms)`, apiTimes['first page'] <= 100);

	check('one page of 50 rows', (await rows(pg).count()) === 50, `${await rows(pg).count()}`);
	check(`the total reads ${fmt('en', NUSERS)}`, (await pg.locator('.table-count').innerText()).includes(fmt('en', NUSERS)));
	await pg.getByRole('button', { name: en['table.next'] }).click();
	await pg.locator('.pager-range', { hasText: `51–100 of ${fmt('en', NUSERS)}` }).waitFor({ timeout: 5000 });
	await pg.getByRole('button', { name: en['table.next'] }).click();
	await pg.locator('.pager-range', { hasText: `101–150` }).waitFor({ timeout: 5000 });
	await pg.getByRole('button', { name: en['table.previous'] }).click();
	await pg.locator('.pager-range', { hasText: `51–100` }).waitFor({ timeout: 5000 });
	ok('Next and Previous page through the server\'s cursors');
	await pg.getByRole('button', { name: en['users.name'] }).click();
	await pg.waitForFunction(() => document.querySelector('th[aria-sort="descending"]'));
	// the header turns at once, the rows when the server's page arrives
	await pg.waitForFunction(() => {
		const c = document.querySelector('.table tbody tr.row-action td.col-main .strong');
		return c && c.textContent.trim().startsWith('zhang.');
	}, null, { timeout: 10000 }).catch(() => {});
	const firstDesc = (await rows(pg).first().locator('td.col-main .strong').innerText()).trim();
	check('a header sorts on the server, descending, from page one', firstDesc.startsWith('zhang.') && (await pg.locator('.pager-range').innerText()).startsWith('1–'), firstDesc);
	await pg.getByPlaceholder(en['users.search']).fill('zhang.0998');
	await pg.waitForFunction(() => document.querySelectorAll('.table tbody tr.row-action').length === 1, null, { timeout: 5000 });
	check('search asks the server: one match among 10,000', (await rows(pg).first().innerText()).includes('zhang.09982') || (await rows(pg).count()) === 1);
	await pg.getByPlaceholder(en['users.search']).fill('');
	await pg.getByLabel(en['users.state'], { exact: true }).selectOption('expired');
	await pg.waitForFunction(() => document.querySelector('.table tbody tr.row-action .badge-warn'), null, { timeout: 5000 });
	const states = await pg.locator('.table tbody tr.row-action td:nth-child(3)').allInnerTexts();
	check('the state filter shows only expired users', states.length > 0 && states.every((x) => x.trim() === en['state.expired']), states.slice(0, 5));
	await pg.getByLabel(en['users.state'], { exact: true }).selectOption('');
	await pg.getByLabel(en['users.group'], { exact: true }).selectOption('contractors');
	await pg.waitForFunction(() => [...document.querySelectorAll('.table tbody tr.row-action .sub')].every((e) => e.textContent.includes('contractors')), null, { timeout: 5000 });
	ok('the group filter shows only the group\'s users');
	await pg.getByLabel(en['users.group'], { exact: true }).selectOption('');
	await rows(pg).first().waitFor();
}

// ---- a user added, edited; its configuration downloaded and brought up as a tunnel
{
	await pg.goto(`${BASE}/admin/users`);
	await rows(pg).first().waitFor();
	await pg.getByRole('button', { name: en['users.add'] }).click();
	await dialog(pg).waitFor();
	await pg.getByLabel(en['users.name'], { exact: true }).fill('newbie');
	await pg.getByLabel(en['users.expires_date'], { exact: true }).fill('2027-03-31');
	await pg.getByLabel(en['users.quota_size'], { exact: true }).fill('20GiB');
	await shots(pg, 'console-user-add-en');
	await dialog(pg).locator('button[type=submit]').click();
	await pg.locator('h1', { hasText: 'newbie' }).waitFor({ timeout: 10000 });
	ok('Add user makes the user and opens its page');
	const lead = await pg.locator('.page-lead').innerText();
	check('its expiry reads as the end of the chosen day', lead.includes('Mar 31, 2027') && lead.includes(en['users.end_of'].split(' ')[0]), lead);
	await pg.getByRole('button', { name: en['user.edit'] }).click();
	await dialog(pg).waitFor();
	await pg.getByLabel(en['users.quota_size'], { exact: true }).fill('10GiB');
	await pg.getByLabel(en['users.quota_monthly']).check();
	await dialog(pg).getByLabel(en['users.group'], { exact: true }).selectOption('staff');
	await dialog(pg).getByLabel(en['users.email']).fill('newbie@example.net');
	await shots(pg, 'console-user-edit-en');
	await dialog(pg).locator('button[type=submit]').click();
	await dialog(pg).waitFor({ state: 'detached', timeout: 10000 }).catch(() => {});
	const u = await (await adminApi.get(`${BASE}/api/v1/users/newbie`)).json();
	check('the expiry the browser chose is the end of that day in its own zone (UTC+8), not the server\'s, and the edit kept it',
		u.expires === Date.UTC(2027, 3, 1) / 1000 - 8 * 3600, String(u.expires));
	check('Edit changes quota, period, group and email on the server', u.quota_bytes === 10 * 1024 ** 3 && u.quota_period === 'month'
		&& u.group === 'staff' && u.email === 'newbie@example.net', JSON.stringify(u).slice(0, 300));

	const row = pg.locator('.device-row[data-device="newbie"]');
	const [dl] = await Promise.all([pg.waitForEvent('download', { timeout: 10000 }), row.getByRole('link', { name: en['device.config'] }).click()]);
	const saved = join(WORK, 'dl', dl.suggestedFilename());
	await dl.saveAs(saved);
	conf = readFileSync(saved, 'utf8');
	check('the configuration downloads through the browser as newbie.conf', dl.suggestedFilename() === 'newbie.conf'
		&& conf.startsWith('[Interface]') && /PrivateKey = /.test(conf) && /Endpoint = 10\.201\.0\.1:51820/.test(conf), conf.split('\n').slice(0, 3));

	// The QR code: the picture the dialog shows, and the server's SVG decoded to the file.
	await row.getByRole('button', { name: en['account.qr'] }).click();
	const img = dialog(pg).locator('img');
	await img.waitFor();
	check('the QR dialog shows the server\'s SVG', await pg.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle(), { timeout: 5000 }).then(() => true, () => false));
	await shots(pg, 'console-qr-en');
	await pg.keyboard.press('Escape');
	const svg = await (await adminApi.get(`${BASE}/api/v1/users/newbie/devices/newbie/qr.svg`)).body();
	writeFileSync(join(WORK, 'qr.svg'), svg);
	let decoded = '';
	try {
		sh('rsvg-convert', ['-w', '800', '-b', 'white', '-o', join(WORK, 'qr.png'), join(WORK, 'qr.svg')]);
		decoded = sh('zbarimg', ['--raw', '-q', join(WORK, 'qr.png')]);
	} catch (e) {
		decoded = `(${e.message})`;
	}
	check('the QR code (rsvg-convert, zbarimg) decodes to exactly the configuration file',
		decoded === conf || decoded === `${conf}\n`, JSON.stringify(decoded.slice(0, 200)), JSON.stringify(conf.slice(0, 200)));

	// The live status page, open before the tunnel comes up, filtered to the user.
	const live = await adminCtx.newPage();
	const liveErrors = [];
	live.on('console', (m) => { if (m.type() === 'error' && !(!HAVE_EVENTS && m.location().url.includes('/api/v1/events'))) liveErrors.push(m.text()); });
	await live.goto(`${BASE}/admin/status`);
	await live.getByPlaceholder(en['status.search']).fill('newbie');
	await live.waitForFunction(() => document.querySelectorAll('.table tbody tr:not(.table-message)').length === 1
		&& document.querySelector('.table tbody tr').textContent.includes('newbie'), null, { timeout: 10000 });
	check('the live status page shows the device offline first', (await live.locator('[data-online]').first().getAttribute('data-online')) === 'false');

	// The downloaded file, as it is, by stock wg-quick with wireguard-go in its own
	// namespace; DNS lines are left out so no resolv.conf is touched.
	const wgConf = join(WORK, `${WG_IF}.conf`);
	writeFileSync(wgConf, conf.split('\n').filter((l) => !/^\s*DNS\s*=/i.test(l)).join('\n'), { mode: 0o600 });
	let up = '';
	try {
		up = inTun('wg-quick', 'up', wgConf);
		ok('wg-quick brings the downloaded configuration up');
	} catch (e) {
		notOk('wg-quick brings the downloaded configuration up', String(e.stderr || e.message).split('\n'));
	}
	let pinged = false;
	for (let i = 0; i < 10 && !pinged; i++) {
		try {
			inTun('ping', '-c', '1', '-W', '1', '10.9.0.1');
			pinged = true;
		} catch {
			// the first handshake takes a moment
		}
	}
	check('and the server answers ping through the tunnel (10.9.0.1)', pinged, up.split('\n').slice(-5));
	if (HAVE_EVENTS) {
		const online = await attempt(() => live.waitForFunction(() => document.querySelector('[data-online="true"]'), null, { timeout: 30000 }));
		check('the live status page shows the device online without a reload (SSE)', online);
		await shots(live, 'console-status-online-en');
	} else {
		console.log('ok - the live status page shows the device online without a reload # SKIP needs GET /api/v1/events (SSE), not on this server yet');
	}
	// The row once asked again: the server's status says online.
	let seen = false;
	for (let i = 0; i < 20 && !seen; i++) {
		const st = await (await adminApi.get(`${BASE}/api/v1/status?q=newbie`)).json();
		seen = st.devices && st.devices[0] && st.devices[0].online;
		if (!seen) await pg.waitForTimeout(1000);
	}
	await live.reload();
	await live.getByPlaceholder(en['status.search']).fill('newbie');
	check('the status page (reloaded) shows the device online with its endpoint', seen
		&& await attempt(() => live.waitForFunction(() => document.querySelector('[data-online="true"]')
			&& document.querySelector('.table tbody tr').textContent.includes('10.202.0.2'), null, { timeout: 10000 })));
	check('the live status page logged nothing', !liveErrors.length, liveErrors);
	await live.close();

	// New keys: the old configuration stops, the new one differs.
	await pg.reload();
	await row.waitFor();
	await row.getByRole('button', { name: en['device.rotate'] }).click();
	await dialog(pg).getByRole('button', { name: en['device.rotate'] }).click();
	await pg.locator('.toast', { hasText: en['device.rotate_done'].replace('{name}', 'newbie') }).waitFor({ timeout: 10000 });
	const conf2 = await (await adminApi.get(`${BASE}/api/v1/users/newbie/devices/newbie/config`)).text();
	check('New keys gives the device a new private key', conf2.startsWith('[Interface]') && conf2.split('\n')[1] !== conf.split('\n')[1]);
	try {
		inTun('wg-quick', 'down', wgConf);
		ok('wg-quick takes the tunnel down again');
	} catch (e) {
		notOk('wg-quick takes the tunnel down again', String(e.stderr || e.message).split('\n'));
	}

	// A one-time portal password, shown once, used at the portal.
	await pg.getByRole('button', { name: en['user.password'] }).click();
	await dialog(pg).getByRole('button', { name: en['user.password_make'] }).click();
	const secret = dialog(pg).locator('.secret-value');
	await secret.waitFor({ timeout: 10000 });
	const otp = (await secret.innerText()).trim();
	check('Portal password shows a one-time password once, with a copy button and the warning',
		/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/.test(otp) && await dialog(pg).getByRole('button', { name: en['secret.copy'] }).count() === 1
		&& (await dialog(pg).innerText()).includes(en['secret.once']), otp);
	await shots(pg, 'console-secret-en');
	await dialog(pg).getByRole('button', { name: en['secret.done'] }).click();
	const portalCtx = await browser.newContext({ ...ctxOpts, locale: 'en' });
	const portal = await open(portalCtx);
	await portal.pg.goto(`${BASE}/`);
	await signIn(portal.pg, en, 'newbie', otp, { change: 'newbie portal pass' });
	check('the user signs in to the portal with it and changes it',
		await attempt(() => portal.pg.locator('h1', { hasText: en['account.hello'].replace('{name}', 'newbie') }).waitFor({ timeout: 15000 })));
	await portal.pg.locator('.device').first().waitFor({ timeout: 5000 }).catch(() => {});
	await shots(portal.pg, 'portal-account-en');
	await checkClean('the portal', portal.pg, portal.log);
	await portalCtx.close();
}

// ---- bulk, CSV import and export
{
	await pg.goto(`${BASE}/admin/users`);
	await pg.getByPlaceholder(en['users.search']).fill('tom.000');
	await pg.waitForFunction(() => document.querySelectorAll('.table tbody tr.row-action').length > 2
		&& [...document.querySelectorAll('.table tbody tr.row-action')].every((r) => r.textContent.includes('tom.000')), null, { timeout: 10000 });
	const picked = [];
	for (let i = 0; i < 3; i++) {
		picked.push((await rows(pg).nth(i).locator('td.col-main .strong').innerText()).trim());
		await rows(pg).nth(i).locator('input[type=checkbox]').check();
	}
	await pg.locator('.bulkbar').waitFor();
	await shots(pg, 'console-users-bulk-en');
	await pg.locator('.bulkbar').getByRole('button', { name: en['users.disable'] }).click();
	await pg.locator('.toast', { hasText: '3' }).waitFor({ timeout: 10000 });
	const after = await Promise.all(picked.map(async (n) => (await (await adminApi.get(`${BASE}/api/v1/users/${n}`)).json()).state));
	check('three selected rows are disabled at once (POST /users/bulk)', after.every((s) => s === 'disabled'), after);
	await pg.waitForFunction(() => document.querySelectorAll('.table tbody tr.row-action .badge-neutral').length >= 3, null, { timeout: 10000 });
	ok('and the rows say so');
	for (let i = 0; i < 3; i++) await rows(pg).nth(i).locator('input[type=checkbox]').check();
	await pg.locator('.bulkbar').getByRole('button', { name: en['users.enable'] }).click();
	await pg.waitForFunction(() => !document.querySelector('.bulkbar'), null, { timeout: 10000 });
	const back = await Promise.all(picked.map(async (n) => (await (await adminApi.get(`${BASE}/api/v1/users/${n}`)).json()).state));
	check('and enabled again', back.every((s) => s !== 'disabled'), back);
	await closeToasts(pg);

	// A change made elsewhere (here the command line) patches the row on screen.
	if (HAVE_EVENTS) {
		await pg.getByPlaceholder(en['users.search']).fill(picked[0]);
		await pg.waitForFunction((n) => document.querySelectorAll('.table tbody tr.row-action').length === 1
			&& document.querySelector('.table tbody tr.row-action').textContent.includes(n), picked[0], { timeout: 10000 });
		sh(process.env.WARREN, ['user', 'disable', picked[0], '-s', process.env.SOCK]);
		check('a user disabled on the command line shows disabled in the list without a reload (SSE)',
			await attempt(() => rows(pg).first().locator('.badge', { hasText: en['state.disabled'] }).waitFor({ timeout: 10000 })));
		sh(process.env.WARREN, ['user', 'enable', picked[0], '-s', process.env.SOCK]);
		await pg.getByPlaceholder(en['users.search']).fill('');
	} else {
		console.log('ok - a user disabled on the command line shows disabled in the list without a reload # SKIP needs GET /api/v1/events (SSE), not on this server yet');
	}

	// Import: a dry run lists the refused lines by the file's line numbers.
	await pg.getByRole('button', { name: en['users.import'] }).click();
	await dialog(pg).waitFor();
	const csv = 'name,expires,quota,group,email\ncsv.one,2027-06-30,5GiB,staff,one@example.net\nBad!,,,,\ncsv.two,,,,\ncsv.three,2027-02-30,,,\nalice.00000,,,,\n';
	await pg.locator('#import-file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
	await dialog(pg).getByRole('button', { name: en['import.check'] }).click();
	await dialog(pg).locator('.import-result').waitFor({ timeout: 10000 });
	const res = await dialog(pg).locator('.import-result').innerText();
	check('Check (a dry run) counts the good lines and names each refused one by its line',
		res.includes('2 users would be added') && res.includes('3 lines refused') && res.includes('Line 3') && res.includes('Line 5') && res.includes('Line 6'), res);
	await shots(pg, 'console-import-en');
	check('and adds nobody', (await adminApi.get(`${BASE}/api/v1/users/csv.one`)).status() === 404);
	await dialog(pg).getByRole('button', { name: en['import.run'] }).click();
	await dialog(pg).locator('.import-result', { hasText: '2 users added' }).waitFor({ timeout: 10000 });
	const one = await (await adminApi.get(`${BASE}/api/v1/users/csv.one`)).json();
	check('Import adds them, as the file says', one.group === 'staff' && one.email === 'one@example.net' && one.quota_bytes === 5 * 1024 ** 3);
	// A file over 60 KiB goes in pieces, each with the header line.
	let big = 'name,expires,quota,group,email\n';
	for (let i = 0; i < 2500; i++) big += `bulk.import.${String(i).padStart(5, '0')},2027-12-31,100GiB/month,contractors,someone.${i}@example.net\n`;
	big += 'Broken Name,,,,\n';
	await pg.locator('#import-file').setInputFiles({ name: 'big.csv', mimeType: 'text/csv', buffer: Buffer.from(big) });
	await dialog(pg).getByRole('button', { name: en['import.check'] }).click();
	await dialog(pg).locator('.import-result').waitFor({ timeout: 20000 });
	const bigRes = await dialog(pg).locator('.import-result').innerText();
	check(`a ${Math.round(big.length / 1024)} KiB file is checked in pieces: 2,500 good lines and line 2502 refused`,
		bigRes.includes('2,500 users would be added') && bigRes.includes('Line 2502'), bigRes.slice(0, 200));
	await pg.keyboard.press('Escape');

	const [exp] = await Promise.all([pg.waitForEvent('download', { timeout: 15000 }), pg.getByRole('link', { name: en['users.export'] }).click()]);
	const expPath = join(WORK, 'dl', 'export.csv');
	await exp.saveAs(expPath);
	const lines = readFileSync(expPath, 'utf8').trim().split('\n');
	check(`Export CSV downloads every user (${fmt('en', lines.length - 1)} lines and a header)`, lines[0].startsWith('name,') && lines.length - 1 === NUSERS + 3
		&& lines.some((l) => l.startsWith('newbie,')), lines[0], `${lines.length}`);
}

// ---- groups, settings, admins and tokens, TOTP, audit
{
	await pg.goto(`${BASE}/admin/groups`);
	await pg.getByRole('button', { name: en['groups.add'] }).click();
	await pg.getByLabel(en['groups.name'], { exact: true }).fill('lab');
	await dialog(pg).locator('button[type=submit]').click();
	await pg.locator('.table td', { hasText: 'lab' }).waitFor({ timeout: 10000 });
	ok('a group is added');
	await pg.getByRole('button', { name: en['groups.delete_title'].replace('{name}', 'staff') }).click();
	await dialog(pg).getByRole('button', { name: en['groups.delete'] }).click();
	check('a group with users is not deleted, and the dialog says why',
		await attempt(() => dialog(pg).locator('.form-error', { hasText: 'still has users' }).waitFor({ timeout: 10000 })));
	await pg.keyboard.press('Escape');
	await pg.getByRole('button', { name: en['groups.delete_title'].replace('{name}', 'lab') }).click();
	await dialog(pg).getByRole('button', { name: en['groups.delete'] }).click();
	await pg.locator('.table td', { hasText: 'lab' }).waitFor({ state: 'detached', timeout: 10000 });
	ok('an empty group is deleted');

	await pg.goto(`${BASE}/admin/settings`);
	const ka = pg.locator('.setting[data-key="client_keepalive"]');
	await ka.getByRole('button', { name: en['settings.edit_title'].replace('{key}', en['settings.key.client_keepalive']) }).click();
	await dialog(pg).getByLabel(en['settings.key.client_keepalive'], { exact: true }).fill('30');
	await dialog(pg).locator('button[type=submit]').click();
	await ka.locator('.badge', { hasText: en['settings.origin_database'] }).waitFor({ timeout: 10000 });
	const newConf = await (await adminApi.get(`${BASE}/api/v1/users/newbie/devices/newbie/config`)).text();
	check('a setting is changed, shown as set here beside the file\'s value, and reaches the configurations',
		(await ka.innerText()).includes('30') && (await ka.innerText()).includes('25') && /PersistentKeepalive = 30/.test(newConf));
	await shots(pg, 'console-settings-changed-en');
	await ka.getByRole('button', { name: en['settings.reset_title'].replace('{key}', en['settings.key.client_keepalive']) }).click();
	await dialog(pg).getByRole('button', { name: en['settings.reset'] }).click();
	await ka.locator('.badge', { hasText: en['settings.origin_file'] }).waitFor({ timeout: 10000 });
	ok('and reset to the file\'s');

	await pg.goto(`${BASE}/admin/admins`);
	await pg.getByRole('button', { name: en['admins.add'] }).click();
	await pg.getByLabel(en['admins.name'], { exact: true }).fill('ops');
	await dialog(pg).locator('button[type=submit]').click();
	const opsPw = (await dialog(pg).locator('.secret-value').innerText({ timeout: 10000 })).trim();
	check('Add admin shows its one-time password once, with the warning', /^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/.test(opsPw)
		&& (await dialog(pg).innerText()).includes(en['secret.once']));
	await dialog(pg).getByRole('button', { name: en['secret.done'] }).click();
	await pg.getByRole('button', { name: en['admins.role_title'].replace('{name}', 'ops') }).click();
	await dialog(pg).getByLabel(en['admins.role'], { exact: true }).selectOption('viewer');
	await dialog(pg).locator('button[type=submit]').click();
	await pg.locator('tr', { hasText: 'ops' }).locator('.badge', { hasText: en['role.viewer'] }).waitFor({ timeout: 10000 });
	ok('the role changes');
	await pg.getByRole('button', { name: en['admins.password_title'].replace('{name}', 'ops') }).click();
	await dialog(pg).getByRole('button', { name: en['admins.password'] }).click();
	const opsPw2 = (await dialog(pg).locator('.secret-value').innerText({ timeout: 10000 })).trim();
	check('Reset password gives a new one-time password', opsPw2 !== opsPw && /^[a-z2-9-]{19}$/.test(opsPw2));
	await dialog(pg).getByRole('button', { name: en['secret.done'] }).click();
	await pg.getByRole('button', { name: en['tokens.add'] }).click();
	await pg.getByLabel(en['admins.name'], { exact: true }).fill('ci');
	await dialog(pg).locator('button[type=submit]').click();
	const token = (await dialog(pg).locator('.secret-value').innerText({ timeout: 10000 })).trim();
	await shots(pg, 'console-token-en');
	await dialog(pg).getByRole('button', { name: en['secret.done'] }).click();
	const viaToken = await adminApi.get(`${BASE}/api/v1/dashboard`, { headers: { Authorization: `Bearer ${token}` } });
	check('Make token shows the token once, and it works', token.length >= 40 && viaToken.status() === 200);
	await pg.getByRole('button', { name: en['admins.delete_title'].replace('{name}', 'ops') }).click();
	await dialog(pg).getByRole('button', { name: en['admins.delete'] }).click();
	await pg.locator('td', { hasText: /^ops$/ }).waitFor({ state: 'detached', timeout: 10000 }).catch(() => {});
	check('an admin is deleted', !(await pg.locator('.table td.col-main', { hasText: /^ops\b/ }).count()));

	await pg.goto(`${BASE}/admin/audit`);
	await pg.locator('.table tbody tr:not(.table-message) td').first().waitFor();
	const auditText = await pg.locator('.table tbody').innerText();
	check('the audit log lists who did what, newest first', auditText.includes('admin:root') && auditText.includes('admin.delete'), auditText.slice(0, 300));
	await pg.getByPlaceholder(en['audit.search']).fill('newbie');
	await pg.waitForFunction(() => [...document.querySelectorAll('.table tbody tr')].every((r) => r.textContent.includes('newbie')), null, { timeout: 10000 });
	check('and is searched on the server (user.add newbie)', (await pg.locator('.table tbody').innerText()).includes('user.add'));
}

// ---- keyboard: rows open with Enter, dialogs keep the focus, Escape gives it back
{
	await pg.goto(`${BASE}/admin/users`);
	await rows(pg).first().waitFor();
	await rows(pg).first().focus();
	await pg.keyboard.press('ArrowDown');
	const second = (await rows(pg).nth(1).locator('td.col-main .strong').innerText()).trim();
	await pg.keyboard.press('Enter');
	await pg.locator('h1', { hasText: second }).waitFor({ timeout: 10000 });
	ok('the arrow keys move through the rows and Enter opens one');
	await pg.getByRole('button', { name: en['user.edit'] }).click();
	await dialog(pg).waitFor();
	let inside = true;
	for (let i = 0; i < 14; i++) {
		await pg.keyboard.press('Tab');
		inside = inside && await pg.evaluate(() => !!document.activeElement.closest('dialog[open]'));
	}
	check('a dialog keeps the focus', inside);
	// A ring is an outline, or for an input the accent's box-shadow.
	const ring = await pg.evaluate(() => {
		const cs = getComputedStyle(document.activeElement);
		return cs.outlineStyle !== 'none' ? cs.outlineStyle : cs.boxShadow;
	});
	check('and the focused control shows it', ring && ring !== 'none', ring);
	await pg.keyboard.press('Escape');
	await dialog(pg).waitFor({ state: 'detached', timeout: 5000 }).catch(() => {});
	check('Escape closes it and gives the focus back', await pg.evaluate(() => document.activeElement && document.activeElement.textContent.includes('Edit')));
	const unlabelled = await pg.evaluate(() => [...document.querySelectorAll('button, input, select, textarea, a[href]')]
		.filter((el) => el.offsetParent !== null || el.closest('.sidebar'))
		.filter((el) => !(el.getAttribute('aria-label') || el.textContent.trim() || (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.closest('label') || el.getAttribute('aria-labelledby')))
		.map((el) => el.outerHTML.slice(0, 80)));
	check('every control on the user page has a label', !unlabelled.length, unlabelled);
}

// ---- a server failure (500) reads as such and can be tried again: the one fault made up
{
	let fail = true;
	await pg.route('**/api/v1/users?*', (r) => (fail ? r.fulfill({ status: 500, contentType: 'application/json', body: '{"error":"database: disk I/O error"}' }) : r.continue()));
	await pg.goto(`${BASE}/admin/users`);
	await pg.locator('.table-error').waitFor({ timeout: 10000 });
	check('a failing list says so, with the status', (await pg.locator('.table-error').innerText()).includes('500'));
	fail = false;
	await pg.getByRole('button', { name: en['common.retry'] }).click();
	await rows(pg).first().waitFor({ timeout: 10000 });
	ok('and Try again loads it');
	await pg.unroute('**/api/v1/users?*');
}

await checkClean('the console as an admin', pg, log, true);
checkHeaders('the console as an admin', log);

// ---- every page, both languages, both sizes; the texts are the page's language
for (const lang of LANGS) {
	const c = cat[lang];
	const context = lang === 'en' ? adminCtx : await browser.newContext({ ...ctxOpts, locale: lang });
	const o = lang === 'en' ? { pg, log } : await open(context);
	if (lang !== 'en') {
		await o.pg.goto(`${BASE}/admin/`);
		await signIn(o.pg, c, 'root', NEW_PW);
		await o.pg.locator('h1', { hasText: c['nav.dashboard'] }).waitFor({ timeout: 15000 });
		o.log.console.length = 0;
	}
	const values = new Set(Object.values(cat.en));
	for (const [name, path, ready, title] of PAGES) {
		await o.pg.goto(`${BASE}${path}`);
		const loaded = await attempt(() => o.pg.locator(ready).first().waitFor({ timeout: 10000 }));
		await o.pg.waitForTimeout(250);
		const h1 = (await o.pg.locator('h1').first().innerText().catch(() => '')).trim();
		// The API's own names (operations in the audit log, settings' keys) are not texts.
		const text = await o.pg.evaluate(() => {
			const b = document.body.cloneNode(true);
			for (const m of b.querySelectorAll('.mono')) m.remove();
			return b.innerText;
		});
		const keys = text.match(/\b[a-z]+(?:\.[a-z_-]+){1,3}\b/g)?.filter((k) => k in cat.en) || [];
		check(`${lang}: ${path} renders in ${lang}${title ? ` ("${c[title]}")` : ''}, no catalog key shows`,
			loaded && (!title || h1 === c[title]) && !keys.length, `h1 ${h1}`, keys.slice(0, 5));
		if (lang === 'zh-CN') {
			// A label that is an English text of the catalog whose Chinese differs.
			const english = (await o.pg.locator('nav a, th, h1, h2, .button, label').allInnerTexts()).map((x) => x.trim())
				.filter((x) => x && Object.keys(cat.en).some((k) => cat.en[k] === x && c[k] !== x));
			check(`zh-CN: ${path} has no English label left`, !english.length, english.slice(0, 8));
		}
		if (lang === 'en') {
			const unlabelled = await o.pg.evaluate(() => [...document.querySelectorAll('main button, main input, main select, main textarea, main a[href], header button, header select')]
				.filter((el) => !el.closest('[aria-hidden="true"]'))
				.filter((el) => !(el.getAttribute('aria-label') || el.textContent.trim() || (el.id && document.querySelector(`label[for="${el.id}"]`))
					|| el.closest('label') || el.getAttribute('aria-labelledby') || el.getAttribute('title')))
				.map((el) => el.outerHTML.slice(0, 80)));
			check(`${path}: every control has a label`, !unlabelled.length, unlabelled);
		}
		await shots(o.pg, `console-${name}-${lang}`);
	}
	await o.pg.setViewportSize(SIZES[1]);
	await o.pg.goto(`${BASE}/admin/users`);
	await rows(o.pg).first().waitFor();
	await o.pg.getByRole('button', { name: c['nav.menu'] }).click();
	await o.pg.waitForTimeout(300);
	await shot(o.pg, `console-nav-${lang}`, SIZES[1]);
	await o.pg.keyboard.press('Escape');
	await o.pg.setViewportSize(SIZES[0]);
	if (lang !== 'en') {
		await checkClean(`${lang}: every console page`, o.pg, o.log);
		await context.close();
	}
}

// ---- a viewer: reads everything, no edit control, 403 when it tries; TOTP enrolment
{
	const context = await browser.newContext({ ...ctxOpts, locale: 'en' });
	const v = await open(context);
	await v.pg.goto(`${BASE}/admin/`);
	await signIn(v.pg, en, 'eve', process.env.P_EVE, { change: 'eve reads only' });
	await v.pg.locator('h1', { hasText: en['nav.dashboard'] }).waitFor({ timeout: 15000 });
	const editors = [en['users.add'], en['users.import'], en['user.edit'], en['users.disable'], en['users.delete'], en['device.add'],
		en['device.rotate'], en['device.revoke'], en['user.password'], en['groups.add'], en['settings.edit'], en['settings.reset'],
		en['admins.add'], en['tokens.add'], en['admins.delete'], en['admins.password']];
	const seen = [];
	for (const path of ['/admin/users', '/admin/users/newbie', '/admin/groups', '/admin/settings', '/admin/admins']) {
		await v.pg.goto(`${BASE}${path}`);
		await v.pg.locator('h1').first().waitFor();
		await v.pg.waitForTimeout(600);
		for (const b of await v.pg.locator('main button, main a.button').allInnerTexts()) if (editors.includes(b.trim())) seen.push(`${path}: ${b.trim()}`);
		if (path === '/admin/users' && await v.pg.locator('main input[type=checkbox]').count()) seen.push(`${path}: row checkboxes`);
		if (path === '/admin/users/newbie' && await v.pg.getByRole('link', { name: en['device.config'] }).count()) seen.push(`${path}: configuration link`);
	}
	check('a viewer sees no edit control on any page', !seen.length, seen);
	await shots(v.pg, 'console-admins-viewer-en');
	const tried = await v.pg.evaluate(async () => {
		const s = JSON.parse(localStorage.getItem('warren.session'));
		const r = await fetch('/api/v1/users', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf }, body: '{"name":"viewers-user"}' });
		return `${r.status} ${(await r.json()).error}`;
	});
	check('and gets 403 when it tries (POST /api/v1/users with its CSRF token)', tried === '403 forbidden', tried);

	// Two-step sign-in, enrolled from the account page; the next sign-in asks for a code.
	await v.pg.goto(`${BASE}/admin/account`);
	await v.pg.getByRole('button', { name: en['totp.begin'] }).click();
	const sec = (await v.pg.locator('.secret-value').innerText({ timeout: 10000 })).replace(/\s/g, '');
	await shots(v.pg, 'console-totp-en');
	// The QR code an authenticator app scans: the picture on the page, decoded.
	const totpSrc = await v.pg.locator('img.totp-qr').getAttribute('src');
	const totpUri = (await v.pg.locator('.totp-uri code').textContent()).trim();
	let totpDecoded = '';
	try {
		writeFileSync(join(WORK, 'totp.svg'), Buffer.from(totpSrc.replace(/^data:image\/svg\+xml;base64,/, ''), 'base64'));
		sh('rsvg-convert', ['-w', '600', '-b', 'white', '-o', join(WORK, 'totp.png'), join(WORK, 'totp.svg')]);
		totpDecoded = sh('zbarimg', ['--raw', '-q', join(WORK, 'totp.png')]).trim();
	} catch (e) {
		totpDecoded = `(${e.message})`;
	}
	check('the TOTP QR code decodes to the otpauth URI with the secret shown', totpDecoded === totpUri
		&& totpUri.includes(`secret=${sec}`), JSON.stringify(totpDecoded), JSON.stringify(totpUri));
	await v.pg.getByLabel(en['totp.code'], { exact: true }).fill(totp(sec));
	await v.pg.getByRole('button', { name: en['totp.confirm'] }).click();
	check('TOTP enrolment with the app\'s first code', await attempt(() => v.pg.locator('.toast', { hasText: en['totp.enrolled'] }).waitFor({ timeout: 10000 })));
	await v.pg.getByRole('button', { name: en['common.sign_out'] }).first().click();
	await v.pg.locator('h1', { hasText: en['login.title.console'] }).waitFor({ timeout: 10000 });
	await v.pg.goto(`${BASE}/admin/`);
	await signIn(v.pg, en, 'eve', 'eve reads only');
	const code = v.pg.getByLabel(en['login.totp'], { exact: true });
	check('the next sign-in asks for the code, focused', await attempt(() => code.waitFor({ timeout: 10000 }))
		&& await code.evaluate((el) => el === document.activeElement));
	await shots(v.pg, 'console-login-totp-en');
	await code.fill('000000');
	await v.pg.locator('button[type=submit]').click();
	check('a wrong code reads as such', await attempt(() => v.pg.locator('.form-error', { hasText: en['error.totp_wrong'] }).waitFor({ timeout: 10000 })));
	await code.fill(totp(sec, 1));
	await v.pg.locator('button[type=submit]').click();
	check('the right code signs in', await attempt(() => v.pg.locator('h1', { hasText: en['nav.dashboard'] }).waitFor({ timeout: 10000 })),
		await v.pg.locator('form').innerText().catch(() => ''));
	await checkClean('the console as a viewer', v.pg, v.log, true);
	await context.close();
}

// Dark mode: the users page and the sign-in pages in the dark scheme.
{
	const context = await browser.newContext({ ...ctxOpts, locale: 'en', colorScheme: 'dark' });
	const d = await open(context);
	await d.pg.goto(`${BASE}/admin/`);
	await d.pg.locator('h1', { hasText: en['login.title.console'] }).waitFor({ timeout: 10000 });
	await shots(d.pg, 'console-login-dark-en');
	await d.pg.goto(`${BASE}/`);
	await d.pg.locator('h1', { hasText: en['login.title.portal'] }).waitFor({ timeout: 10000 });
	await shots(d.pg, 'portal-login-dark-en');
	await d.pg.goto(`${BASE}/admin/`);
	await signIn(d.pg, en, 'root', NEW_PW);
	await d.pg.locator('h1', { hasText: en['nav.dashboard'] }).waitFor({ timeout: 15000 });
	for (const [name, path, ready] of [PAGES[0], PAGES[1], PAGES[2]]) {
		await d.pg.goto(`${BASE}${path}`);
		await d.pg.locator(ready).first().waitFor({ timeout: 10000 }).catch(() => {});
		await shots(d.pg, `console-${name}-dark-en`);
	}
	await context.close();
}

await adminCtx.close();
await browser.close();
process.exit(failures ? 1 : 0);
