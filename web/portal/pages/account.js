// The account page: the user's state (and what it means when it is not active), expiry,
// the quota used and left, the traffic per day over 30 days, and the sessions of the
// devices connected now (GET /api/v1/me, GET /api/v1/stats/traffic?step=day), and for
// each device whose tunnel the group's policy holds back, why, in plain words (with the
// next opening of the schedule from GET /api/v1/me/resources).
import { html, useState, useEffect } from '../../lib/html.js';
import { t, tn, formatBytes, formatDate, formatRelative, currentLang } from '../../lib/i18n.js';
import { api, errorText } from '../../lib/api.js';
import { Link } from '../../lib/router.js';
import { zoned } from '../../lib/time.js';
import { Icon } from '../../lib/ui/icons.js';
import { Button } from '../../lib/ui/form.js';
import { StateBadge, QuotaBar, expiryText, isEndOfDay, formatRate } from '../../lib/ui/status.js';
import { BarChart, buckets, trafficSummary } from '../../lib/ui/chart.js';
import { refreshMe } from '../me.js';
import { formatWhen } from '../../lib/ui/policy.js';

const DAY = 86400;

// The instant a monthly quota starts again: a month after its period began.
function nextReset(me) {
	if (me.quota_period !== 'month' || !me.period_start) return null;
	const d = new Date(me.period_start * 1000);
	d.setMonth(d.getMonth() + 1);
	return Math.floor(d.getTime() / 1000);
}

// "in 59 days", "3 days ago", "in 5 hours": how far the expiry is, in the page's language.
function inDays(at, now) {
	const s = at - now;
	const rtf = new Intl.RelativeTimeFormat(currentLang(), { numeric: 'auto' });
	if (Math.abs(s) < DAY) return rtf.format(Math.round(s / 3600), 'hour');
	return rtf.format(Math.round(s / DAY), 'day');
}

const quotaOf = (me) => me.quota ?? me.quota_bytes ?? null;
const usedOf = (me) => me.used ?? me.quota_used ?? 0;

// What an account that is not active means for its devices, and what to do.
function StateBanner({ me }) {
	// An account an administrator disabled has no session: signing in says why.
	if (!me.state || me.state === 'enabled' || me.state === 'disabled') return null;
	const redeem = html`<${Link} href="/redeem" class="button button-secondary">${t('portal.redeem_cta')}</${Link}>`;
	let text;
	let action = redeem;
	if (me.state === 'expired') {
		text = t('portal.state_expired', { when: me.expires ? formatDate(isEndOfDay(me.expires) ? me.expires - 1 : me.expires) : '—' });
	} else {
		const reset = nextReset(me);
		text = reset ? t('portal.state_quota_reset', { quota: formatBytes(quotaOf(me)), when: formatDate(reset) })
			: t('portal.state_quota', { quota: formatBytes(quotaOf(me)) });
	}
	return html`<div class="banner banner-warn state-banner" role="status">
		<${Icon} name="alert" />
		<span>${text}</span>
		${action}
	</div>`;
}

function Usage({ me }) {
	const quota = quotaOf(me);
	const used = usedOf(me);
	const reset = nextReset(me);
	if (quota == null) {
		return html`<div class="quota-block">
			<div class="quota-head"><span>${t('account.usage')}</span><span class="strong">${formatBytes(used)}</span></div>
			<p class="muted small">${t('portal.quota_none')}</p>
		</div>`;
	}
	const left = Math.max(0, quota - used);
	return html`<div class="quota-block">
		<div class="quota-head"><span>${t('account.usage')}</span>
			<span class=${left ? 'quota-left' : 'quota-left text-danger'}>${t('portal.quota_left', { left: formatBytes(left) })}</span></div>
		<${QuotaBar} used=${used} quota=${quota} period=${me.quota_period} />
		${reset && html`<p class="muted small quota-reset">${t('portal.quota_resets', { when: formatDate(reset) })}</p>`}
	</div>`;
}

function Traffic() {
	const [data, setData] = useState(null);
	const [error, setError] = useState('');
	const [attempt, setAttempt] = useState(0);
	useEffect(() => {
		const ctl = new AbortController();
		const d = new Date();
		d.setDate(d.getDate() - 29);
		const from = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
		setError('');
		api.get('/stats/traffic', { query: { step: 'day', from: zoned(from) }, signal: ctl.signal }).then((res) => {
			setData(buckets(res.traffic || [], res.from, res.to, DAY));
		}, (e) => {
			if (!e || e.name !== 'AbortError') setError(errorText(e));
		});
		return () => ctl.abort();
	}, [attempt]);
	const sum = (data || []).reduce((a, r) => ({ rx: a.rx + (r.rx_bytes || 0), tx: a.tx + (r.tx_bytes || 0) }), { rx: 0, tx: 0 });
	const series = [
		{ key: 'tx_bytes', label: t('traffic.down'), class: 'bar-down' },
		{ key: 'rx_bytes', label: t('traffic.up'), class: 'bar-up' },
	];
	return html`<section class="card panel chart-panel" aria-labelledby="traffic-h">
		<div class="panel-title">
			<div>
				<h2 id="traffic-h">${t('portal.traffic')}</h2>
				<p class="muted small">${data ? t('chart.totals', { down: formatBytes(sum.tx), up: formatBytes(sum.rx) }) : ' '}</p>
			</div>
		</div>
		${error ? html`<div class="banner banner-error" role="alert"><${Icon} name="alert" /><span>${error}</span>
				<${Button} kind="secondary" icon="refresh" onClick=${() => setAttempt(attempt + 1)}>${t('common.retry')}</${Button}></div>`
			: data ? html`<${BarChart} data=${data} series=${series} step=${DAY}
				title=${t('chart.last_30d')} summary=${trafficSummary(data, DAY)} />`
				: html`<div class="chart-skeleton skeleton"></div>`}
	</section>`;
}

// The devices connected now: where from, since when, the latest handshake.
function Sessions({ devices }) {
	const online = devices.filter((d) => d.online);
	const seen = devices.filter((d) => d.latest_handshake).sort((a, b) => b.latest_handshake - a.latest_handshake)[0];
	return html`<section class="card panel" aria-labelledby="session-h">
		<h2 id="session-h" class="panel-title">${t('portal.session')}</h2>
		${online.length ? html`<ul class="session-list">
			${online.map((d) => html`<li class="session" key=${d.name} data-device=${d.name}>
				<div class="session-head"><span class="presence presence-on"><span class="dot" aria-hidden="true"></span>${t('presence.online')}</span>
					<span class="strong">${d.name}</span></div>
				<dl class="details details-compact">
					<div class="details-row"><dt>${t('portal.endpoint')}</dt><dd class="mono">${d.endpoint || '—'}</dd></div>
					<div class="details-row"><dt>${t('portal.handshake')}</dt><dd>${d.latest_handshake ? formatRelative(d.latest_handshake) : '—'}</dd></div>
					${d.session_started && html`<div class="details-row"><dt>${t('portal.connected_since')}</dt><dd>${formatDate(d.session_started, true)}</dd></div>`}
					${(d.rx_rate || d.tx_rate) ? html`<div class="details-row"><dt>${t('portal.rate')}</dt>
						<dd>↓ ${formatRate(d.tx_rate)} · ↑ ${formatRate(d.rx_rate)}</dd></div>` : null}
				</dl>
			</li>`)}
		</ul>` : html`<div class="session-none">
			<p>${t('portal.no_session')}</p>
			${seen && html`<p class="muted small">${t('portal.last_handshake', { name: seen.name, when: formatRelative(seen.latest_handshake) })}</p>`}
		</div>`}
	</section>`;
}

// The group's schedule as the portal reads it: { value, open, next, timezone }, or null.
function useSchedule(want) {
	const [s, set] = useState(null);
	useEffect(() => {
		if (!want) return undefined;
		const ctl = new AbortController();
		api.get('/me/resources', { signal: ctl.signal }).then((r) => set(r && r.schedule ? r.schedule : null), () => {});
		return () => ctl.abort();
	}, [want]);
	return s;
}

// What the policy says of one device, as { tone, text } lines.
function reasons(d, schedule, idle) {
	const p = d.policy;
	if (!p || typeof p !== 'object') return [];
	const out = [];
	if (p.schedule_open === false) {
		out.push({ tone: 'warn', key: 'schedule', text: schedule && schedule.next
			? t('tunnel.closed_opens', { when: formatWhen(schedule.next) }) : t('tunnel.closed') });
	}
	if (p.endpoint_allowed === false) out.push({ tone: 'danger', key: 'endpoint', text: t('tunnel.endpoint') });
	// The one reading this is signed in; a device that is not counted as signed in
	// has its tunnel held back until its own sign-in.
	if (p.signed_in === true) {
		const m = idle ? Math.max(1, Math.round(idle / 60)) : 0;
		out.push({ tone: 'ok', key: 'signin', text: m ? tn('tunnel.signed_in_idle', m) : t('tunnel.signed_in') });
	} else if (p.signed_in === false) out.push({ tone: 'warn', key: 'signin', text: t('tunnel.sign_in') });
	return out;
}

function Tunnels({ devices, me }) {
	const any = devices.some((d) => d.policy && (d.policy.schedule_open === false || 'signed_in' in d.policy || d.policy.endpoint_allowed === false));
	const schedule = useSchedule(devices.some((d) => d.policy && d.policy.schedule_open === false));
	if (!any) return null;
	const idle = me.idle ?? (me.policy && (me.policy.idle?.value ?? me.policy.idle)) ?? null;
	const rows = devices.map((d) => ({ d, r: reasons(d, schedule, idle) })).filter((x) => x.r.length);
	const held = rows.some((x) => x.r.some((r) => r.tone !== 'ok'));
	return html`<section class="card panel tunnel-panel" aria-labelledby="tunnel-h">
		<h2 id="tunnel-h" class="panel-title">${held ? t('tunnel.title_held') : t('tunnel.title')}</h2>
		<ul class="tunnel-list">
			${rows.map(({ d, r }) => html`<li class="tunnel" key=${d.name} data-device=${d.name}>
				<div class="strong tunnel-device"><${Icon} name="device" size=${16} />${d.name}</div>
				<ul class="tunnel-reasons">
					${r.map((x) => html`<li class=${`tunnel-reason tone-${x.tone}`} data-reason=${x.key}>
						<${Icon} name=${x.tone === 'ok' ? 'check' : x.key === 'schedule' ? 'clock' : 'alert'} size=${16} />
						<span>${x.text}</span></li>`)}
				</ul>
				${d.policy && d.policy.blocked_packets > 0 && html`<p class="muted small">${tn('tunnel.blocked', d.policy.blocked_packets)}</p>`}
			</li>`)}
		</ul>
	</section>`;
}

function Account({ session, me }) {
	const [error, setError] = useState('');
	const retry = () => {
		setError('');
		refreshMe().catch((e) => setError(errorText(e)));
	};
	useEffect(() => {
		if (!me) refreshMe().catch((e) => setError(errorText(e)));
	}, []);

	if (!me) {
		if (error) {
			return html`<div class="page"><div class="banner banner-error" role="alert"><${Icon} name="alert" />
				<span>${t('account.error', { error })}</span>
				<${Button} kind="secondary" icon="refresh" onClick=${retry}>${t('common.retry')}</${Button}>
			</div></div>`;
		}
		return html`<div class="page"><p class="muted" aria-busy="true">${t('common.loading')}</p></div>`;
	}
	const devices = Array.isArray(me.devices) ? me.devices : [];
	const now = Date.now() / 1000;
	return html`<div class="page account-page">
		<div class="page-head">
			<div>
				<h1>${t('account.hello', { name: me.name || session.name })}</h1>
				<p class="page-lead">${t('account.lead')}</p>
			</div>
		</div>
		<${StateBanner} me=${me} />
		<${Tunnels} devices=${devices} me=${me} />
		<div class="pgrid">
			<section class="card panel" aria-labelledby="acct-h">
				<h2 id="acct-h" class="panel-title">${t('account.title')}</h2>
				<dl class="details">
					<div class="details-row"><dt>${t('users.state')}</dt><dd><${StateBadge} state=${me.state} /></dd></div>
					<div class="details-row"><dt>${t('users.expires')}</dt><dd class="expiry">
						<span>${expiryText(me.expires)}</span>
						${me.expires && html`<span class=${`small ${me.expires <= now ? 'text-warn' : 'muted'}`}>${inDays(me.expires, now)}</span>`}
					</dd></div>
					${me.group && html`<div class="details-row"><dt>${t('users.group')}</dt><dd>${me.group}</dd></div>`}
					<div class="details-row"><dt>${t('account.devices')}</dt><dd>
						<${Link} href="/devices">${me.max_devices ? t('devices.count_of', { n: devices.length, max: me.max_devices })
							: tn('account.device_count', devices.length)}</${Link}></dd></div>
				</dl>
				<${Usage} me=${me} />
			</section>
			<${Sessions} devices=${devices} />
		</div>
		<${Traffic} />
	</div>`;
}

export default { id: 'account', path: '/', title: 'portal.account', nav: 'portal.nav_account', icon: 'user', component: Account };
