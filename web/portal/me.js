// What the portal knows of the signed-in user, shared by every page: the account as GET
// /api/v1/me answers it (read once at sign-in or page load, again after a change and
// when the event stream says the user changed), and the number of unread
// announcements, which the navigation shows as a badge.
import { useState, useEffect } from '../lib/html.js';
import { api } from '../lib/api.js';

let me = null;
let unread = null;        // null: the server has no announcements
let news = 0;            // grows when the stream tells of announcements
let loading = null;
const listeners = new Set();

function notify() {
	for (const f of listeners) f({ me, unread, news });
}

function take(answer) {
	me = answer;
	if (answer && typeof answer.unread_announcements === 'number') unread = answer.unread_announcements;
	notify();
}

// The answer GET /me gave at page load, so the first page needs no second request.
export function primeMe(answer) {
	if (answer && typeof answer === 'object' && typeof answer.state === 'string') take(answer);
}

// Ask the server again; callers that do not wait get the same request.
export function refreshMe() {
	if (!loading) {
		loading = api.get('/me').then((a) => {
			loading = null;
			take(a);
			return a;
		}, (e) => {
			loading = null;
			throw e;
		});
	}
	return loading;
}

// The stream has just (re)opened: what changed before it did was not sent on it, so the
// account and the feed are read again by a request made now (not one already under way,
// whose answer may predate the change).
export function resyncMe() {
	const again = () => {
		announcementsChanged();
		return refreshMe();
	};
	return (loading ? loading.then(again, again) : again()).catch(() => {});
}

export function setUnread(n) {
	if (typeof n !== 'number' || n === unread) return;
	unread = n;
	notify();
}

// The stream's status rows of the user's own devices, patched into the account.
const LIVE = ['online', 'endpoint', 'latest_handshake', 'session_started', 'rx_bytes', 'tx_bytes', 'rx_rate', 'tx_rate', 'policy'];
export function patchDevices(rows) {
	if (!me || !Array.isArray(me.devices) || !Array.isArray(rows)) return;
	let changed = false;
	const devices = me.devices.map((d) => {
		const r = rows.find((x) => x && x.device === d.name && (!x.user || x.user === me.name));
		if (!r) return d;
		changed = true;
		const next = { ...d };
		for (const k of LIVE) if (k in r) next[k] = r[k];
		return next;
	});
	if (!changed) return;
	me = { ...me, devices, online: devices.some((d) => d.online) };
	notify();
}

// An announcement came or went: the feed and the count are asked again.
export function announcementsChanged() {
	news++;
	notify();
}

export function forgetMe() {
	me = null;
	unread = null;
	notify();
}

export function currentMe() {
	return me;
}

// { me, unread, news } for as long as the component is on screen.
export function useMe() {
	const [v, set] = useState({ me, unread, news });
	useEffect(() => {
		listeners.add(set);
		set({ me, unread, news });
		return () => listeners.delete(set);
	}, []);
	return v;
}
