// A stand-in for the server's API (DESIGN §9) inside the browser test, answered through
// Playwright's routing so the pages that need it can be driven and photographed before
// the server has it. It answers as the contract says and records every request.

const now = Math.floor(Date.now() / 1000);
const GiB = 1024 ** 3;
const NAMES = [
	'alice', 'bob', 'chen.wei', 'dmitri', 'eva', 'fatima', 'gw-branch1', 'hiro', 'ingrid', 'jamal',
	'kofi', 'li.na', 'maria', 'noah', 'olga', 'priya', 'quentin', 'rosa', 'sven', 'tariq',
	'ursula', 'vikram', 'wang.fang', 'xavier', 'yuki', 'zhang.min',
];

function user(i) {
	const base = NAMES[i % NAMES.length];
	const name = i < NAMES.length ? base : `${base}${Math.floor(i / NAMES.length) + 1}`;
	const state = i % 17 === 5 ? 'expired' : i % 13 === 7 ? 'quota' : i % 11 === 9 ? 'disabled' : 'enabled';
	const quota = i % 3 === 0 ? null : (i % 2 ? 50 : 200) * GiB;
	const used = quota == null ? null : state === 'quota' ? quota : Math.round(quota * ((i * 37) % 97) / 100);
	const online = state === 'enabled' && i % 3 !== 2;
	return {
		name,
		state,
		group: ['staff', 'contractors', 'branch', 'staff'][i % 4],
		addresses: [`10.9.0.${i + 2}/32`, `fd09::${(i + 2).toString(16)}/128`],
		expires: i % 4 === 1 ? now + (i + 3) * 86400 * 9 : state === 'expired' ? now - 86400 * (i % 20 + 1) : null,
		quota_bytes: quota,
		quota_period: quota == null ? null : i % 2 ? 'month' : 'total',
		quota_used: used,
		rx_bytes: ((i * 7919) % 5000) * 1024 * 1024 * 3,
		tx_bytes: ((i * 104729) % 9000) * 1024 * 1024 * 7,
		online,
		latest_handshake: state === 'enabled' ? now - (online ? 40 + i : 3600 * (i % 30 + 2)) : null,
		endpoint: online ? `198.51.100.${(i * 13) % 250 + 1}:${40000 + i}` : null,
	};
}

export const USERS = Array.from({ length: 137 }, (_, i) => user(i));

const SESSIONS = Array.from({ length: 64 }, (_, i) => {
	const u = USERS[(i * 5) % USERS.length];
	const started = now - i * 5400 - 600;
	const ended = i < 6 ? null : started + 1800 + (i * 611) % 9000;
	return {
		id: 1000 - i, user: u.name, started, ended,
		duration_s: (ended ?? now) - started,
		endpoint: `203.0.113.${(i * 29) % 250 + 1}:${41000 + i}`,
		address: u.addresses[0],
		rx_bytes: ((i * 131) % 900) * 1024 * 1024, tx_bytes: ((i * 977) % 4000) * 1024 * 1024,
	};
});

export const ME = {
	name: 'alice', state: 'enabled', expires: now + 86400 * 120, quota: 50 * GiB, used: 18.4 * GiB,
	quota_period: 'month', group: 'staff',
	devices: [
		{ name: 'alice', kind: 'config', addresses: ['10.9.0.2/32', 'fd09::2/128'], latest_handshake: now - 75 },
		{ name: 'laptop', kind: 'config', addresses: ['10.9.0.40/32', 'fd09::28/128'], latest_handshake: now - 86400 * 2 },
	],
};

// A QR-like picture: enough for the dialog, not a real code.
function qrSvg() {
	let cells = '';
	for (let y = 0; y < 29; y++) {
		for (let x = 0; x < 29; x++) {
			const finder = (x < 7 && y < 7) || (x > 21 && y < 7) || (x < 7 && y > 21);
			const on = finder ? (x % 6 === 0 || y % 6 === 0 || (x % 22 > 1 && x % 22 < 5 && y % 22 > 1 && y % 22 < 5))
				: ((x * 7 + y * 13 + x * y) % 5 < 2);
			if (on) cells += `<rect x="${x}" y="${y}" width="1" height="1"/>`;
		}
	}
	return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="-2 -2 33 33"><rect x="-2" y="-2" width="33" height="33" fill="#fff"/><g fill="#000">${cells}</g></svg>`;
}

function page(list, q, limit, cursor) {
	const start = cursor ? parseInt(cursor, 10) : 0;
	const n = Math.min(parseInt(limit || '50', 10), 500);
	const rows = list.slice(start, start + n);
	return { rows, total: list.length, next: start + n < list.length ? String(start + n) : null };
}

function sortUsers(list, sort) {
	if (!sort) return list;
	const desc = sort.startsWith('-');
	const key = desc ? sort.slice(1) : sort;
	const val = {
		name: (u) => u.name, expires: (u) => u.expires ?? Infinity, used: (u) => u.quota_used ?? -1,
		last_seen: (u) => u.latest_handshake ?? 0,
	}[key] || ((u) => u.name);
	const out = [...list].sort((a, b) => (val(a) < val(b) ? -1 : val(a) > val(b) ? 1 : 0));
	return desc ? out.reverse() : out;
}

// opts: role, mustChange, login ('ok' | 'totp' | 'wrong'), records (an array to fill)
export async function mockApi(pg, opts = {}) {
	const { role = 'admin', mustChange = false, records = [] } = opts;
	let changed = false;
	await pg.route('**/api/v1/**', async (route) => {
		const req = route.request();
		const url = new URL(req.url());
		const path = url.pathname.slice('/api/v1'.length);
		const q = Object.fromEntries(url.searchParams);
		const method = req.method();
		records.push({ method, path, query: q, headers: await req.allHeaders(), body: req.postData() });
		const json = (status, body) => route.fulfill({
			status, contentType: 'application/json', body: JSON.stringify(body),
		});
		if (path === '/login' && method === 'POST') {
			const body = JSON.parse(req.postData() || '{}');
			if (opts.login === 'wrong') return json(401, { error: 'wrong name or password' });
			if (opts.login === 'totp' && !body.totp) return json(401, { error: 'totp required' });
			return json(200, { role, must_change_password: mustChange && !changed, csrf: 'csrf-1' });
		}
		if (path === '/logout') return json(200, {});
		if (path === '/password' && method === 'POST') {
			changed = true;
			return json(200, { csrf: 'csrf-2' });
		}
		if (path === '/events') {
			return route.fulfill({ status: 200, contentType: 'text/event-stream', body: 'retry: 3600000\n\n' });
		}
		if (path === '/users' && method === 'GET') {
			let list = USERS;
			if (q.q) list = list.filter((u) => u.name.includes(q.q) || u.group.includes(q.q));
			if (q.state) list = list.filter((u) => u.state === q.state);
			const p = page(sortUsers(list, q.sort), q.q, q.limit, q.cursor);
			return json(200, { users: p.rows, total: p.total, next: p.next });
		}
		if (path === '/users' && method === 'POST') return json(201, { name: JSON.parse(req.postData()).name });
		if (path === '/status') return json(200, { devices: [], total: USERS.filter((u) => u.online).length, next: null });
		if (path === '/sessions') {
			let list = SESSIONS;
			if (q.q) list = list.filter((s) => s.user.includes(q.q) || s.endpoint.includes(q.q));
			const p = page(list, q.q, q.limit, q.cursor);
			return json(200, { sessions: p.rows, total: p.total, next: p.next });
		}
		if (path === '/me') return json(200, ME);
		if (path.endsWith('/qr.svg')) return route.fulfill({ status: 200, contentType: 'image/svg+xml', body: qrSvg() });
		return json(404, { error: 'not found' });
	});
	return records;
}
