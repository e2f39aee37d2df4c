// How a user's state, quota and presence look wherever they are shown.
import { html } from '../html.js';
import { t, formatBytes, formatRelative } from '../i18n.js';

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

export function Presence({ online, seen }) {
	if (online) return html`<span class="presence presence-on"><span class="dot" aria-hidden="true"></span>${t('presence.online')}</span>`;
	return html`<span class="presence"><span class="dot" aria-hidden="true"></span>${seen ? formatRelative(seen) : t('presence.never')}</span>`;
}
