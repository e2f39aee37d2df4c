// The fields a user is added and edited with: expiry (a date, the end of that day unless
// a time is given, or never), quota (a size, per month or in all), and the groups to
// choose from.
import { html, useState, useEffect } from '../lib/html.js';
import { t } from '../lib/i18n.js';
import { zoned } from '../lib/time.js';
import { api } from '../lib/api.js';
import { TextField } from '../lib/ui/form.js';
import { isEndOfDay } from '../lib/ui/status.js';

const p2 = (n) => String(n).padStart(2, '0');
const ymd = (d) => `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}`;

// The form's fields for an expiry instant (null: never).
export function expiryFields(v) {
	if (v == null) return { date: '', time: '' };
	if (isEndOfDay(v)) return { date: ymd(new Date((v - 1) * 1000)), time: '' };
	const d = new Date(v * 1000);
	return { date: ymd(d), time: `${p2(d.getHours())}:${p2(d.getMinutes())}` };
}

// What the API takes: YYYY-MM-DD (the end of that day), YYYY-MM-DDTHH:MM, or null.
// In the browser's zone: a bare date ends at the midnight that closes it, as it does
// on the server's command line in the server's zone.
export function expiryValue(f) {
	if (!f.date) return null;
	return f.time ? zoned(`${f.date}T${f.time}`) : zoned(f.date, true);
}

const UNITS = [['TiB', 1024 ** 4], ['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024], ['B', 1]];

// A size as the API writes it: the largest unit that divides it.
export function sizeText(bytes) {
	if (!bytes) return '';
	for (const [u, n] of UNITS) if (bytes % n === 0) return `${bytes / n}${u}`;
	return `${bytes}B`;
}

export function quotaFields(u) {
	return { quota: sizeText(u.quota_bytes), monthly: u.quota_period === 'month', reset_day: String(u.quota_reset_day || 1) };
}

export function quotaValue(f) {
	const q = (f.quota || '').trim().replace(/\s+/g, '');
	if (!q) return null;
	if (q.includes('/')) return q;
	return f.monthly ? `${q}/month` : q;
}

export function ExpiryField({ f, set }) {
	return html`<fieldset class="fieldset">
		<legend>${t('users.expires')} <span class="optional">${t('form.optional')}</span></legend>
		<div class="form-row">
			<${TextField} label=${t('users.expires_date')} type="date" value=${f.date} onInput=${set('date')} />
			<${TextField} label=${t('users.expires_time')} type="time" value=${f.time} onInput=${set('time')} disabled=${!f.date} />
		</div>
		<p class="hint">${f.date ? (f.time ? t('users.expires_hint_time') : t('users.expires_hint_day')) : t('users.expires_hint_never')}</p>
	</fieldset>`;
}

export function QuotaField({ f, set }) {
	return html`<fieldset class="fieldset">
		<legend>${t('users.quota')} <span class="optional">${t('form.optional')}</span></legend>
		<${TextField} label=${t('users.quota_size')} hint=${t('users.quota_hint')} value=${f.quota} onInput=${set('quota')}
			autocomplete="off" spellcheck=${false} placeholder="50GiB" />
		<label class="check-label">
			<input type="checkbox" class="check" checked=${!!f.monthly} onChange=${(e) => set('monthly')(e.currentTarget.checked)} />
			<span>${t('users.quota_monthly')}</span>
		</label>
		${f.monthly && f.reset_day !== undefined && html`<${TextField} label=${t('users.reset_day')} hint=${t('users.reset_day_hint')}
			type="number" min="1" max="31" value=${f.reset_day} onInput=${set('reset_day')} />`}
	</fieldset>`;
}

// The names of the groups, "default" first.
export function useGroups(when = true) {
	const [groups, setGroups] = useState(['default']);
	useEffect(() => {
		if (!when) return undefined;
		const ctl = new AbortController();
		api.get('/groups', { signal: ctl.signal }).then((res) => {
			const names = (res.groups || []).map((g) => g.name);
			setGroups(['default', ...names.filter((n) => n !== 'default').sort()]);
		}, () => {});
		return () => ctl.abort();
	}, [when]);
	return groups;
}
