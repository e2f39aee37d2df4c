// How a group's access policy reads wherever it is shown: the next change of a schedule
// in the browser's time, a rate in words, and a device's policy state (held back by the
// schedule, an endpoint outside the group's sources, no portal sign-in; blocked packets).
import { html } from '../html.js';
import { t, tn, toDate, currentLang, formatNumber } from '../i18n.js';

const WEEK = 7 * 86400 * 1000;

// An instant as the weekday and time when it is within a week ("Mon 08:00"), else with
// its date; in the browser's zone.
export function formatWhen(v, now = Date.now()) {
	const d = toDate(v);
	if (!d) return '—';
	const near = d.getTime() - now < WEEK && d.getTime() > now - WEEK;
	const opt = near ? { weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }
		: { year: 'numeric', month: 'short', day: 'numeric', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
	return new Intl.DateTimeFormat(currentLang(), opt).format(d);
}

// "20Mbit/5Mbit" -> { down: "20Mbit", up: "5Mbit" }; a side that is unlimited is "".
export function splitRate(s) {
	const v = String(s || '').trim();
	if (!v || /^unlimited$/i.test(v)) return { down: '', up: '' };
	const [a, b = a] = v.split('/');
	const side = (x) => (/^unlimited$/i.test(x.trim()) ? '' : x.trim());
	return { down: side(a), up: side(b) };
}

// "20Mbit" -> "20 Mbit/s"; "" -> "unlimited".
function sideText(x) {
	if (!x) return t('policy.unlimited');
	const m = /^(\d+(?:\.\d+)?)\s*(bit|kbit|mbit|gbit)$/i.exec(x);
	if (!m) return x;
	const unit = { bit: 'bit/s', kbit: 'kbit/s', mbit: 'Mbit/s', gbit: 'Gbit/s' }[m[2].toLowerCase()];
	return `${formatNumber(Number(m[1]))} ${unit}`;
}

export function rateText(s) {
	const { down, up } = splitRate(s);
	if (!down && !up) return t('policy.unlimited');
	return t('policy.rate_text', { down: sideText(down), up: sideText(up) });
}

// A schedule's canonical text in words where it is one of the two plain ones.
export function scheduleText(s) {
	if (!s || s === 'always') return t('policy.schedule_always');
	if (s === 'never') return t('policy.schedule_never');
	return s;
}

// A list the API gives as "a, b" (or as an array) -> its items.
export function listItems(v) {
	if (Array.isArray(v)) return v.map(String).filter(Boolean);
	return String(v || '').split(/\s*,\s*/).filter(Boolean);
}

// What holds a device's tunnel back, as a list of { key, tone }.
export function holds(p) {
	if (!p || typeof p !== 'object') return [];
	const out = [];
	if (p.schedule_open === false) out.push({ key: 'schedule', tone: 'warn' });
	if (p.endpoint_allowed === false) out.push({ key: 'endpoint', tone: 'danger' });
	if (p.signed_in === false) out.push({ key: 'signin', tone: 'neutral' });
	return out;
}

// A device's policy state on one line, for the console's rows: nothing when nothing
// is held back and nothing was blocked.
export function PolicyState({ policy }) {
	const h = holds(policy);
	const blocked = policy && policy.blocked_packets ? policy.blocked_packets : 0;
	if (!h.length && !blocked) return null;
	return html`<span class="policy-state">
		${h.map((x) => html`<span class=${`badge badge-${x.tone}`} title=${t(`policy.hold_${x.key}_long`)}>${t(`policy.hold_${x.key}`)}</span>`)}
		${blocked > 0 && html`<span class="muted small blocked-count" title=${t('policy.blocked_long')}>${tn('policy.blocked', blocked)}</span>`}
	</span>`;
}
