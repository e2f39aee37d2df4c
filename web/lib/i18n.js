// The page's language: the catalogs in ../i18n/ (every visible string comes from them),
// the choice (remembered, else the browser's languages), formatting of dates, numbers
// and sizes in that language, and a hook that re-renders a component when it changes.
import { useState, useEffect } from './html.js';

export const LANGS = ['en', 'zh-CN'];
const KEY = 'warren.lang';

let lang = 'en';
let catalog = {};
const listeners = new Set();

// The first of the browser's languages we have: any Chinese reads Simplified Chinese
// better than English, anything else gets English.
export function pickLang(preferred) {
	for (const p of preferred || []) {
		const l = String(p).toLowerCase();
		if (l === 'en' || l.startsWith('en-')) return 'en';
		if (l === 'zh' || l.startsWith('zh-')) return 'zh-CN';
	}
	return 'en';
}

function stored() {
	try {
		const s = localStorage.getItem(KEY);
		return LANGS.includes(s) ? s : null;
	} catch {
		return null;
	}
}

async function load(code) {
	const res = await fetch(new URL(`../i18n/${code}.json`, import.meta.url), {
		credentials: 'same-origin',
	});
	if (!res.ok) throw new Error(`catalog ${code}: ${res.status}`);
	return res.json();
}

// Switch to code (loading its catalog), and remember it when the user chose it.
export async function setLang(code, remember = true) {
	if (!LANGS.includes(code)) code = 'en';
	catalog = await load(code);
	lang = code;
	document.documentElement.lang = code;
	if (remember) {
		try {
			localStorage.setItem(KEY, code);
		} catch {
			// private mode: the choice lasts as long as the page
		}
	}
	for (const f of listeners) f(code);
}

export async function initI18n() {
	const code = stored() || pickLang(navigator.languages || [navigator.language]);
	try {
		await setLang(code, false);
	} catch {
		if (code !== 'en') await setLang('en', false);
	}
}

export function currentLang() {
	return lang;
}

// The text of key, with {name} replaced from vars; the key itself when the catalog
// lacks it (a test keeps the catalogs complete).
export function t(key, vars) {
	const s = catalog[key];
	if (typeof s !== 'string') return key;
	if (!vars) return s;
	return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

// key.one or key.other by the language's plural rules, with {n} formatted.
export function tn(key, n, vars) {
	const rule = new Intl.PluralRules(lang).select(n);
	const k = `${key}.${rule}` in catalog ? `${key}.${rule}` : `${key}.other`;
	return t(k, { ...vars, n: formatNumber(n) });
}

export function useLang() {
	const [, bump] = useState(0);
	useEffect(() => {
		const f = () => bump((n) => n + 1);
		listeners.add(f);
		return () => listeners.delete(f);
	}, []);
	return lang;
}

export function formatNumber(n) {
	return new Intl.NumberFormat(lang).format(n);
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

// Bytes in binary units as the command line prints them: 1.5 GiB.
export function formatBytes(n) {
	if (n == null || !Number.isFinite(Number(n))) return '—';
	let v = Number(n);
	let i = 0;
	while (Math.abs(v) >= 1024 && i < UNITS.length - 1) {
		v /= 1024;
		i++;
	}
	const digits = i === 0 || v >= 100 ? 0 : 1;
	return `${new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(v)} ${UNITS[i]}`;
}

// An instant from the API (Unix seconds, or an ISO string) as a local date and time.
export function toDate(v) {
	if (v == null || v === '') return null;
	const d = typeof v === 'number' ? new Date(v * 1000) : new Date(v);
	return Number.isNaN(d.getTime()) ? null : d;
}

export function formatDate(v, withTime = false) {
	const d = toDate(v);
	if (!d) return '—';
	const opt = withTime
		? { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }
		: { year: 'numeric', month: 'short', day: 'numeric' };
	return new Intl.DateTimeFormat(lang, opt).format(d);
}

// "3 minutes ago", "in 2 days".
export function formatRelative(v, now = Date.now()) {
	const d = toDate(v);
	if (!d) return '—';
	const s = Math.round((d.getTime() - now) / 1000);
	const abs = Math.abs(s);
	const rtf = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
	if (abs < 60) return rtf.format(s, 'second');
	if (abs < 3600) return rtf.format(Math.round(s / 60), 'minute');
	if (abs < 86400) return rtf.format(Math.round(s / 3600), 'hour');
	if (abs < 86400 * 45) return rtf.format(Math.round(s / 86400), 'day');
	return formatDate(v);
}

export function formatDuration(seconds) {
	if (seconds == null) return '—';
	const s = Math.max(0, Math.round(seconds));
	const d = Math.floor(s / 86400);
	const h = Math.floor((s % 86400) / 3600);
	const m = Math.floor((s % 3600) / 60);
	if (d) return t('time.dh', { d, h });
	if (h) return t('time.hm', { h, m });
	return t('time.m', { m: Math.max(m, s ? 1 : 0) });
}
