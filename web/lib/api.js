// The client of the server's API (DESIGN §9): JSON over fetch on this origin with the
// session cookie, the CSRF token on every change, errors as ApiError with a message a
// person can read, and the two answers that change what the page shows: 401 (signed
// out) and 403 "password change required".
import { t } from './i18n.js';
import { session } from './session.js';

const BASE = '/api/v1';

export class ApiError extends Error {
	constructor(status, message, data) {
		super(message);
		this.name = 'ApiError';
		this.status = status;       // 0: the server was not reached
		this.data = data;
		this.retryAfter = 0;
	}
}

// The server's error texts that have words of their own in the catalogs.
const KNOWN = {
	'wrong name or password': 'error.wrong_login',
	'password change required': 'error.password_change_required',
	'too many failed authentications': 'error.too_many',
	'TOTP code required': 'error.totp_required',
	'wrong TOTP code': 'error.totp_wrong',
	'code: wrong TOTP code': 'error.totp_wrong',
	'TOTP code already used: wait for the next one': 'error.totp_used',
	'old: wrong password': 'error.old_wrong',
	'CSRF token missing or wrong': 'error.csrf',
	'forbidden': 'error.forbidden',
	'account disabled by an administrator': 'error.account_disabled',
	'unauthorized': 'error.signed_out',
	'not found': 'error.not_found',
	'method not allowed': 'error.not_available',
	'the server did not answer': 'error.timeout',
};

export const PASSWORD_CHANGE_REQUIRED = 'password change required';
export const TOTP_REQUIRED = 'TOTP code required';

// A message for any error a call may throw, in the page's language.
export function errorText(e) {
	if (!(e instanceof ApiError)) return t('error.unexpected');
	if (e.status === 0) return t('error.network');
	if (e.status === 429) {
		return e.retryAfter ? t('error.retry_after', { s: e.retryAfter }) : t('error.too_many');
	}
	const key = KNOWN[e.message];
	if (key) return t(key);
	if (e.status >= 500) return t('error.server', { status: e.status });
	return e.message || t('error.status', { status: e.status });
}

const handlers = { unauthorized: null, passwordChange: null };

// What the page does when the server says the session is gone, or that the password
// must change first.
export function onSignedOut(fn) {
	handlers.unauthorized = fn;
}
export function onPasswordChangeRequired(fn) {
	handlers.passwordChange = fn;
}

export function queryString(params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params || {})) {
		if (v === undefined || v === null || v === '') continue;
		q.set(k, String(v));
	}
	const s = q.toString();
	return s ? `?${s}` : '';
}

// One call. auth: false for the calls that make a session (a 401 there is an answer,
// not a lost session).
export async function request(method, path, { body, query, signal, auth = true } = {}) {
	const headers = { Accept: 'application/json' };
	if (body !== undefined) headers['Content-Type'] = 'application/json';
	const csrf = session.csrf();
	if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-CSRF-Token'] = csrf;
	let res;
	try {
		res = await fetch(BASE + path + queryString(query), {
			method,
			headers,
			body: body === undefined ? undefined : JSON.stringify(body),
			credentials: 'same-origin',
			cache: 'no-store',
			redirect: 'error',
			signal,
		});
	} catch (e) {
		if (e && e.name === 'AbortError') throw e;
		throw new ApiError(0, 'network');
	}
	let data = null;
	const type = res.headers.get('Content-Type') || '';
	try {
		if (type.startsWith('application/json')) data = await res.json();
		else if (res.status !== 204) data = await res.text();
	} catch (e) {
		if (e && e.name === 'AbortError') throw e;
		data = null;
	}
	if (!res.ok) {
		const msg = data && typeof data === 'object' && typeof data.error === 'string'
			? data.error : '';
		const err = new ApiError(res.status, msg, data);
		err.retryAfter = parseInt(res.headers.get('Retry-After') || '0', 10) || 0;
		if (auth && res.status === 401 && handlers.unauthorized) handlers.unauthorized(err);
		if (res.status === 403 && msg === PASSWORD_CHANGE_REQUIRED && handlers.passwordChange) {
			handlers.passwordChange(err);
		}
		throw err;
	}
	return data;
}

// The URL of a route, for what the browser fetches itself: a download, an image.
export function apiUrl(path, query) {
	return BASE + path + queryString(query);
}

// A path segment: user and device names are plain, but a name is never trusted to be.
export const seg = (s) => encodeURIComponent(s);

export const api = {
	get: (path, opt) => request('GET', path, opt),
	post: (path, body, opt) => request('POST', path, { ...opt, body: body ?? {} }),
	patch: (path, body, opt) => request('PATCH', path, { ...opt, body }),
	del: (path, opt) => request('DELETE', path, opt),
};

// Sign in: the session starts with the answer.
export async function login(name, password, totp) {
	const body = { name, password };
	if (totp) body.totp = totp;
	const answer = await request('POST', '/login', { body, auth: false });
	if (!answer || typeof answer.csrf !== 'string' || typeof answer.role !== 'string') {
		throw new ApiError(502, '');
	}
	session.start(name, answer);
	return answer;
}

// At page load, ask the server whether the stored session still holds: the cookie is
// HttpOnly, so only the server knows. The answer is /me's, for the page to use.
export async function verifySession() {
	if (!session.get()) return null;
	try {
		const me = await request('GET', '/me', { auth: false });
		session.confirm(me);
		return me;
	} catch (e) {
		if (e instanceof ApiError && e.status === 401) session.confirm(null);
		else session.confirm(session.get() && { name: session.get().name, must_change_password: session.get().mustChange });
		return null;
	}
}

// Sign out here whatever the server answers: the page forgets the session either way.
export async function logout() {
	try {
		await request('POST', '/logout', { body: {}, auth: false });
	} catch {
		// gone already, or the server is away: nothing more to do here
	} finally {
		session.end();
	}
}

export async function changePassword(old, password) {
	const answer = await request('POST', '/password', { body: { old, new: password } });
	session.update({ csrf: answer && answer.csrf ? answer.csrf : session.csrf(), mustChange: false });
	return answer;
}
