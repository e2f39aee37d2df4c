// The console's announcements, services and vouchers pages in Debian's Chromium, against
// the portal at $URL (run by t_console13.sh inside the client's namespace). Prints one
// "ok - ..." or "not ok - ..." line per check; screenshots go to $SHOTS.
//
// An admin publishes an announcement (its preview shows what the portal will), edits it;
// adds a service offered to two groups; makes a batch of 5 vouchers: the codes shown
// once have the codes' shape, Copy puts them on the clipboard, the CSV made in the
// browser has 5 rows, the printed sheet has 5 cards whose QR codes (the printed page
// screenshotted, zbarimg) decode to the codes' portal links; a code redeemed at the API
// shows on the batch's page; the batch is revoked and its codes no longer redeem. A viewer
// reads every page without a change control. Every page in English and Chinese at both
// sizes: no catalog key or English label left, every control labelled, no console error,
// no CSP violation.
import { chromium, request } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

const BASE = process.env.URL;
const WEB = process.env.WEB;
const SHOTS = process.env.SHOTS;
const WORK = process.env.WORK;
const LANGS = ['en', 'zh-CN'];
const SIZES = [{ width: 1280, height: 800 }, { width: 390, height: 844 }];
const NEW_PW = 'correct horse battery';
// Crockford's base32 (no I, L, O, U), the last symbol a mod-37 check that may be * ~ $ = U.
const CODE = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}-[0-9A-HJKMNP-TV-Z]{3}[0-9A-HJKMNP-TV-Z*~$=U]$/;

let failures = 0;
const ok = (d) => console.log(`ok - ${d}`);
function notOk(d, ...detail) {
	failures++;
	console.log(`not ok - ${d}`);
	for (const l of detail.flat().slice(0, 20)) console.log(`#   ${l}`);
}
const check = (d, cond, ...detail) => (cond ? ok(d) : notOk(d, ...detail));
const sh = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
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

// ---- the catalogs: the new keys in both, none empty
{
	const mine = (l) => Object.keys(cat[l]).filter((k) => /^(announcements|services|vouchers)\./.test(k));
	const a = mine('en');
	const b = new Set(mine('zh-CN'));
	const diff = a.filter((k) => !b.has(k)).concat([...b].filter((k) => !a.includes(k)));
	check(`the announcements, services and vouchers keys are in both catalogs (${a.length})`, a.length > 100 && !diff.length, diff);
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
		window.__printed = 0;
		document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
		// Headless Chromium has no print dialog; the sheet is looked at in print media instead.
		window.print = () => { window.__printed++; };
	});
	return { pg, log };
}

// A refused request the test makes on purpose is the one error a page may log.
async function checkClean(label, pg, log, allowApi = false) {
	const csp = await pg.evaluate(() => window.__csp);
	const cspConsole = log.console.filter((m) => /Content Security Policy/i.test(m.text));
	check(`${label}: no CSP violation`, !csp.length && !cspConsole.length, csp, cspConsole.map((m) => m.text));
	const c = log.console.filter((m) => !(allowApi && /^Failed to load resource/.test(m.text) && m.url.includes('/api/v1/')))
		.map((m) => `${m.type}: ${m.text} (${m.url})`).concat(log.errors.map((e) => `page error: ${e}`));
	check(`${label}: no console error`, !c.length, c);
}

async function shot(pg, name, size) {
	await pg.setViewportSize(size);
	await pg.waitForTimeout(200);
	await pg.screenshot({ path: join(SHOTS, `${name}-${size.width}.png`), scale: 'css' });
}
async function shots(pg, name) {
	for (const size of SIZES) await shot(pg, name, size);
	await pg.setViewportSize(SIZES[0]);
}

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
	await pg.locator('h1', { hasText: c['nav.dashboard'] }).waitFor({ timeout: 15000 });
}

const dialog = (pg) => pg.locator('dialog[open]');
// Twice the pixels, so the printed sheet's QR codes are sharp in a screenshot; the page
// screenshots themselves are taken at CSS size.
const ctxOpts = { viewport: SIZES[0], acceptDownloads: true, deviceScaleFactor: 2 };
const adminCtx = await browser.newContext({ ...ctxOpts, locale: 'en', timezoneId: 'Asia/Shanghai' });
await adminCtx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
const { pg, log } = await open(adminCtx);
await pg.goto(`${BASE}/admin/`);
await signIn(pg, en, 'root', process.env.P_ROOT, NEW_PW);
ok('root signs in with its one-time password and changes it');
const rq = await request.newContext({ ignoreHTTPSErrors: true, storageState: await adminCtx.storageState() });
const apiGet = async (p) => {
	return (await rq.get(`${BASE}/api/v1${p}`)).json();
};


// ---- the navigation has the three pages, with icons
{
	const links = await pg.locator('nav .nav-link').allInnerTexts();
	const want = [en['announcements.title'], en['services.catalog_title'], en['vouchers.title']];
	const icons = await pg.locator('nav .nav-link', { hasText: en['vouchers.title'] }).locator('svg.icon').count();
	check('the navigation lists Announcements, Services and Vouchers, each with its icon',
		want.every((w) => links.map((l) => l.trim()).includes(w)) && icons === 1, links);
}

// ---- announcements
{
	await pg.goto(`${BASE}/admin/announcements`);
	await pg.locator('.table-message, .table tbody tr').first().waitFor();
	await shots(pg, 'console-announcements-empty-en');
	await pg.getByRole('button', { name: en['announcements.add'] }).click();
	await dialog(pg).waitFor();
	await dialog(pg).getByRole('button', { name: en['announcements.publish'] }).click();
	check('publishing without a title or text names both fields', await attempt(() => dialog(pg).locator('.field-error', { hasText: en['announcements.need_title'] }).waitFor({ timeout: 3000 }))
		&& await dialog(pg).locator('.field-error', { hasText: en['announcements.need_text'] }).count() === 1);
	await dialog(pg).getByLabel(en['announcements.title_field'], { exact: true }).fill('Maintenance on Saturday');
	await dialog(pg).getByLabel(en['announcements.text'], { exact: true }).fill('The gateway restarts at 02:00.\nExpect two minutes without the tunnel.');
	await dialog(pg).getByLabel(en['announcements.audience'], { exact: true }).selectOption('staff');
	await dialog(pg).getByLabel(en['announcements.pin_field']).check();
	await dialog(pg).getByLabel(en['announcements.until_date'], { exact: true }).fill('2031-06-30');
	const preview = await dialog(pg).locator('.announce-preview').innerText();
	check('the preview shows the title, the text with its line break, the pin and the audience as the portal will',
		preview.includes('Maintenance on Saturday') && preview.includes('02:00.\nExpect') && preview.includes(en['announcements.pinned'])
		&& preview.includes(T(en, 'announcements.preview_for_group', { group: 'staff' })), preview);
	await shots(pg, 'console-announcement-edit-en');
	await dialog(pg).getByRole('button', { name: en['announcements.publish'] }).click();
	await dialog(pg).waitFor({ state: 'detached' });
	const row = pg.locator('.table tbody tr', { hasText: 'Maintenance on Saturday' });
	await row.waitFor();
	const rowText = await row.innerText();
	check('the list shows it with its audience, the end of its day, and 0 reads',
		rowText.includes('staff') && rowText.includes('Jun 30, 2031') && /\b0\b/.test(rowText) && await row.locator('.announce-pin').count() === 1, rowText);
	const list = await apiGet('/announcements');
	const a = list.announcements.find((x) => x.title === 'Maintenance on Saturday');
	check('the server has it: group staff, pinned, until the end of 30 June 2031 in the browser\'s zone (UTC+8)',
		a && a.group === 'staff' && a.pinned === true && a.until === Date.UTC(2031, 6, 1) / 1000 - 8 * 3600 && a.text.includes('\n'), JSON.stringify(a));
	// Edit: to everyone, no end.
	await row.getByRole('button', { name: T(en, 'announcements.edit_named', { title: 'Maintenance on Saturday' }) }).first().click();
	await dialog(pg).waitFor();
	await dialog(pg).getByLabel(en['announcements.audience'], { exact: true }).selectOption('');
	await dialog(pg).getByLabel(en['announcements.until_date'], { exact: true }).fill('');
	await dialog(pg).locator('button[type=submit]').click();
	await dialog(pg).waitFor({ state: 'detached' });
	await pg.locator('.table tbody tr', { hasText: en['announcements.everyone'] }).waitFor();
	const a2 = (await apiGet('/announcements')).announcements.find((x) => x.id === a.id);
	check('Edit sends the audience and the end as cleared (group and until null)', a2 && a2.group === null && a2.until === null, JSON.stringify(a2));
	// A second one, to delete.
	await pg.getByRole('button', { name: en['announcements.add'] }).click();
	await dialog(pg).getByLabel(en['announcements.title_field'], { exact: true }).fill('Old news');
	await dialog(pg).getByLabel(en['announcements.text'], { exact: true }).fill('Gone soon.');
	await dialog(pg).locator('button[type=submit]').click();
	await pg.locator('.table tbody tr', { hasText: 'Old news' }).waitFor();
	await pg.getByRole('button', { name: T(en, 'announcements.delete_named', { title: 'Old news' }) }).click();
	await dialog(pg).getByRole('button', { name: en['announcements.delete'] }).click();
	await pg.locator('.table tbody tr', { hasText: 'Old news' }).waitFor({ state: 'detached' });
	check('an announcement is deleted after its confirmation',
		!(await apiGet('/announcements')).announcements.some((x) => x.title === 'Old news'));
}

// ---- services
{
	await pg.goto(`${BASE}/admin/services`);
	await pg.locator('.table-message, .table tbody tr').first().waitFor();
	await pg.getByRole('button', { name: en['services.add'] }).click();
	await dialog(pg).waitFor();
	await dialog(pg).getByLabel(en['services.name'], { exact: true }).fill('wiki');
	await dialog(pg).getByLabel(en['services.address'], { exact: true }).fill('https://wiki.internal/');
	await dialog(pg).getByLabel(/^Description/).fill('The team\'s notes and how-tos.');
	await dialog(pg).getByLabel('staff', { exact: true }).check();
	await dialog(pg).getByLabel('contractors', { exact: true }).check();
	check('ticking groups says who sees it', (await dialog(pg).locator('fieldset .hint').innerText()).includes(T(en, 'services.groups_hint_some', { n: 2 })));
	await shots(pg, 'console-service-edit-en');
	await dialog(pg).locator('button[type=submit]').click();
	await dialog(pg).waitFor({ state: 'detached' });
	const row = pg.locator('.table tbody tr', { hasText: 'wiki' });
	await row.waitFor();
	const s = (await apiGet('/services')).services.find((x) => x.name === 'wiki');
	check('Add service makes it on the server for the two groups', s && s.address === 'https://wiki.internal/'
		&& JSON.stringify([...s.groups].sort()) === '["contractors","staff"]', JSON.stringify(s));
	check('and its row shows the address as a link and both groups', await row.locator('a[href="https://wiki.internal/"]').count() === 1
		&& await row.locator('.chip').count() === 2);
	await pg.getByRole('button', { name: en['services.add'] }).click();
	await dialog(pg).getByLabel(en['services.name'], { exact: true }).fill('rdp');
	await dialog(pg).getByLabel(en['services.address'], { exact: true }).fill('10.0.0.5:3389');
	await dialog(pg).locator('button[type=submit]').click();
	await pg.locator('.table tbody tr', { hasText: '10.0.0.5:3389' }).waitFor();
	check('a service with no group ticked reads "Every group"', (await pg.locator('.table tbody tr', { hasText: 'rdp' }).innerText()).includes(en['services.every_group']));
	await pg.getByRole('button', { name: T(en, 'services.edit_title', { name: 'wiki' }) }).click();
	await dialog(pg).getByLabel('contractors', { exact: true }).uncheck();
	await dialog(pg).locator('button[type=submit]').click();
	await dialog(pg).waitFor({ state: 'detached' });
	await pg.waitForTimeout(300);
	const s2 = (await apiGet('/services')).services.find((x) => x.name === 'wiki');
	check('Edit changes its groups', s2 && JSON.stringify(s2.groups) === '["staff"]', JSON.stringify(s2));
	await pg.getByRole('button', { name: T(en, 'services.delete_title', { name: 'rdp' }) }).click();
	await dialog(pg).getByRole('button', { name: en['services.delete'] }).click();
	await pg.locator('.table tbody tr', { hasText: '10.0.0.5:3389' }).waitFor({ state: 'detached' });
	ok('a service is deleted after its confirmation');
	await shots(pg, 'console-services-en');
}

// ---- vouchers: a batch of 5, its codes once
let codes = [];
const BATCH = 'spring-2031';
{
	await pg.goto(`${BASE}/admin/vouchers`);
	await pg.locator('.table-message, .table tbody tr').first().waitFor();
	await pg.getByRole('button', { name: en['vouchers.add'] }).click();
	await dialog(pg).waitFor();
	await dialog(pg).getByLabel(en['vouchers.count'], { exact: true }).fill('5');
	await dialog(pg).getByLabel(/^Time/).fill('30d');
	await dialog(pg).getByLabel(/^Traffic/).fill('10GiB');
	await dialog(pg).getByLabel(en['vouchers.quota_monthly']).check();
	await dialog(pg).getByLabel(en['vouchers.group'], { exact: true }).selectOption('branch');
	await dialog(pg).getByLabel(/^Redeemable until/).fill('2031-12-31');
	await dialog(pg).getByLabel(/^Batch name/).fill(BATCH);
	await shots(pg, 'console-voucher-add-en');
	await dialog(pg).locator('button[type=submit]').click();
	const list = dialog(pg).locator('.code-list li');
	await list.first().waitFor({ timeout: 10000 });
	codes = (await dialog(pg).locator('.code-list .voucher-code-line').allInnerTexts()).map((c) => c.trim());
	check('the batch\'s 5 codes are shown, each of the shape XXXX-XXXX-XXXX-XXXX-XXXX, all different',
		codes.length === 5 && codes.every((c) => CODE.test(c)) && new Set(codes).size === 5, codes);
	const text = await dialog(pg).innerText();
	check('the dialog says they are shown only now, and what each gives',
		text.includes(T(en, 'vouchers.once.other', { n: 5 })) && text.includes('30 days') && text.includes('10 GiB a month') && text.includes(BATCH), text.slice(0, 400));
	await shots(pg, 'console-voucher-codes-en');

	await dialog(pg).getByRole('button', { name: en['vouchers.copy'] }).click();
	await dialog(pg).getByRole('button', { name: en['vouchers.copied'] }).waitFor({ timeout: 5000 }).catch(() => {});
	const clip = await pg.evaluate(() => navigator.clipboard.readText()).catch((e) => `(${e.message})`);
	check('Copy all puts the 5 codes on the clipboard, one a line', clip.trim().split('\n').join(',') === codes.join(','), clip);

	const [dl] = await Promise.all([pg.waitForEvent('download'), dialog(pg).getByRole('button', { name: en['vouchers.csv'] }).click()]);
	const csvPath = join(WORK, 'dl', dl.suggestedFilename());
	await dl.saveAs(csvPath);
	const csv = readFileSync(csvPath, 'utf8').trim().split(/\r?\n/);
	const rowsOf = csv.slice(1).map((l) => l.split(','));
	check(`the CSV made in the browser (${dl.suggestedFilename()}) has a header and 5 rows, the codes with their portal links`,
		csv[0].startsWith('code,batch,') && rowsOf.length === 5 && rowsOf.every((r, i) => r[0] === codes[i] && r[1] === BATCH
			&& r[2] === '30d' && r[3] === '10GiB/month' && r[4] === 'branch' && r[6] === `${BASE}/redeem#code=${encodeURIComponent(codes[i])}`), csv);

	await dialog(pg).getByRole('button', { name: en['vouchers.print'] }).click();
	await pg.locator('.print-sheet .voucher-card').nth(4).waitFor({ state: 'attached', timeout: 10000 });
	await pg.waitForFunction(() => window.__printed > 0, null, { timeout: 5000 }).catch(() => {});
	check('Print sheet puts 5 cards on the page and opens the print dialog', await pg.locator('.print-sheet .voucher-card').count() === 5
		&& await pg.evaluate(() => window.__printed) === 1);
	check('the sheet is hidden on screen', !(await pg.locator('.print-sheet').isVisible()));
	await pg.emulateMedia({ media: 'print' });
	// The printable width of an A4 page with the sheet's 10 mm margins, at 96 px an inch.
	await pg.setViewportSize({ width: Math.round((190 / 25.4) * 96), height: 1000 });
	const sheet = pg.locator('.print-sheet');
	check('printed, only the sheet shows: no navigation, no header, no dialog',
		await sheet.isVisible() && !(await pg.locator('.sidebar').isVisible()) && !(await pg.locator('.topbar').isVisible()) && !(await dialog(pg).isVisible()));
	await pg.screenshot({ path: join(WORK, 'sheet.png'), fullPage: true });
	await pg.screenshot({ path: join(SHOTS, 'console-voucher-sheet-print.png'), fullPage: true, scale: 'css' });
	const cards = await sheet.locator('.voucher-card').allInnerTexts();
	check('each card has its code, what it gives and the portal\'s address', cards.length === 5
		&& cards.every((c, i) => c.includes(codes[i]) && c.includes('30 days · 10 GiB a month') && c.includes(`${BASE}/redeem`)), cards[0]);
	let decoded = [];
	try {
		decoded = sh('zbarimg', ['--raw', '-q', join(WORK, 'sheet.png')]).trim().split('\n').sort();
	} catch (e) {
		decoded = [`(${e.message})`];
	}
	const want = codes.map((c) => `${BASE}/redeem#code=${encodeURIComponent(c)}`).sort();
	check('the printed sheet\'s 5 QR codes decode (zbarimg) to the codes\' portal links', JSON.stringify(decoded) === JSON.stringify(want),
		decoded, want);
	const cols = await sheet.evaluate((el) => getComputedStyle(el).gridTemplateColumns.split(' ').length);
	const spill = await sheet.evaluate((el) => [...el.querySelectorAll('.voucher-code, .voucher-url')]
		.filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => `${c.textContent}: ${c.scrollWidth} > ${c.clientWidth}`));
	check('the cards are in a grid two across an A4 page, the codes in large type within their cards', cols === 2 && !spill.length, String(cols), spill);
	const pdf = await pg.pdf({ format: 'A4', preferCSSPageSize: true });
	writeFileSync(join(WORK, 'sheet.pdf'), pdf);
	const pdfPages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
	check('printed to PDF, the 5 cards take one A4 page', pdfPages === 1, String(pdfPages));
	await pg.emulateMedia({ media: 'screen' });
	await pg.setViewportSize(SIZES[0]);

	// Closing before saving would warn; here it was saved.
	await dialog(pg).getByRole('button', { name: en['vouchers.done'] }).click();
	await dialog(pg).waitFor({ state: 'detached' });
	check('and the sheet goes with the dialog', await pg.locator('.print-sheet').count() === 0);
	const row = pg.locator('.table tbody tr', { hasText: BATCH });
	await row.waitFor();
	const rt = await row.innerText();
	check('the list shows the batch: active, 0 of 5 used', rt.includes(en['vouchers.state_active']) && rt.includes('0 of 5'), rt);

	// A batch closed without saving anything warns once; printed, 25 cards take 3 pages.
	await pg.getByRole('button', { name: en['vouchers.add'] }).click();
	await dialog(pg).getByLabel(en['vouchers.count'], { exact: true }).fill('25');
	await dialog(pg).getByLabel(/^Time/).fill('');
	await dialog(pg).locator('button[type=submit]').click();
	await dialog(pg).locator('.code-list li').nth(24).waitFor();
	await dialog(pg).getByRole('button', { name: en['vouchers.done'] }).click();
	check('closing without copying, downloading or printing warns first', await attempt(() => dialog(pg).locator('.leave-warn').waitFor({ timeout: 3000 })));
	await shots(pg, 'console-voucher-leave-en');
	await dialog(pg).getByRole('button', { name: en['vouchers.print'] }).click();
	await pg.locator('.print-sheet .voucher-card').nth(24).waitFor({ state: 'attached', timeout: 10000 });
	await pg.emulateMedia({ media: 'print' });
	const pdf25 = await pg.pdf({ format: 'A4', preferCSSPageSize: true });
	await pg.emulateMedia({ media: 'screen' });
	const pages25 = (pdf25.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
	check('printed, 25 cards take 3 A4 pages (ten a page, as the dialog says)', pages25 === 3
		&& (await dialog(pg).innerText()).includes(T(en, 'vouchers.pages.other', { n: 3 })), String(pages25));
	check('a batch that gives no time or traffic reads as giving an account', (await pg.locator('.voucher-card').first().innerText()).includes(en['vouchers.gives_account']));
	await dialog(pg).getByRole('button', { name: en['vouchers.done'] }).click();
	await dialog(pg).waitFor({ state: 'detached' });
	// A large batch: its codes listed and in the CSV, its sheet made a few codes at a time
	// with the page answering all along (the longest gap between timer ticks is measured).
	await pg.getByRole('button', { name: en['vouchers.add'] }).click();
	await dialog(pg).getByLabel(en['vouchers.count'], { exact: true }).fill('1000');
	const t0 = Date.now();
	await dialog(pg).locator('button[type=submit]').click();
	await dialog(pg).locator('.code-list li').nth(999).waitFor({ timeout: 30000 });
	const madeMs = Date.now() - t0;
	const [dlBig] = await Promise.all([pg.waitForEvent('download'), dialog(pg).getByRole('button', { name: en['vouchers.csv'] }).click()]);
	await dlBig.saveAs(join(WORK, 'dl', 'big.csv'));
	const bigRows = readFileSync(join(WORK, 'dl', 'big.csv'), 'utf8').trim().split(/\r?\n/).length - 1;
	await pg.evaluate(() => {
		window.__gap = 0;
		let last = performance.now();
		window.__tick = setInterval(() => { const n = performance.now(); window.__gap = Math.max(window.__gap, n - last); last = n; }, 10);
	});
	const t1 = Date.now();
	await dialog(pg).getByRole('button', { name: en['vouchers.print'] }).click();
	const progress = await attempt(() => dialog(pg).locator('button', { hasText: /^Preparing \d/ }).waitFor({ timeout: 5000 }));
	await pg.locator('.print-sheet .voucher-card').nth(999).waitFor({ state: 'attached', timeout: 60000 });
	const sheetMs = Date.now() - t1;
	const gap = await pg.evaluate(() => { clearInterval(window.__tick); return window.__gap; });
	console.log(`# a batch of 1,000 codes: made and listed in ${madeMs} ms; its sheet of 1,000 QR codes made in ${sheetMs} ms, the page's longest pause ${gap.toFixed(0)} ms`);
	check(`a batch of 1,000: all listed, a CSV of 1,000 rows, a sheet of 1,000 cards made with its progress shown (${sheetMs} ms)`,
		bigRows === 1000 && progress && await pg.locator('.print-sheet .voucher-card').count() === 1000, String(bigRows), String(progress));
	check(`and the page keeps answering while the sheet is made (longest pause ${gap.toFixed(0)} ms, below 1 s)`, gap < 1000, String(gap));
	await dialog(pg).getByRole('button', { name: en['vouchers.done'] }).click();
	await dialog(pg).waitFor({ state: 'detached' });
	await shots(pg, 'console-vouchers-en');
}

// ---- a redemption, the batch's page, revoke
{
	const redeem = (code, name) => pg.evaluate(async ([c, n]) => {
		const r = await fetch('/api/v1/vouchers/redeem', { method: 'POST', headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ code: c, name: n, password: 'a guest password' }) });
		return r.status;
	}, [code, name]);
	// Redeemed as anyone would: another browser, no session.
	const anon = await browser.newContext({ viewport: SIZES[0] });
	const ap = await anon.newPage();
	await ap.goto(`${BASE}/`);
	const st = await ap.evaluate(async (c) => (await fetch('/api/v1/vouchers/redeem', { method: 'POST', headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ code: c, name: 'guest.one', password: 'a guest password' }) })).status, codes[0]);
	check('a code redeems at the portal\'s API into a new account (guest.one)', st >= 200 && st < 300, String(st));
	// What a phone opens from a card's QR code: the portal's voucher page.
	await ap.goto(`${BASE}/redeem#code=${encodeURIComponent(codes[2])}`);
	const landed = await attempt(() => ap.locator('h1', { hasText: en['voucher.signup_title'] }).waitFor({ timeout: 10000 }));
	check('a card\'s link opens the portal\'s voucher page', landed, (await ap.locator('body').innerText()).slice(0, 200));
	const typed = await ap.getByLabel(en['voucher.code'], { exact: true }).inputValue().catch(() => '');
	check('and fills the code in from the link, the fragment gone from the address', typed.replace(/-/g, '') === codes[2].replace(/-/g, '')
		&& !ap.url().includes('#'), `field "${typed}", address ${ap.url()}`);
	await anon.close();

	await pg.goto(`${BASE}/admin/vouchers`);
	await pg.locator('.table tbody tr', { hasText: BATCH }).click();
	await pg.locator('h1', { hasText: BATCH }).waitFor();
	ok('a row opens the batch\'s page');
	const red = pg.locator('.table tbody tr', { hasText: 'guest.one' });
	check('its page lists the redemption: the user, a new account, from the client\'s address',
		await attempt(() => red.waitFor({ timeout: 5000 })) && (await red.innerText()).includes(en['vouchers.r_new'])
		&& (await red.innerText()).includes('10.203.0.2'), await pg.locator('main').innerText().catch(() => ''));
	check('and counts 1 of 5 used', (await pg.locator('.details').innerText()).includes('1 of 5'));
	await shots(pg, 'console-voucher-en');
	await pg.getByRole('button', { name: en['vouchers.revoke'] }).click();
	await dialog(pg).getByRole('button', { name: en['vouchers.revoke'] }).click();
	await pg.locator('.title-row .badge', { hasText: en['vouchers.state_revoked'] }).waitFor();
	const b = await apiGet(`/vouchers/${BATCH}`);
	check('Revoke marks the batch revoked on the server', b && typeof b.revoked === 'number', JSON.stringify(b).slice(0, 200));
	check('and the page says its codes no longer redeem, without a second Revoke', await pg.locator('.banner-warn').count() === 1
		&& await pg.getByRole('button', { name: en['vouchers.revoke'] }).count() === 0);
	const after = await redeem(codes[1], 'guest.two');
	check('a code of the revoked batch is refused', after >= 400 && after < 500, String(after));
	await shots(pg, 'console-voucher-revoked-en');
	await pg.getByRole('button', { name: en['vouchers.restore'] }).click();
	await dialog(pg).getByRole('button', { name: en['vouchers.restore'] }).click();
	await pg.locator('.title-row .badge', { hasText: en['vouchers.state_active'] }).waitFor();
	check('Allow again lifts the revocation on the server', (await apiGet(`/vouchers/${BATCH}`)).revoked === null);
	await pg.getByRole('button', { name: en['vouchers.revoke'] }).click();
	await dialog(pg).getByRole('button', { name: en['vouchers.revoke'] }).click();
	await pg.locator('.title-row .badge', { hasText: en['vouchers.state_revoked'] }).waitFor();
	await checkClean('the console as an admin', pg, log, true);
}

// ---- every page in both languages and sizes
const PAGES = [
	['announcements', '/admin/announcements', '.table tbody tr:not(.table-message) td', 'announcements.title'],
	['services', '/admin/services', '.table tbody tr:not(.table-message) td', 'services.catalog_title'],
	['vouchers', '/admin/vouchers', '.table tbody tr:not(.table-message) td', 'vouchers.title'],
	['voucher', `/admin/vouchers/${BATCH}`, '.details', null],
];
for (const lang of LANGS) {
	const c = cat[lang];
	const context = lang === 'en' ? adminCtx : await browser.newContext({ ...ctxOpts, locale: lang });
	const o = lang === 'en' ? { pg, log } : await open(context);
	if (lang !== 'en') {
		await o.pg.goto(`${BASE}/admin/`);
		await signIn(o.pg, c, 'root', NEW_PW);
	}
	const values = new Set(Object.keys(en));
	for (const [name, path, ready, title] of PAGES) {
		await o.pg.goto(`${BASE}${path}`);
		const loaded = await attempt(() => o.pg.locator(ready).first().waitFor({ timeout: 10000 }));
		await o.pg.waitForTimeout(200);
		const h1 = (await o.pg.locator('h1').first().innerText().catch(() => '')).trim();
		const text = await o.pg.evaluate(() => {
			const b = document.body.cloneNode(true);
			for (const m of b.querySelectorAll('.mono')) m.remove();
			return b.innerText;
		});
		const keys = text.match(/\b[a-z]+(?:\.[a-z_-]+){1,3}\b/g)?.filter((k) => values.has(k)) || [];
		check(`${lang}: ${path} renders in ${lang}${title ? ` ("${c[title]}")` : ''}, no catalog key shows`,
			loaded && (!title || h1 === c[title]) && !keys.length, `h1 ${h1}`, keys.slice(0, 5));
		if (lang === 'zh-CN') {
			const english = (await o.pg.locator('nav a, th, h1, h2, .button, label, .badge').allInnerTexts()).map((x) => x.trim())
				.filter((x) => x && Object.keys(en).some((k) => en[k] === x && c[k] !== x));
			check(`zh-CN: ${path} has no English label left`, !english.length, english.slice(0, 8));
		}
		const unlabelled = await o.pg.evaluate(() => [...document.querySelectorAll('main button, main input, main select, main textarea, main a[href]')]
			.filter((el) => !(el.getAttribute('aria-label') || el.textContent.trim() || (el.id && document.querySelector(`label[for="${el.id}"]`))
				|| el.closest('label') || el.getAttribute('aria-labelledby') || el.getAttribute('title')))
			.map((el) => el.outerHTML.slice(0, 80)));
		check(`${lang}: ${path}: every control has a label`, !unlabelled.length, unlabelled);
		await shots(o.pg, `console-${name}-${lang}`);
	}
	// The dialogs in this language too.
	await o.pg.goto(`${BASE}/admin/announcements`);
	await o.pg.locator('.table tbody tr:not(.table-message)').first().waitFor();
	await o.pg.getByRole('button', { name: c['announcements.add'] }).click();
	await dialog(o.pg).getByLabel(c['announcements.title_field'], { exact: true }).fill(lang === 'en' ? 'New VPN app' : '新版客户端');
	await dialog(o.pg).getByLabel(c['announcements.text'], { exact: true }).fill(lang === 'en' ? 'Update before Friday.' : '请在周五前更新。');
	await shots(o.pg, `console-announcement-add-${lang}`);
	const unlabelled = await o.pg.evaluate(() => [...document.querySelectorAll('dialog[open] button, dialog[open] input, dialog[open] select, dialog[open] textarea')]
		.filter((el) => !(el.getAttribute('aria-label') || el.textContent.trim() || (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.closest('label')))
		.map((el) => el.outerHTML.slice(0, 80)));
	check(`${lang}: every control of the announcement dialog has a label`, !unlabelled.length, unlabelled);
	await o.pg.keyboard.press('Escape');
	await o.pg.goto(`${BASE}/admin/vouchers`);
	await o.pg.getByRole('button', { name: c['vouchers.add'] }).click();
	await dialog(o.pg).waitFor();
	await shots(o.pg, `console-voucher-add-${lang}`);
	await o.pg.keyboard.press('Escape');
	await o.pg.setViewportSize(SIZES[1]);
	await o.pg.getByRole('button', { name: c['nav.menu'] }).click();
	await o.pg.waitForTimeout(300);
	await shot(o.pg, `console13-nav-${lang}`, SIZES[1]);
	await o.pg.keyboard.press('Escape');
	await o.pg.setViewportSize(SIZES[0]);
	if (lang !== 'en') {
		await checkClean(`${lang}: the three pages`, o.pg, o.log);
		await context.close();
	}
}

// ---- keyboard: the vouchers list opens a batch with Enter; a dialog keeps the focus
{
	await pg.goto(`${BASE}/admin/vouchers`);
	const r = pg.locator('.table tbody tr.row-action').first();
	await r.waitFor();
	await r.focus();
	await pg.keyboard.press('Enter');
	check('Enter on a batch\'s row opens its page', await attempt(() => pg.locator('.back-link', { hasText: en['vouchers.back'] }).waitFor({ timeout: 5000 })));
	await pg.goto(`${BASE}/admin/services`);
	await pg.getByRole('button', { name: en['services.add'] }).focus();
	await pg.keyboard.press('Enter');
	await dialog(pg).waitFor();
	let inside = true;
	for (let i = 0; i < 12; i++) {
		await pg.keyboard.press('Tab');
		inside = inside && await pg.evaluate(() => !!document.activeElement.closest('dialog[open]'));
	}
	check('the service dialog opens from the keyboard and keeps the focus', inside);
	await pg.keyboard.press('Space');
	await pg.keyboard.press('Escape');
	await dialog(pg).waitFor({ state: 'detached' });
	check('Escape closes it and gives the focus back to Add service', await pg.evaluate((n) => document.activeElement.textContent.includes(n), en['services.add']));
}

// ---- a viewer reads everything and changes nothing
{
	const context = await browser.newContext({ ...ctxOpts, locale: 'en' });
	const v = await open(context);
	await v.pg.goto(`${BASE}/admin/`);
	await signIn(v.pg, en, 'eve', process.env.P_EVE, 'eve reads only');
	const editors = [en['announcements.add'], en['announcements.edit'], en['announcements.delete'], en['services.add'], en['services.edit'],
		en['services.delete'], en['vouchers.add'], en['vouchers.revoke'], en['vouchers.restore'], en['vouchers.delete']];
	const seen = [];
	for (const [, path, ready] of PAGES) {
		await v.pg.goto(`${BASE}${path}`);
		const loaded = await attempt(() => v.pg.locator(ready).first().waitFor({ timeout: 10000 }));
		if (!loaded) seen.push(`${path}: did not load`);
		for (const b of await v.pg.locator('main button, main a.button').allInnerTexts()) if (editors.includes(b.trim())) seen.push(`${path}: ${b.trim()}`);
	}
	check('a viewer reads the three pages and the batch\'s page, with no change control', !seen.length, seen);
	await v.pg.goto(`${BASE}/admin/announcements`);
	await v.pg.getByRole('button', { name: T(en, 'announcements.view_named', { title: 'Maintenance on Saturday' }) }).click();
	check('and opens an announcement to read it with its preview', await attempt(() => dialog(v.pg).locator('.announce-preview').waitFor({ timeout: 5000 })));
	await shots(v.pg, 'console-announcements-viewer-en');
	await v.pg.keyboard.press('Escape');
	const tried = await v.pg.evaluate(async () => {
		const s = JSON.parse(localStorage.getItem('warren.session'));
		const r = await fetch('/api/v1/announcements', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf },
			body: '{"title":"x","text":"y"}' });
		return r.status;
	});
	check('and gets 403 when it tries (POST /api/v1/announcements)', tried === 403, String(tried));
	await checkClean('the console as a viewer', v.pg, v.log, true);
	await context.close();
}

await rq.dispose();
await adminCtx.close();
await browser.close();
process.exit(failures ? 1 : 0);
