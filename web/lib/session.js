// Who is signed in, as the login answered: name, role, the CSRF token and whether the
// password must change first. The session cookie is HttpOnly, so the page cannot see
// it: this copy lives in localStorage (every tab of the origin shares it, and a sign-out
// in one tab ends the others), and GET /api/v1/me at page load says whether the server
// still knows the session.
import { useState, useEffect } from './html.js';

const KEY = 'warren.session';
const listeners = new Set();

function read() {
	try {
		const s = JSON.parse(localStorage.getItem(KEY) || 'null');
		return s && typeof s.csrf === 'string' && typeof s.role === 'string' && typeof s.name === 'string' ? s : null;
	} catch {
		return null;
	}
}

let current = read();
// Until /me has answered for a session read from storage, the page is not sure of it.
let verified = !current;

function notify() {
	for (const f of listeners) f(current);
}

function save() {
	try {
		if (current) localStorage.setItem(KEY, JSON.stringify(current));
		else localStorage.removeItem(KEY);
	} catch {
		// storage refused: the session lasts as long as the page
	}
	notify();
}

// Another tab signed in, out, or changed the password.
addEventListener('storage', (e) => {
	if (e.key !== KEY && e.key !== null) return;
	current = read();
	verified = true;
	notify();
});

export const session = {
	get: () => current,
	verified: () => verified,
	csrf: () => (current ? current.csrf : null),
	// The login answer {role, name, must_change_password, must_enrol_totp, csrf}.
	start(name, answer) {
		current = {
			name: answer.name || name,
			role: answer.role,
			csrf: answer.csrf,
			mustChange: !!answer.must_change_password,
			mustEnrolTotp: !!answer.must_enrol_totp,
		};
		verified = true;
		save();
	},
	update(fields) {
		if (!current) return;
		current = { ...current, ...fields };
		save();
	},
	end() {
		current = null;
		verified = true;
		save();
	},
	// What GET /api/v1/me answered for the stored session: null when the server no
	// longer knows it (401) or it belongs to someone else.
	confirm(me) {
		verified = true;
		if (!current) return notify();
		if (!me || me.name !== current.name) {
			current = null;
			return save();
		}
		const fields = { mustChange: !!me.must_change_password };
		if (typeof me.role === 'string') fields.role = me.role;
		if ('must_enrol_totp' in me) fields.mustEnrolTotp = !!me.must_enrol_totp;
		if ('totp' in me) fields.totp = !!me.totp;
		current = { ...current, ...fields };
		save();
	},
};

export function useSession() {
	const [s, set] = useState(current);
	useEffect(() => {
		listeners.add(set);
		set(current);
		return () => listeners.delete(set);
	}, []);
	return s;
}
