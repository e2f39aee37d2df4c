// The console and the portal in Debian's Chromium, against the portal at $URL (run by
// t_pages.sh inside the client's namespace). Prints one "ok - ..." or "not ok - ..."
// line per check; screenshots of every page go to $SHOTS.
//
// Against the real server: the pages load and sign-in renders in English and Chinese,
// no console errors, no CSP violations, the security headers on every answer (pages,
// files, API errors), gzip and immutable caching for files, 304 on a second load, 404
// for unknown files and stale builds, a failing sign-in reads well. With the API
// answered by mock.mjs: sign-in, the forced password change, the dashboard, the users
// table (search, sort, paging, keyboard, dialog), sessions and the portal's account.
import { chromium, request } from 'playwright-core';
import { readFileSync, readdirSync, statSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import https from 'node:https';
import { mockApi, USERS } from './mock.mjs';

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

// What the browser said that is not the expected failure of an API call.
function complaints(log, allowApi = false) {
	return log.console
		.filter((m) => !(allowApi && /^Failed to load resource/.test(m.text) && m.url.includes('/api/v1/')))
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

// ---- with the API answered by mock.mjs
const stateOf = (role, mustChange = false, name = 'ops') => ({ name, role, csrf: 'csrf-1', mustChange });
async function signedIn(context, session, mockOpts = {}) {
	const o = await open(context);
	const records = await mockApi(o.pg, { role: session ? session.role : 'admin', ...mockOpts });
	if (session) {
		await o.pg.addInitScript((s) => sessionStorage.setItem('warren.session', JSON.stringify(s)), session);
	}
	return { ...o, records };
}

for (const lang of LANGS) {
	const c = cat[lang];
	const context = await browser.newContext({ locale: lang, viewport: SIZES[0] });

	// Sign-in through the form, then the forced password change, then the dashboard.
	{
		const { pg, log, records } = await signedIn(context, null, { role: 'admin', mustChange: true });
		await pg.goto(`${BASE}/admin/`);
		await pg.getByLabel(c['login.name'], { exact: true }).fill('ops');
		await pg.getByLabel(c['login.password'], { exact: true }).fill('one-time-pass');
		await pg.locator('button[type=submit]').click();
		await pg.locator('h1', { hasText: c['password.title_forced'] }).waitFor({ timeout: 10000 });
		ok(`${lang}: a one-time password leads to the password change`);
		await shots(pg, `console-password-${lang}`);
		await pg.getByLabel(c['password.old_forced'], { exact: true }).fill('one-time-pass');
		await pg.getByLabel(c['password.new'], { exact: true }).fill('short');
		await pg.getByLabel(c['password.again'], { exact: true }).fill('short');
		await pg.locator('button[type=submit]').click();
		await pg.locator('.field-error', { hasText: c['password.too_short'].replace('{n}', '8') }).waitFor({ timeout: 5000 });
		ok(`${lang}: a short new password is refused in the form`);
		await shots(pg, `console-password-error-${lang}`);
		await pg.getByLabel(c['password.new'], { exact: true }).fill('correct horse battery');
		await pg.getByLabel(c['password.again'], { exact: true }).fill('correct horse battery');
		await pg.locator('button[type=submit]').click();
		await pg.locator('h1', { hasText: c['nav.dashboard'] }).waitFor({ timeout: 10000 });
		const pw = records.find((r) => r.path === '/password');
		check(`${lang}: the change is sent with the login's CSRF token`, pw && pw.headers['x-csrf-token'] === 'csrf-1'
			&& JSON.parse(pw.body).new === 'correct horse battery', JSON.stringify(pw && pw.headers));
		await pg.locator('.stat-value', { hasText: String(USERS.length) }).waitFor({ timeout: 5000 });
		ok(`${lang}: the dashboard shows the server's figures`);
		await pg.waitForTimeout(300);
		await shots(pg, `console-dashboard-${lang}`);
		await pg.setViewportSize(SIZES[1]);
		for (const b of await pg.locator('.toast button').all()) await b.click();
		await pg.getByRole('button', { name: c['nav.menu'] }).click();
		await pg.waitForTimeout(300);
		await shot(pg, `console-nav-${lang}`, SIZES[1]);
		await pg.keyboard.press('Escape');
		await pg.setViewportSize(SIZES[0]);
		await checkClean(`${lang}: sign-in to dashboard`, pg, log);
		checkHeaders(`${lang}: sign-in to dashboard`, log);
		await pg.close();
	}

	// Users: search, sort, paging, keyboard, details dialog, add dialog.
	{
		const { pg, log, records } = await signedIn(context, stateOf('admin'));
		await pg.goto(`${BASE}/admin/users`);
		const rows = pg.locator('.table tbody tr.row-action');
		await rows.first().waitFor({ timeout: 10000 });
		check(`${lang}: users: one page of 50 rows`, (await rows.count()) === 50, `${await rows.count()}`);
		await shots(pg, `console-users-${lang}`);
		await pg.getByRole('button', { name: c['table.next'] }).click();
		await pg.locator('.pager-range', { hasText: '51' }).waitFor({ timeout: 5000 });
		const asked = records.filter((r) => r.path === '/users').pop();
		check(`${lang}: users: Next asks for the server's cursor`, asked.query.cursor === '50' && asked.query.limit === '50', JSON.stringify(asked.query));
		await pg.getByRole('button', { name: c['users.name'] }).click();
		await pg.waitForFunction(() => document.querySelector('th[aria-sort="descending"]'));
		const sorted = records.filter((r) => r.path === '/users').pop();
		check(`${lang}: users: a header sorts on the server and starts again at page one`, sorted.query.sort === '-name' && !sorted.query.cursor, JSON.stringify(sorted.query));
		await pg.getByPlaceholder(c['users.search']).fill('zhang');
		const zhang = USERS.filter((u) => u.name.includes('zhang')).length;
		await pg.waitForFunction((n) => document.querySelectorAll('.table tbody tr.row-action').length === n, zhang);
		const searched = records.filter((r) => r.path === '/users').pop();
		check(`${lang}: users: search asks the server once typing stops`, searched.query.q === 'zhang', JSON.stringify(searched.query));
		await pg.getByPlaceholder(c['users.search']).fill('');
		await pg.waitForFunction(() => document.querySelectorAll('.table tbody tr.row-action').length === 50);
		// Keyboard: into the rows, down one, Enter opens the user, Tab stays in the dialog.
		await rows.first().focus();
		await pg.keyboard.press('ArrowDown');
		const second = await rows.nth(1).locator('td').first().innerText();
		await pg.keyboard.press('Enter');
		const dialog = pg.locator('dialog[open]');
		await dialog.waitFor({ timeout: 5000 });
		check(`${lang}: users: Enter on a row opens it`, (await dialog.locator('h2').innerText()).trim() === second.split('\n')[0].trim());
		await pg.waitForTimeout(200);
		await shots(pg, `console-user-${lang}`);
		let inside = true;
		for (let i = 0; i < 6; i++) {
			await pg.keyboard.press('Tab');
			inside = inside && await pg.evaluate(() => !!document.activeElement.closest('dialog[open]'));
		}
		check(`${lang}: users: the dialog keeps the focus`, inside);
		await pg.keyboard.press('Escape');
		await dialog.waitFor({ state: 'detached', timeout: 5000 }).catch(() => {});
		check(`${lang}: users: Escape closes it and the focus goes back to the row`, !(await pg.locator('dialog[open]').count())
			&& await pg.evaluate(() => document.activeElement.matches('tr.row-action')));
		await pg.getByRole('button', { name: c['users.add'] }).first().click();
		await dialog.waitFor({ timeout: 5000 });
		await pg.getByLabel(c['users.name'], { exact: true }).fill('newbie');
		await pg.waitForTimeout(150);
		await shots(pg, `console-user-add-${lang}`);
		await dialog.locator('button[type=submit]').click();
		await pg.locator('.toast', { hasText: 'newbie' }).waitFor({ timeout: 5000 });
		const added = records.find((r) => r.path === '/users' && r.method === 'POST');
		check(`${lang}: users: adding sends the CSRF token and the name`, added && added.headers['x-csrf-token'] === 'csrf-1'
			&& JSON.parse(added.body).name === 'newbie');
		await pg.setViewportSize(SIZES[1]);
		await pg.waitForTimeout(200);
		await checkClean(`${lang}: users`, pg, log);
		await pg.close();
	}

	// Sessions, a viewer's console (no add button), the 404 page.
	{
		const { pg, log } = await signedIn(context, stateOf('viewer'));
		await pg.goto(`${BASE}/admin/sessions`);
		await pg.locator('.table tbody tr').nth(5).waitFor({ timeout: 10000 });
		await shots(pg, `console-sessions-${lang}`);
		await pg.goto(`${BASE}/admin/users`);
		await pg.locator('.table tbody tr.row-action').first().waitFor({ timeout: 10000 });
		check(`${lang}: a viewer gets no add button`, !(await pg.getByRole('button', { name: c['users.add'] }).count()));
		await pg.goto(`${BASE}/admin/nothing-here`);
		await pg.locator('h1', { hasText: c['page.not_found'] }).waitFor({ timeout: 10000 });
		ok(`${lang}: an unknown console path shows "${c['page.not_found']}"`);
		await checkClean(`${lang}: sessions`, pg, log);
		await pg.close();
	}

	// The portal: sign-in as a user, the account, a device's QR code.
	{
		const { pg, log } = await signedIn(context, null, { role: 'user' });
		await pg.goto(`${BASE}/`);
		await pg.getByLabel(c['login.name'], { exact: true }).fill('alice');
		await pg.getByLabel(c['login.password'], { exact: true }).fill('secret-password');
		await pg.locator('button[type=submit]').click();
		await pg.locator('h1', { hasText: c['account.hello'].replace('{name}', 'alice') }).waitFor({ timeout: 10000 });
		ok(`${lang}: portal: a user signs in to the account page`);
		await pg.locator('.device').first().waitFor();
		await shots(pg, `portal-account-${lang}`);
		await pg.getByRole('button', { name: c['account.qr'] }).first().click();
		await pg.locator('dialog[open] img').waitFor({ timeout: 5000 });
		await pg.waitForTimeout(200);
		await shots(pg, `portal-qr-${lang}`);
		await pg.keyboard.press('Escape');
		await pg.getByRole('button', { name: c['common.sign_out'] }).click();
		await pg.locator('h1', { hasText: c['login.title.portal'] }).waitFor({ timeout: 10000 });
		ok(`${lang}: portal: sign-out goes back to the sign-in page`);
		await checkClean(`${lang}: portal`, pg, log);
		await pg.close();
	}
	{
		const { pg } = await signedIn(context, stateOf('user', true, 'alice'));
		await pg.goto(`${BASE}/`);
		await pg.locator('h1', { hasText: c['password.title_forced'] }).waitFor({ timeout: 10000 });
		await shots(pg, `portal-password-${lang}`);
		await pg.close();
	}
	{
		const { pg } = await signedIn(context, null, { role: 'admin', login: 'totp' });
		await pg.goto(`${BASE}/admin/`);
		await pg.getByLabel(c['login.name'], { exact: true }).fill('ops');
		await pg.getByLabel(c['login.password'], { exact: true }).fill('secret-password');
		await pg.locator('button[type=submit]').click();
		const code = pg.getByLabel(c['login.totp'], { exact: true });
		await code.waitFor({ timeout: 5000 });
		check(`${lang}: the code field appears when the server asks for it, focused`,
			await code.evaluate((el) => el === document.activeElement));
		await shots(pg, `console-login-totp-${lang}`);
		await pg.close();
	}
	await context.close();
}

// Dark mode: the same pages in the dark scheme.
{
	const context = await browser.newContext({ locale: 'en', viewport: SIZES[0], colorScheme: 'dark' });
	const { pg } = await signedIn(context, stateOf('admin'));
	await pg.goto(`${BASE}/admin/users`);
	await pg.locator('.table tbody tr.row-action').first().waitFor({ timeout: 10000 });
	await shots(pg, 'console-users-dark-en');
	const signedOut = await signedIn(context, null);
	await signedOut.pg.goto(`${BASE}/admin/`);
	await signedOut.pg.locator('h1', { hasText: cat.en['login.title.console'] }).waitFor({ timeout: 10000 });
	await shots(signedOut.pg, 'console-login-dark-en');
	await signedOut.pg.goto(`${BASE}/`);
	await signedOut.pg.locator('h1', { hasText: cat.en['login.title.portal'] }).waitFor({ timeout: 10000 });
	await shots(signedOut.pg, 'portal-login-dark-en');
	await context.close();
}

await browser.close();
process.exit(failures ? 1 : 0);
