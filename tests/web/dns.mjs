// The built-in resolver in the console and the portal, in Debian's Chromium against the
// portal at $URL (run by t_dns_web.sh inside the client's namespace). Prints one
// "ok - ..." or "not ok - ..." line per check; screenshots go to $SHOTS. Every query in
// the log is a real one: dig in alice's namespace ($TUN_NS) through her tunnel to $DNS.
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
const cat = Object.fromEntries(LANGS.map((l) => [l, JSON.parse(readFileSync(join(WEB, 'i18n', `${l}.json`), 'utf8'))]));
const en = cat.en;
const T = (c, k, vars = {}) => c[k].replace(/\{(\w+)\}/g, (m, v) => (v in vars ? String(vars[v]) : m));

// dig in alice's namespace, through her tunnel: the answer's status and its records.
function dig(name, type = 'A') {
	let out;
	try {
		out = execFileSync('ip', ['netns', 'exec', process.env.TUN_NS, 'dig', `@${process.env.DNS}`, '+tries=1', '+time=3',
		name, type], { encoding: 'utf8' });
	} catch (e) {
		out = String(e.stdout || '');
	}
	const status = (/status: ([A-Z]+)/.exec(out) || [])[1] || '';
	const answers = out.split('\n').filter((l) => l && !l.startsWith(';') && l.includes('\tIN\t'))
		.map((l) => l.split(/\s+/).pop());
	return { status, answers };
}
const blockedAnswer = (r) => r.status === 'NXDOMAIN' || r.answers.includes('0.0.0.0') || r.status === 'REFUSED';

// ---- the catalogs: the DNS keys in both, none empty
{
	const mine = (l) => Object.keys(cat[l]).filter((k) => /^dns\./.test(k) || k === 'nav.dns');
	const a = mine('en');
	const b = new Set(mine('zh-CN'));
	const diff = a.filter((k) => !b.has(k)).concat([...b].filter((k) => !a.includes(k)));
	const empty = a.filter((k) => !cat.en[k] || !cat['zh-CN'][k]);
	check(`the DNS keys are in both catalogs, none empty (${a.length})`, a.length > 100 && !diff.length && !empty.length, diff, empty);
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

// The refused requests this test makes on purpose are the only errors a page may log.
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

// Nothing wider than the window at phone width (a table scrolls inside its own box).
async function overflow(pg) {
	await pg.setViewportSize(SIZES[1]);
	await pg.waitForTimeout(200);
	const r = await pg.evaluate(() => {
		const w = document.documentElement.clientWidth;
		const wide = [...document.querySelectorAll('main *')].filter((el) => {
			const b = el.getBoundingClientRect();
			return b.width && b.right > w + 1 && !el.closest('.table-wrap');
		}).map((el) => `${el.tagName.toLowerCase()}.${el.className}`.slice(0, 80));
		return { scroll: document.documentElement.scrollWidth > w + 1, wide: wide.slice(0, 6) };
	});
	await pg.setViewportSize(SIZES[0]);
	return r;
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

const rows = (pg) => pg.locator('.table tbody tr:not(.table-message)');
const dialog = (pg) => pg.locator('dialog[open]');
async function tab(pg, key) {
	await pg.locator('nav.dns-tabs').getByRole('link', { name: en[key], exact: true }).click();
}

const ctxOpts = { viewport: SIZES[0] };
const adminCtx = await browser.newContext({ ...ctxOpts, locale: 'en', timezoneId: 'Europe/Berlin' });
const { pg, log } = await open(adminCtx);
await pg.goto(`${BASE}/admin/`);
await signIn(pg, en, 'root', process.env.P_ROOT, NEW_PW, en['nav.dashboard']);
ok('root signs in with its one-time password and changes it');

// ---- the navigation's DNS section
{
	const link = pg.locator('nav.nav').getByRole('link', { name: en['nav.dns'], exact: true });
	check('the navigation has a DNS entry', await link.count() === 1);
	await link.click();
	const shown = await attempt(() => pg.locator('h1', { hasText: en['dns.log_title'] }).waitFor());
	check('it opens the query log', shown);
	const tabs = await pg.locator('nav.dns-tabs a').allInnerTexts();
	check('the DNS pages are tabs under it: log, statistics, lists, rules, records',
		JSON.stringify(tabs.map((x) => x.trim())) === JSON.stringify(['dns.tab_log', 'dns.tab_stats', 'dns.tab_lists', 'dns.tab_rules', 'dns.tab_records'].map((k) => en[k])), tabs);
	check('the log\'s tab is the current page', await pg.locator('nav.dns-tabs a[aria-current="page"]').innerText() === en['dns.tab_log']);
	await tab(pg, 'dns.tab_records');
	check('a tab leads to its page and the DNS entry stays lit', await attempt(() => pg.locator('h1', { hasText: en['dns.records_title'] }).waitFor())
		&& await pg.locator('nav.nav a[aria-current="page"]').innerText().then((x) => x.trim()) === en['nav.dns']);
}

// ---- records: one added, refused field shown, dig answers it
{
	await pg.getByRole('button', { name: en['dns.record_add'] }).click();
	let d = dialog(pg);
	await d.getByLabel(en['dns.record_name'], { exact: true }).fill('nas.vpn.internal');
	await d.getByLabel(en['dns.value'], { exact: true }).fill('not-an-address');
	await d.locator('button[type=submit]').click();
	const err = d.locator('.field-error, .form-error');
	const shown = await attempt(() => err.first().waitFor({ timeout: 5000 }));
	const text = shown ? await err.first().innerText() : '';
	check('a value the server refuses is shown in the dialog, and nothing is added', shown && /IPv4|address/i.test(text), text);
	await shots(pg, 'console-dns-record-error-en');
	await d.getByLabel(en['dns.value'], { exact: true }).fill('10.9.0.50');
	await d.getByLabel(new RegExp(`^${en['dns.ttl']}`)).fill('300');
	await d.locator('button[type=submit]').click();
	await d.waitFor({ state: 'detached' });
	const row = rows(pg).filter({ hasText: '10.9.0.50' });
	check('the record nas A 10.9.0.50 is listed', await attempt(() => row.waitFor()), await rows(pg).allInnerTexts());
	await pg.waitForTimeout(300);
	const r = dig('nas.vpn.internal');
	check('dig through alice\'s tunnel gets nas.vpn.internal = 10.9.0.50', r.answers.includes('10.9.0.50'), JSON.stringify(r));
	await shots(pg, 'console-dns-records-en');
}

// ---- rules: block one name for every group
{
	await tab(pg, 'dns.tab_rules');
	await pg.locator('h1', { hasText: en['dns.rules_title'] }).waitFor();
	await pg.getByRole('button', { name: en['dns.rule_add'] }).click();
	const d = dialog(pg);
	await d.getByLabel(en['dns.pattern'], { exact: true }).fill('ads.example.org');
	await d.getByLabel(new RegExp(`^${en['dns.note']}`)).fill('no ads');
	await d.locator('button[type=submit]').click();
	await d.waitFor({ state: 'detached' });
	const row = rows(pg).filter({ hasText: 'ads.example.org' });
	check('the rule is listed: block, every group, its note', await attempt(() => row.waitFor())
		&& /no ads/.test(await row.innerText()) && (await row.innerText()).includes(en['dns.every_group']) && (await row.innerText()).includes(en['dns.block']));
	// one allowed for one group
	await pg.getByRole('button', { name: en['dns.rule_add'] }).click();
	await d.getByLabel(en['dns.pattern'], { exact: true }).fill('tracker.example');
	await d.getByLabel(en['dns.action'], { exact: true }).selectOption('allow');
	await d.getByLabel(en['dns.group'], { exact: true }).selectOption('default');
	await d.locator('button[type=submit]').click();
	await d.waitFor({ state: 'detached' });
	const row2 = rows(pg).filter({ hasText: 'tracker.example' });
	check('an allow rule for group default is listed with its group', await attempt(() => row2.waitFor())
		&& (await row2.innerText()).includes('default') && (await row2.innerText()).includes(en['dns.allow']));
	await pg.waitForTimeout(1000);
	const r = dig('ads.example.org');
	check('dig: ads.example.org is blocked with no upstream asked', blockedAnswer(r), JSON.stringify(r));
	await shots(pg, 'console-dns-rules-en');
}

// ---- a block list from a file on the server
{
	await tab(pg, 'dns.tab_lists');
	await pg.locator('h1', { hasText: en['dns.lists_title'] }).waitFor();
	await pg.getByRole('button', { name: en['dns.list_add'] }).click();
	const d = dialog(pg);
	await d.getByLabel(en['dns.list_name'], { exact: true }).fill('test');
	await d.getByLabel(en['dns.source'], { exact: true }).fill(process.env.LIST_FILE);
	await d.getByLabel('staff', { exact: true }).check();
	await d.locator('button[type=submit]').click();
	await d.waitFor({ state: 'detached' });
	const row = rows(pg).filter({ hasText: 'test' });
	await row.waitFor();
	// The fetch runs off the loop; the page shows its outcome when read again.
	let text = '';
	for (let i = 0; i < 20; i++) {
		text = await row.innerText();
		if (/\b2\b/.test(text) && text.includes(T(en, 'dns.bad_lines.one', { n: 1 }))) break;
		await pg.waitForTimeout(500);
		await pg.reload();
		await row.waitFor();
	}
	check('the list shows its 2 names, its 1 line not read, group staff, on, and when it was fetched',
		/\b2\b/.test(text) && text.includes(T(en, 'dns.bad_lines.one', { n: 1 })) && text.includes('staff') && text.includes(en['dns.on'])
		&& !text.includes(en['dns.not_fetched']), text);
	const r = dig('ads.example.net');
	check('dig: ads.example.net (an adblock line of the list) is blocked for alice, in staff', blockedAnswer(r), JSON.stringify(r));
	const r2 = dig('tracker.example');
	check('dig: tracker.example is blocked for alice (the allow rule is for group default)', blockedAnswer(r2), JSON.stringify(r2));
	await shots(pg, 'console-dns-lists-en');
	await row.getByRole('button', { name: T(en, 'dns.disable_named', { name: 'test' }) }).click();
	check('Turn off: the list reads off', await attempt(() => pg.waitForFunction((t) => [...document.querySelectorAll('.table tbody tr')]
		.some((tr) => tr.textContent.includes(t)), en['dns.off'], { timeout: 5000 })));
	await pg.waitForTimeout(1500);
	const r3 = dig('ads.example.net');
	check('dig: with the list off ads.example.net is no longer blocked', !blockedAnswer(r3) || r3.status === 'SERVFAIL', JSON.stringify(r3));
	await row.getByRole('button', { name: T(en, 'dns.enable_named', { name: 'test' }) }).click();
	check('Turn on: the list reads on again', await attempt(() => row.getByRole('button', { name: T(en, 'dns.disable_named', { name: 'test' }) }).waitFor({ timeout: 5000 })));
	await row.getByRole('button', { name: T(en, 'dns.refresh_named', { name: 'test' }) }).click();
	check('Fetch now says the list is being fetched', await attempt(() => pg.locator('.toast', { hasText: T(en, 'dns.list_refreshing', { name: 'test' }) }).waitFor({ timeout: 5000 })));
	await pg.waitForTimeout(1500);
}

// ---- queries for the log: 60 NXDOMAIN names, her own name, AAAA, blocked ones
{
	for (let i = 0; i < 60; i++) dig(`host${String(i).padStart(2, '0')}.alice.vpn.internal`);
	dig('alice.alice.vpn.internal');
	dig('alice.alice.vpn.internal', 'AAAA');
	dig('tracker.example');
	dig('ads.example.org');
	ok('alice sends 64 queries more through her tunnel');
}

// ---- the query log
{
	await tab(pg, 'dns.tab_log');
	await pg.locator('h1', { hasText: en['dns.log_title'] }).waitFor();
	let n = 0;
	for (let i = 0; i < 20; i++) {
		await rows(pg).first().waitFor({ timeout: 5000 }).catch(() => {});
		n = await rows(pg).count();
		if (n === 50 && (await rows(pg).first().innerText()).includes('ads.example.org')) break;
		await pg.waitForTimeout(500);
		await pg.reload();
	}
	check('the log shows its first 50 rows', n === 50, String(n));
	const first = await rows(pg).first().innerText();
	check('newest first: the latest query (ads.example.org, blocked, alice) heads the list',
		first.includes('ads.example.org') && first.includes(en['dns.blocked']) && first.includes('alice'), first);
	await pg.getByRole('button', { name: en['table.next'] }).click();
	await pg.waitForTimeout(500);
	const page2 = await rows(pg).allInnerTexts();
	check('Next shows the older rows', page2.length > 0 && !page2.some((x) => x.includes('ads.example.org') && x === first), page2.length);
	await pg.getByRole('button', { name: en['table.previous'] }).click();
	await shots(pg, 'console-dns-log-en');

	const search = pg.getByLabel(en['dns.search'], { exact: true });
	await search.fill('tracker.example');
	await pg.waitForTimeout(900);
	let t = await rows(pg).allInnerTexts();
	check('searching for a domain narrows the log to it; its row says blocked by list test',
		t.length >= 1 && t.every((x) => x.includes('tracker.example')) && t[0].includes(en['dns.blocked']) && t[0].includes('test'), t);
	await search.fill('');
	await pg.getByLabel(en['dns.result_filter'], { exact: true }).selectOption('blocked');
	await pg.waitForTimeout(900);
	t = await rows(pg).allInnerTexts();
	check('"blocked" shows only blocked queries', t.length >= 3 && t.every((x) => x.includes(en['dns.blocked'])), t);
	await pg.getByLabel(en['dns.result_filter'], { exact: true }).selectOption('');
	await pg.getByLabel(en['dns.type_filter'], { exact: true }).selectOption('AAAA');
	await pg.waitForTimeout(900);
	t = await rows(pg).allInnerTexts();
	check('the AAAA filter shows the AAAA query only', t.length === 1 && t[0].includes('AAAA'), t);
	await pg.getByLabel(en['dns.type_filter'], { exact: true }).selectOption('');
	await pg.getByLabel(en['dns.rcode_filter'], { exact: true }).selectOption('NXDOMAIN');
	await pg.waitForTimeout(900);
	t = await rows(pg).allInnerTexts();
	check('the NXDOMAIN filter shows NXDOMAIN answers only', t.length >= 10 && t.every((x) => x.includes('NXDOMAIN') || x.includes(en['dns.blocked'])), t.slice(0, 3));
	await pg.getByLabel(en['dns.rcode_filter'], { exact: true }).selectOption('');
	await pg.getByLabel(en['dns.user_filter'], { exact: true }).fill('bob');
	await pg.waitForTimeout(900);
	check('bob asked nothing: his log is empty', await rows(pg).count() === 0
		&& (await pg.locator('.table-message').innerText()).includes(en['table.no_match']));
	await pg.getByLabel(en['dns.user_filter'], { exact: true }).fill('alice');
	await pg.waitForTimeout(900);
	check('alice\'s log has her queries', await rows(pg).count() === 50);
	await pg.getByLabel(en['dns.user_filter'], { exact: true }).fill('');
	// A time range that ends before the queries holds none.
	await pg.getByLabel(en['dns.until'], { exact: true }).fill('2020-01-01T00:00');
	await pg.waitForTimeout(900);
	check('a time range before the queries shows none', await rows(pg).count() === 0);
	await pg.getByLabel(en['dns.until'], { exact: true }).fill('');
	await pg.waitForTimeout(900);
	// Keyboard: the filters are reached with Tab, in order.
	await pg.getByLabel(en['dns.search'], { exact: true }).focus();
	await pg.keyboard.press('Tab');
	const next = await pg.evaluate(() => document.activeElement && document.activeElement.getAttribute('aria-label'));
	check('Tab moves from the domain search to the user filter', next === en['dns.user_filter'], String(next));
	const u = await unlabelled(pg);
	check('every control of the log has a label', !u.length, u);
	const o = await overflow(pg);
	check('the log does not overflow a phone\'s width', !o.scroll, o.wide);
}

// ---- statistics
{
	await tab(pg, 'dns.tab_stats');
	await pg.locator('h1', { hasText: en['dns.stats_title'] }).waitFor();
	await pg.locator('.stat-value').first().waitFor();
	await pg.waitForFunction(() => !document.querySelector('.stat-value .skeleton'), null, { timeout: 5000 }).catch(() => {});
	const figures = [];
	const num = (s) => parseInt(String(s || '').split('\n')[1]?.replace(/[^\d]/g, '') || 'NaN', 10);
	// The statistics are the log's hourly roll-ups, which its writer brings up to date every
	// few seconds: wait for them to count what was asked, then show the page again.
	for (let i = 0; i < 40; i++) {
		const n = await pg.evaluate(async () => (await (await fetch('/api/v1/dns/stats')).json()).queries);
		if (n >= 66) break;
		await pg.waitForTimeout(500);
	}
	await pg.reload();
	await pg.locator('.stat-value').first().waitFor();
	await pg.waitForFunction(() => !document.querySelector('.stat-value .skeleton'), null, { timeout: 5000 }).catch(() => {});
	figures.splice(0, figures.length, ...await pg.locator('.cards .stat').allInnerTexts());
	const api = await pg.evaluate(async () => (await fetch('/api/v1/dns/stats')).json());
	const st = await pg.locator('.section', { has: pg.locator('#dns-status-title') }).innerText().catch(() => '');
	check('the resolver\'s counters now: running, queries, cache, filter, log', st.includes(en['dns.running']) && st.includes(en['dns.st_filter'])
		&& st.includes(en['dns.st_log']), st);
	check('the figures are the server\'s: queries, blocked, NXDOMAIN, SERVFAIL', num(figures[0]) === api.queries && num(figures[1]) === api.blocked
		&& num(figures[2]) === api.nxdomain && num(figures[3]) === api.servfail, figures, JSON.stringify(api));
	const topBlocked = () => pg.locator('.panel', { has: pg.locator('#dns-top-blocked') }).innerText();
	const topUsers = () => pg.locator('.panel', { has: pg.locator('#dns-top-users') }).innerText();
	{
		check('the statistics count the queries of the last 24 hours (>= 66)', api.queries >= 66, figures);
		check('and the blocked ones with their share', /%/.test(figures[1] || '') && api.blocked >= 3, figures[1]);
		const b = await topBlocked();
		check('the most blocked names list tracker.example and ads.example.org', b.includes('tracker.example') && b.includes('ads.example.org'), b);
		check('the users asking most: alice', (await topUsers()).includes('alice'));
	}
	await shots(pg, 'console-dns-stats-en');
	await pg.getByRole('button', { name: en['dns.last_7d'] }).click();
	check('7 days: the period switch is pressed', await attempt(() => pg.locator('.segmented button[aria-pressed="true"]', { hasText: en['dns.last_7d'] }).waitFor({ timeout: 3000 })));
	await pg.waitForTimeout(500);
	const f7 = await pg.locator('.cards .stat').first().innerText();
	check('over 7 days at least as many queries', num(f7) >= (api.queries || 0), f7);
	if (api.queries) {
		await pg.locator('.panel', { has: pg.locator('#dns-top-users') }).getByRole('link', { name: 'alice' }).click();
		check('a top user leads to the log narrowed to that user',
			await attempt(() => pg.locator('h1', { hasText: en['dns.log_title'] }).waitFor())
			&& await pg.getByLabel(en['dns.user_filter'], { exact: true }).inputValue() === 'alice');
	}
	// The log's link for a user, as the top list makes it.
	await pg.goto(`${BASE}/admin/dns?user=alice&result=blocked`);
	await rows(pg).first().waitFor().catch(() => {});
	const t = await rows(pg).allInnerTexts();
	check('a link /admin/dns?user=alice&result=blocked opens the log so narrowed', t.length >= 3 && t.every((x) => x.includes(en['dns.blocked']))
		&& await pg.getByLabel(en['dns.user_filter'], { exact: true }).inputValue() === 'alice', t.length);
	await pg.goto(`${BASE}/admin/dns/stats`);
	const o = await overflow(pg);
	check('the statistics do not overflow a phone\'s width', !o.scroll, o.wide);
}

// ---- a viewer
{
	const ctx = await browser.newContext({ ...ctxOpts, locale: 'en', timezoneId: 'Europe/Berlin' });
	const v = await open(ctx);
	await v.pg.goto(`${BASE}/admin/`);
	await signIn(v.pg, en, 'eve', process.env.P_EVE, NEW_PW, en['nav.dashboard']);
	let none = true;
	for (const [path, add] of [['/admin/dns/records', 'dns.record_add'], ['/admin/dns/rules', 'dns.rule_add'], ['/admin/dns/lists', 'dns.list_add']]) {
		await v.pg.goto(`${BASE}${path}`);
		await rows(v.pg).first().waitFor().catch(() => {});
		if (await v.pg.getByRole('button', { name: en[add] }).count() || await v.pg.getByRole('button', { name: en['dns.delete'] }).count()) none = false;
	}
	check('a viewer reads records, rules and lists with no add or delete control', none);
	const r = await v.pg.evaluate(async () => (await fetch('/api/v1/dns/records', { method: 'POST', headers: { 'Content-Type': 'application/json',
		'X-CSRF-Token': JSON.parse(localStorage.getItem('warren.session') || '{}').csrf || '' }, body: '{"name":"x","type":"A","value":"10.9.0.9"}' })).status);
	check('and the server refuses its change (403)', r === 403, String(r));
	await ctx.close();
}

// ---- the portal: alice's names, counts and latest queries
for (const lang of LANGS) {
	const c = cat[lang];
	const context = await browser.newContext({ ...ctxOpts, locale: lang, timezoneId: 'Europe/Berlin' });
	await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
	const o = await open(context);
	await o.pg.goto(`${BASE}/`);
	await signIn(o.pg, c, 'alice', lang === 'en' ? process.env.P_ALICE : NEW_PW, lang === 'en' ? NEW_PW : null,
		T(c, 'account.hello', { name: 'alice' }));
	await o.pg.goto(`${BASE}/devices`);
	const card = o.pg.locator('.dns-card');
	const shown = await attempt(() => card.waitFor({ timeout: 10000 }));
	const text = shown ? await card.innerText() : '';
	check(`${lang}: the portal's devices page has the DNS card with alice.alice.vpn.internal`, text.includes('alice.alice.vpn.internal'), text);
	const nq = parseInt(await card.locator('.dns-queries').innerText().catch(() => '0').then((x) => x.replace(/[^\d]/g, '')), 10);
	const nb = parseInt(await card.locator('.dns-blocked').innerText().catch(() => '0').then((x) => x.replace(/[^\d]/g, '')), 10);
	const recent = await o.pg.locator('.dns-recent li').allInnerTexts();
	check(`${lang}: her queries (${nq}) and blocked (${nb}) over 24 hours`, nq >= 66 && nb >= 3);
	check(`${lang}: her latest queries, the newest first (ads.example.org, blocked)`, recent.length > 0 && recent[0].includes('ads.example.org')
		&& recent[0].includes(c['dns.blocked']), recent.slice(0, 3));
	await card.getByRole('button', { name: T(c, 'dns.copy_name', { name: 'alice.alice.vpn.internal' }) }).click();
	const clip = await o.pg.evaluate(() => navigator.clipboard.readText()).catch((e) => `(${e.message})`);
	check(`${lang}: the copy button puts the name on the clipboard`, clip === 'alice.alice.vpn.internal', clip);
	const keys = await catalogKeys(o.pg);
	check(`${lang}: the devices page shows no catalog key`, !keys.length, keys);
	const u = await unlabelled(o.pg);
	check(`${lang}: every control of the devices page has a label`, !u.length, u);
	const ov = await overflow(o.pg);
	check(`${lang}: the DNS card does not overflow a phone's width`, !ov.scroll, ov.wide);
	await card.scrollIntoViewIfNeeded();
	await shots(o.pg, `portal-dns-${lang}`);
	await checkClean(`${lang}: the portal`, o.pg, o.log);
	await context.close();
}

// ---- both languages, both sizes
for (const lang of LANGS) {
	const c = cat[lang];
	const context = lang === 'en' ? adminCtx : await browser.newContext({ ...ctxOpts, locale: lang, timezoneId: 'Europe/Berlin' });
	const o = lang === 'en' ? { pg, log } : await open(context);
	if (lang !== 'en') {
		await o.pg.goto(`${BASE}/admin/`);
		await signIn(o.pg, c, 'root', NEW_PW, null, c['nav.dashboard']);
	}
	for (const [name, path, ready] of [['log', '/admin/dns', '.table tbody tr:not(.table-message)'], ['stats', '/admin/dns/stats', '.panel .toplist li, .panel p.muted'],
		['lists', '/admin/dns/lists', '.table tbody tr:not(.table-message)'], ['rules', '/admin/dns/rules', '.table tbody tr:not(.table-message)'],
		['records', '/admin/dns/records', '.table tbody tr:not(.table-message)']]) {
		await o.pg.goto(`${BASE}${path}`);
		const loaded = await attempt(() => o.pg.locator(ready).first().waitFor({ timeout: 10000 }));
		await o.pg.waitForTimeout(300);
		const keys = await catalogKeys(o.pg);
		check(`${lang}: ${path} renders, no catalog key shows`, loaded && !keys.length, keys.slice(0, 5));
		if (lang === 'zh-CN') {
			const english = (await o.pg.locator('nav a, th, h1, h2, .button, label, legend, .badge, .hint').allInnerTexts()).map((x) => x.trim())
				.filter((x) => x && Object.keys(en).some((k) => en[k] === x && c[k] !== x));
			check(`zh-CN: ${path} has no English label left`, !english.length, english.slice(0, 8));
		}
		const u = await unlabelled(o.pg);
		check(`${lang}: every control of ${path} has a label`, !u.length, u);
		const ov = await overflow(o.pg);
		check(`${lang}: ${path} does not overflow a phone's width`, !ov.scroll, ov.wide);
		await shots(o.pg, `console-dns-${name}-${lang}`);
	}
	if (lang !== 'en') {
		await checkClean(`${lang}: the console's DNS pages`, o.pg, o.log);
		await context.close();
	}
}

// ---- what root made, deleted again
{
	await pg.goto(`${BASE}/admin/dns/records`);
	const row = rows(pg).filter({ hasText: 'nas' });
	await row.waitFor();
	await row.getByRole('button', { name: T(en, 'dns.record_delete_title', { name: 'nas.vpn.internal', type: 'A' }) }).click();
	await dialog(pg).getByRole('button', { name: en['dns.delete'], exact: true }).click();
	check('the record is deleted', await attempt(() => row.waitFor({ state: 'detached', timeout: 5000 })));
	await pg.waitForTimeout(300);
	const r = dig('nas.vpn.internal');
	check('dig: nas.vpn.internal is gone (NXDOMAIN)', r.status === 'NXDOMAIN', JSON.stringify(r));
	await pg.goto(`${BASE}/admin/dns/rules`);
	for (const p of ['ads.example.org', 'tracker.example']) {
		const rr = rows(pg).filter({ hasText: p });
		await rr.waitFor();
		await rr.getByRole('button', { name: T(en, 'dns.rule_delete_title', { pattern: p }) }).click();
		await dialog(pg).getByRole('button', { name: en['dns.delete'], exact: true }).click();
		check(`the rule for ${p} is deleted`, await attempt(() => rr.waitFor({ state: 'detached', timeout: 5000 })));
	}
	await pg.goto(`${BASE}/admin/dns/lists`);
	const lr = rows(pg).filter({ hasText: 'test' });
	await lr.waitFor();
	await lr.getByRole('button', { name: T(en, 'dns.list_delete_title', { name: 'test' }) }).click();
	await shots(pg, 'console-dns-list-delete-en');
	await dialog(pg).getByRole('button', { name: en['dns.delete'], exact: true }).click();
	check('the list is deleted; the lists page is empty again', await attempt(() => pg.locator('.table-message', { hasText: en['dns.lists_empty'] }).waitFor({ timeout: 5000 })));
	await pg.waitForTimeout(1500);
	const r2 = dig('ads.example.org');
	check('dig: ads.example.org is no longer blocked', !blockedAnswer(r2) || r2.status === 'SERVFAIL', JSON.stringify(r2));
}
await checkClean('the console as an admin', pg, log, true);

await adminCtx.close();
await browser.close();
process.exit(failures ? 1 : 0);
