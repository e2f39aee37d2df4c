// Who is signed in, as the login answered: name, role, the CSRF token and whether the
// password must change first. The session cookie is HttpOnly, so the page cannot see
// it; this copy lives in sessionStorage, kept across a reload and gone with the tab.
import { useState, useEffect } from './html.js';

const KEY = 'warren.session';
const listeners = new Set();

function read() {
	try {
		const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
		return s && typeof s.csrf === 'string' && typeof s.role === 'string' ? s : null;
	} catch {
		return null;
	}
}

let current = read();

function save() {
	try {
		if (current) sessionStorage.setItem(KEY, JSON.stringify(current));
		else sessionStorage.removeItem(KEY);
	} catch {
		// storage refused: the session lasts as long as the page
	}
	for (const f of listeners) f(current);
}

export const session = {
	get: () => current,
	csrf: () => (current ? current.csrf : null),
	// The login answer {role, must_change_password, csrf} for name.
	start(name, answer) {
		current = {
			name,
			role: answer.role,
			csrf: answer.csrf,
			mustChange: !!answer.must_change_password,
		};
		save();
	},
	update(fields) {
		if (!current) return;
		current = { ...current, ...fields };
		save();
	},
	end() {
		current = null;
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
