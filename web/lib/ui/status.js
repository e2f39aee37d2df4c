// How a user's state, quota and presence look wherever they are shown.
import { html } from '../html.js';
import { t, formatBytes, formatRelative, formatDate } from '../i18n.js';

const TONE = { enabled: 'ok', disabled: 'neutral', expired: 'warn', quota: 'danger' };

export function StateBadge({ state }) {
	const known = state in TONE;
	return html`<span class=${`badge badge-${known ? TONE[state] : 'neutral'}`}>
		${known ? t(`state.${state}`) : state || '—'}</span>`;
}

// used of quota bytes; no quota reads "unlimited".
export function QuotaBar({ used, quota, period }) {
	if (quota == null || typeof quota !== 'number') {
		return html`<span class="muted">${typeof quota === 'string' ? quota : t('quota.unlimited')}</span>`;
	}
	const ratio = quota > 0 ? Math.min(1, (used || 0) / quota) : 1;
	const tone = ratio >= 1 ? 'danger' : ratio >= 0.8 ? 'warn' : 'ok';
	const pct = Math.round(ratio * 100);
	return html`<div class="quota">
		<div class="quota-text">
			<span>${t('quota.of', { used: formatBytes(used || 0), quota: formatBytes(quota) })}</span>
			${period === 'month' && html`<span class="muted"> ${t('quota.per_month')}</span>`}
		</div>
		<progress class=${`meter meter-${tone}`} max="100" value=${pct} aria-label=${t('quota.used_pct', { pct })}>${pct}%</progress>
	</div>`;
}

// used: the device or user has moved traffic before, so no handshake now means offline,
// not never connected (new keys start without one).
export function Presence({ online, seen, used = false }) {
	if (online) {
		return html`<span class="presence presence-on" title=${seen ? t('presence.handshake', { when: formatRelative(seen) }) : undefined}>
			<span class="dot" aria-hidden="true"></span>${t('presence.online')}</span>`;
	}
	return html`<span class="presence"><span class="dot" aria-hidden="true"></span>${seen ? formatRelative(seen) : t(used ? 'presence.offline' : 'presence.never')}</span>`;
}

// An expiry instant: a bare date D is kept as the midnight after D, so such an instant
// reads "end of D"; anything else as its date and time. null: never.
export function isEndOfDay(v) {
	const d = new Date(v * 1000);
	return d.getHours() === 0 && d.getMinutes() === 0 && d.getSeconds() === 0;
}

export function expiryText(v) {
	if (v == null) return t('users.never');
	if (isEndOfDay(v)) return t('users.end_of', { date: formatDate(v - 1) });
	return formatDate(v, true);
}

export function Expiry({ value, now = Date.now() / 1000 }) {
	if (value == null) return html`<span class="muted">${t('users.never')}</span>`;
	const past = value <= now;
	return html`<span class=${past ? 'text-warn' : ''} title=${formatDate(isEndOfDay(value) ? value - 1 : value, true)}>
		${expiryText(value)}</span>`;
}

// Bytes per second.
export function formatRate(n) {
	if (!n) return '—';
	return `${formatBytes(n)}/s`;
}

// Download (what the server sent) and upload (what it received), on one line.
export function Traffic({ rx, tx }) {
	return html`<span class="traffic" title=${`${t('traffic.down')} ${formatBytes(tx || 0)} · ${t('traffic.up')} ${formatBytes(rx || 0)}`}>
		<span class="traffic-down" aria-label=${t('traffic.down')}>↓ ${formatBytes(tx || 0)}</span>
		<span class="traffic-up" aria-label=${t('traffic.up')}>↑ ${formatBytes(rx || 0)}</span>
	</span>`;
}
