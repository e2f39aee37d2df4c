// A group's access policy in the console and the portal, in Debian's Chromium against the
// portal at $URL (run by t_policy_web.sh inside the client's namespace). Prints one
// "ok - ..." or "not ok - ..." line per check; screenshots go to $SHOTS.
//
// root opens group staff from the groups list: every field comes from the file; a bad
// schedule with a rate, isolation and destinations is refused at the schedule field and
// nothing changes on the server (the CLI says so); the good schedule saves them all,
// each then "set on this group"; the rate goes back to the file's; the groups list sums
// the policy up; a user gets a rate of its own and goes back to the group's. alice reads
// her destinations and access hours on the portal. Both languages at both sizes: no
// catalog key, no English label left in Chinese, every control labelled, no console
// error, no CSP violation.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

const BASE = process.env.URL;
const WEB = process.env.WEB;
const SHOTS = process.env.SHOTS;
const LANGS = ['en', 'zh-CN'];
const SIZES = [{ width: 1280, height: 800 }, { width: 390, height: 844 }];
const NEW_PW = 'correct horse battery';

let failures = 0;
const ok = (d) => console.log(`ok - ${d}`);
function notOk(d, ...detail) {
	failures++;
	console.log(`not ok - ${d}`);
	for (const l of detail.flat().slice(0, 20)) console.log(`#   ${l}`);
}
const check = (d, cond, ...detail) => (cond ? ok(d) : notOk(d, ...detail));
async function attempt(fn) {
	try {
		await fn();
		return true;
	} catch {
		return false;
	}
}
const W = (...args) => execFileSync(process.env.WARREN, [...args, '-s', process.env.SOCK],
	{ encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const showGroup = (g) => JSON.parse(W('group', 'show', g, '--json'));
const showUser = (u) => JSON.parse(W('user', 'show', u, '--json'));
const cat = Object.fromEntries(LANGS.map((l) => [l, JSON.parse(readFileSync(join(WEB, 'i18n', `${l}.json`), 'utf8'))]));
const en = cat.en;
const T = (c, k, vars = {}) => c[k].replace(/\{(\w+)\}/g, (m, v) => (v in vars ? String(vars[v]) : m));

// ---- the catalogs: the new keys in both, none empty
{
	const mine = (l) => Object.keys(cat[l]).filter((k) => /^(group|policy|resources|tunnel)\./.test(k));
	const a = mine('en');
	const b = new Set(mine('zh-CN'));
	const diff = a.filter((k) => !b.has(k)).concat([...b].filter((k) => !a.includes(k)));
	const empty = a.filter((k) => !cat.en[k] || !cat['zh-CN'][k]);
	check(`the policy's keys are in both catalogs, none empty (${a.length})`, a.length > 80 && !diff.length && !empty.length, diff, empty);
}

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM,
	headless: true,
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync',
		`--ignore-certificate-errors-spki-list=${process.env.SPKI}`],
});

async function open(context) {
	const pg = await context.newPage();
	pg.setDefaultTimeout(10000);
	const log = { console: [], errors: [] };
	pg.on('console', (m) => {
		if (m.type() === 'error' || m.type() === 'warning') log.console.push({ type: m.type(), text: m.text(), url: m.location().url });
	});
	pg.on('pageerror', (e) => log.errors.push(String(e)));
	await pg.addInitScript(() => {
		window.__csp = [];
		document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
	});
	return { pg, log };
}

// The refused PATCH this test makes on purpose is the one error a page may log.
async function checkClean(label, pg, log, allowApi = false) {
	const csp = await pg.evaluate(() => window.__csp);
	const cspConsole = log.console.filter((m) => /Content Security Policy/i.test(m.text));
	check(`${label}: no CSP violation`, !csp.length && !cspConsole.length, csp, cspConsole.map((m) => m.text));
	const c = log.console.filter((m) => !(allowApi && /^Failed to load resource/.test(m.text) && m.url.includes('/api/v1/')))
		.map((m) => `${m.type}: ${m.text} (${m.url})`).concat(log.errors.map((e) => `page error: ${e}`));
	check(`${label}: no console error`, !c.length, c);
}

async function shots(pg, name) {
	for (const size of SIZES) {
		await pg.setViewportSize(size);
		await pg.waitForTimeout(250);
		await pg.screenshot({ path: join(SHOTS, `${name}-${size.width}.png`), scale: 'css' });
		// The whole page in one window as tall as it is (a full-page shot would smear the
		// fixed header and navigation over it).
		const h = await pg.evaluate(() => document.documentElement.scrollHeight);
		if (h > size.height + 40) {
			await pg.setViewportSize({ width: size.width, height: Math.min(h, 4000) });
			await pg.waitForTimeout(150);
			await pg.screenshot({ path: join(SHOTS, `${name}-${size.width}-full.png`), scale: 'css' });
			await pg.setViewportSize(size);
		}
	}
	await pg.setViewportSize(SIZES[0]);
}

async function signIn(pg, c, name, password, change, landing) {
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
	await pg.locator('h1', { hasText: landing }).waitFor({ timeout: 15000 });
}

async function unlabelled(pg, scope = 'main') {
	return pg.evaluate((s) => [...document.querySelectorAll(`${s} button, ${s} input, ${s} select, ${s} textarea, ${s} a[href]`)]
		.filter((el) => !(el.getAttribute('aria-label') || el.textContent.trim() || (el.id && document.querySelector(`label[for="${el.id}"]`))
			|| el.closest('label') || el.getAttribute('aria-labelledby') || el.getAttribute('title')))
		.map((el) => el.outerHTML.slice(0, 100)), scope);
}

async function catalogKeys(pg) {
	const values = new Set(Object.keys(en));
	const text = await pg.evaluate(() => {
		const b = document.body.cloneNode(true);
		for (const m of b.querySelectorAll('.mono')) m.remove();
		return b.innerText;
	});
	return text.match(/\b[a-z]+(?:\.[a-z_-]+){1,3}\b/g)?.filter((k) => values.has(k)) || [];
}

const ctxOpts = { viewport: SIZES[0] };
const adminCtx = await browser.newContext({ ...ctxOpts, locale: 'en', timezoneId: 'Europe/Berlin' });
const { pg, log } = await open(adminCtx);
await pg.goto(`${BASE}/admin/`);
await signIn(pg, en, 'root', process.env.P_ROOT, NEW_PW, en['nav.dashboard']);
ok('root signs in with its one-time password and changes it');

const field = (k) => pg.locator(`[data-field="${k}"]`);
const save = () => pg.getByRole('button', { name: en['group.save'] }).click();
const origins = async () => Object.fromEntries(await pg.locator('[data-field]').evaluateAll((els) => els.map((e) => [e.dataset.field,
	e.querySelector('.origin').dataset.from])));

// ---- the groups list leads to a group's page
{
	await pg.goto(`${BASE}/admin/groups`);
	const row = pg.locator('.table tbody tr', { hasText: 'contractors' });
	await row.waitFor();
	const rt = await row.innerText();
	check('the groups list sums up a group\'s policy: its schedule and the portal sign-in badge',
		rt.includes('Mon-Fri 09:00-17:00') && rt.includes(en['group.badge_portal_login']), rt);
	await shots(pg, 'console-groups-policy-en');
	await pg.locator('.table tbody tr', { hasText: 'staff' }).getByRole('link', { name: T(en, 'groups.open', { name: 'staff' }), exact: true }).click();
	check('a group\'s name in the list opens its page', await attempt(() => pg.locator('h1', { hasText: 'staff' }).waitFor()));
	await field('schedule').waitFor();
	const o = await origins();
	check('every field of staff comes from the config file, and says so', Object.keys(o).length === 8
		&& Object.values(o).every((x) => x === 'file') && await pg.locator('.origin', { hasText: en['group.from_file'] }).count() === 8, JSON.stringify(o));
	const rateDown = await field('rate').getByLabel(en['group.rate_down'], { exact: true }).inputValue();
	check('the file\'s rate (100Mbit/20Mbit) fills the form, disabled while it is the default', rateDown === '100'
		&& await field('rate').getByLabel(en['group.rate_down'], { exact: true }).isDisabled(), rateDown);
	const state = await pg.locator('.schedule-state').innerText().catch(() => '');
	check('the group\'s schedule state is shown (open now, always)', state.includes(en['group.open_now']), state);
	await shots(pg, 'console-group-en');
}

// ---- a bad schedule: the server's error at the field, nothing changed
const before = showGroup('staff');
{
	await field('schedule').getByLabel(en['group.use_default']).uncheck();
	await pg.getByLabel(en['group.f.schedule'], { exact: true }).fill('Mon-Fri 8:00-18');
	await field('rate').getByLabel(en['group.use_default']).uncheck();
	await field('rate').getByLabel(en['group.rate_down'], { exact: true }).fill('20');
	await field('rate').getByLabel(en['group.rate_up'], { exact: true }).fill('5');
	await field('isolate').getByLabel(en['group.use_default']).uncheck();
	await pg.getByRole('switch', { name: en['group.f.isolate'] }).check();
	await field('destinations').getByLabel(en['group.use_default']).uncheck();
	await pg.getByLabel(en['group.f.destinations'], { exact: true }).fill('10.0.0.0/8\n10.1.2.3:443/tcp');
	await save();
	const err = field('schedule').locator('.field-error');
	const shown = await attempt(() => err.waitFor({ timeout: 5000 }));
	const text = shown ? await err.innerText() : '';
	check('a bad schedule shows the server\'s error next to the schedule field', shown && /8:00-18/.test(text)
		&& await pg.getByLabel(en['group.f.schedule'], { exact: true }).getAttribute('aria-invalid') === 'true', text);
	check('and the focus goes to that field', await pg.evaluate(() => document.activeElement && document.activeElement.id === 'pf-schedule'));
	check('no other field shows an error', await pg.locator('.field-error').count() === 1);
	await shots(pg, 'console-group-error-en');
	const after = showGroup('staff');
	check('nothing changed on the server (warren group show staff --json)', JSON.stringify(after.policy) === JSON.stringify(before.policy),
		JSON.stringify(after.policy));
}

// ---- the good schedule saves every field
{
	await pg.getByLabel(en['group.f.schedule'], { exact: true }).fill('');
	await field('schedule').getByRole('button', { name: T(en, 'group.use_example', { example: 'Mon-Fri 08:00-18:00' }), exact: true }).click();
	check('an example fills the schedule in', await pg.getByLabel(en['group.f.schedule'], { exact: true }).inputValue() === 'Mon-Fri 08:00-18:00');
	await save();
	await pg.locator('.toast', { hasText: T(en, 'group.saved', { name: 'staff' }) }).waitFor({ timeout: 5000 }).catch(() => {});
	await pg.waitForFunction(() => document.querySelector('[data-field="schedule"] .origin')?.dataset.from === 'group', null, { timeout: 5000 }).catch(() => {});
	const g = showGroup('staff');
	const p = g.policy;
	check('the server has the schedule, the rate, isolation and the destinations, set on the group',
		p.schedule.value === 'Mon-Fri 08:00-18:00' && p.schedule.from === 'group' && p.rate.value === '20Mbit/5Mbit' && p.rate.from === 'group'
		&& p.isolate.value === true && p.isolate.from === 'group' && JSON.stringify(p.destinations.value) === '["10.0.0.0/8","10.1.2.3:443/tcp"]'
		&& p.sources.from === 'file' && p.idle.from === 'file', JSON.stringify(p));
	const o = await origins();
	check('the page now says those four are set on this group, the rest from the file',
		o.schedule === 'group' && o.rate === 'group' && o.isolate === 'group' && o.destinations === 'group'
		&& o.sources === 'file' && o.portal_login === 'file' && o.idle === 'file' && o.max_maps === 'file', JSON.stringify(o));
	check('the schedule state follows the group\'s schedule', await attempt(() => pg.locator('.schedule-state .schedule-next').waitFor({ timeout: 3000 })));
	await shots(pg, 'console-group-saved-en');
}

// ---- back to the file's default
{
	await field('rate').getByLabel(en['group.use_default']).check();
	check('ticking "use the file\'s default" says when it applies', (await field('rate').innerText()).includes(en['group.default_after_save']));
	await save();
	await pg.waitForFunction(() => document.querySelector('[data-field="rate"] .origin')?.dataset.from === 'file', null, { timeout: 5000 }).catch(() => {});
	const p = showGroup('staff').policy;
	check('the rate goes back to the file\'s (null sent): 100Mbit/20Mbit from the file, the rest kept',
		p.rate.from === 'file' && p.rate.value === '100Mbit/20Mbit' && p.schedule.from === 'group' && p.isolate.value === true, JSON.stringify(p));
	check('and the page says so', (await origins()).rate === 'file');
	// Viewing the saved page from the keyboard: Tab reaches the schedule field.
	await pg.getByLabel(en['group.f.schedule'], { exact: true }).focus();
	await pg.keyboard.press('Tab');
	const next = await pg.evaluate(() => document.activeElement && (document.activeElement.getAttribute('aria-label') || document.activeElement.textContent));
	check('the keyboard moves from the schedule to its examples', next === T(en, 'group.use_example', { example: 'Mon-Fri 08:00-18:00' }), String(next));
	const u = await unlabelled(pg);
	check('every control of the group page has a label', !u.length, u);
}

// ---- the list sums it up
{
	await pg.goto(`${BASE}/admin/groups`);
	const row = pg.locator('.table tbody tr', { hasText: 'staff' });
	await row.waitFor();
	const rt = await row.innerText();
	check('the groups list shows staff\'s schedule, rate and the isolation badge', rt.includes('Mon-Fri 08:00-18:00')
		&& rt.includes('100') && rt.includes(en['group.badge_isolate']), rt);
}

// ---- a user's own rate
{
	await pg.goto(`${BASE}/admin/users/bob`);
	await pg.getByRole('button', { name: en['user.edit'] }).click();
	const d = pg.locator('dialog[open]');
	await d.getByLabel(new RegExp(`^${en['user.rate']}`)).fill('5Mbit/2Mbit');
	await d.locator('button[type=submit]').click();
	await d.waitFor({ state: 'detached' });
	await pg.waitForTimeout(300);
	check('a user\'s rate is set from its page (PATCH rate)', showUser('bob').rate === '5Mbit/2Mbit', JSON.stringify(showUser('bob').rate));
	check('and its details show it', (await pg.locator('.details').innerText()).includes('5 Mbit/s'));
	await shots(pg, 'console-user-rate-en');
	await pg.getByRole('button', { name: en['user.edit'] }).click();
	await d.getByLabel(new RegExp(`^${en['user.rate']}`)).fill('');
	await d.locator('button[type=submit]').click();
	await d.waitFor({ state: 'detached' });
	await pg.waitForTimeout(300);
	check('emptied, the user has the group\'s rate again (null)', showUser('bob').rate === null, JSON.stringify(showUser('bob').rate));
}
await checkClean('the console as an admin', pg, log, true);

// ---- both languages, both sizes
for (const lang of LANGS) {
	const c = cat[lang];
	const context = lang === 'en' ? adminCtx : await browser.newContext({ ...ctxOpts, locale: lang, timezoneId: 'Europe/Berlin' });
	const o = lang === 'en' ? { pg, log } : await open(context);
	if (lang !== 'en') {
		await o.pg.goto(`${BASE}/admin/`);
		await signIn(o.pg, c, 'root', NEW_PW, null, c['nav.dashboard']);
	}
	for (const [name, path, ready] of [['group', '/admin/groups/staff', '[data-field="max_maps"]'],
		['groups', '/admin/groups', '.table tbody tr'], ['status', '/admin/status', '.table tbody tr']]) {
		await o.pg.goto(`${BASE}${path}`);
		const loaded = await attempt(() => o.pg.locator(ready).first().waitFor({ timeout: 10000 }));
		await o.pg.waitForTimeout(200);
		const keys = await catalogKeys(o.pg);
		check(`${lang}: ${path} renders, no catalog key shows`, loaded && !keys.length, keys.slice(0, 5));
		if (lang === 'zh-CN') {
			const english = (await o.pg.locator('nav a, th, h1, h2, .button, label, legend, .badge, .hint').allInnerTexts()).map((x) => x.trim())
				.filter((x) => x && Object.keys(en).some((k) => en[k] === x && c[k] !== x));
			check(`zh-CN: ${path} has no English label left`, !english.length, english.slice(0, 8));
		}
		await shots(o.pg, `console-policy-${name}-${lang}`);
	}
	if (lang !== 'en') {
		await checkClean(`${lang}: the console's policy pages`, o.pg, o.log);
		await context.close();
	}
}

// ---- the portal: alice's destinations and access hours
for (const lang of LANGS) {
	const c = cat[lang];
	const context = await browser.newContext({ ...ctxOpts, locale: lang, timezoneId: 'Europe/Berlin' });
	const o = await open(context);
	await o.pg.goto(`${BASE}/`);
	await signIn(o.pg, c, 'alice', lang === 'en' ? process.env.P_ALICE : NEW_PW, lang === 'en' ? NEW_PW : null,
		T(c, 'account.hello', { name: 'alice' }));
	await shots(o.pg, `portal-policy-account-${lang}`);
	await o.pg.goto(`${BASE}/services`);
	const table = o.pg.locator('.resource-table');
	const loaded = await attempt(() => table.waitFor({ timeout: 10000 }));
	const rows = loaded ? await table.locator('tbody tr').allInnerTexts() : [];
	check(`${lang}: the portal's Services page lists alice's destinations with protocol and ports`, rows.length === 2
		&& rows[0].includes('10.0.0.0/8') && rows[0].includes(c['resources.everything'])
		&& rows[1].includes('10.1.2.3') && rows[1].includes(T(c, 'resources.proto_port', { proto: 'TCP', ports: '443' })), rows);
	const sched = await o.pg.locator('.schedule-card').innerText().catch(() => '');
	const isOpen = await o.pg.locator('.schedule-card').getAttribute('data-open').catch(() => null);
	check(`${lang}: and her access hours: open now or not, the next change, the schedule and the time zone`,
		sched.includes(isOpen === 'true' ? c['resources.open_now'] : c['resources.closed_now']) && sched.includes('Mon-Fri 08:00-18:00')
		&& sched.includes('Europe/Berlin') && /\d{2}:\d{2}/.test(sched.replace('08:00-18:00', '')), sched);
	const keys = await catalogKeys(o.pg);
	check(`${lang}: /services shows no catalog key`, !keys.length, keys);
	const u = await unlabelled(o.pg);
	check(`${lang}: every control of /services has a label`, !u.length, u);
	await shots(o.pg, `portal-policy-services-${lang}`);
	await checkClean(`${lang}: the portal`, o.pg, o.log);
	await context.close();
}

await adminCtx.close();
await browser.close();
process.exit(failures ? 1 : 0);
