// The dashboard: the figures an operator looks at first (GET /api/v1/dashboard: users by
// state, online now, devices) and the traffic through the gateway per hour over the last
// day and per day over the last month (GET /api/v1/stats/traffic), drawn as SVG.
import { html, useState, useEffect } from '../../lib/html.js';
import { t, formatNumber, formatBytes } from '../../lib/i18n.js';
import { api, errorText } from '../../lib/api.js';
import { Link } from '../../lib/router.js';
import { Icon } from '../../lib/ui/icons.js';
import { BarChart, buckets, trafficSummary } from '../../lib/ui/chart.js';

const FIGURES = [
	{ key: 'users', href: '/admin/users', icon: 'users', note: (d) => t('dashboard.users_note', { n: formatNumber(d.enabled) }) },
	{ key: 'online', href: '/admin/status', icon: 'live', tone: 'ok',
		note: (d) => t('dashboard.online_note', { n: formatNumber(d.devices_online), of: formatNumber(d.devices) }) },
	{ key: 'expired', href: '/admin/users?state=expired', icon: 'sessions', tone: 'warn', note: () => t('dashboard.expired_note') },
	{ key: 'over_quota', href: '/admin/users?state=quota', icon: 'alert', tone: 'danger', note: () => t('dashboard.quota_note') },
	{ key: 'disabled', href: '/admin/users?state=disabled', icon: 'ban', tone: 'neutral', note: () => t('dashboard.disabled_note') },
];

export const TRAFFIC_SERIES = () => [
	{ key: 'tx_bytes', label: t('traffic.down'), class: 'bar-down' },
	{ key: 'rx_bytes', label: t('traffic.up'), class: 'bar-up' },
];

// Traffic of the gateway, or of one user: per hour over 24 hours, or per day over 30 days.
export function TrafficPanel({ user, title }) {
	const [step, setStep] = useState('hour');
	const [data, setData] = useState(null);
	const [error, setError] = useState('');
	useEffect(() => {
		const ctl = new AbortController();
		setError('');
		api.get('/stats/traffic', { query: { step, user }, signal: ctl.signal }).then((res) => {
			setData(buckets(res.traffic || [], res.from, res.to, step === 'day' ? 86400 : 3600));
		}, (e) => {
			if (!e || e.name !== 'AbortError') setError(errorText(e));
		});
		return () => ctl.abort();
	}, [step, user]);
	const sum = (data || []).reduce((a, r) => ({ rx: a.rx + (r.rx_bytes || 0), tx: a.tx + (r.tx_bytes || 0) }), { rx: 0, tx: 0 });
	return html`<section class="card panel chart-panel" aria-label=${title}>
		<div class="panel-title">
			<div>
				<h2>${title}</h2>
				<p class="muted small">${data ? t('chart.totals', { down: formatBytes(sum.tx), up: formatBytes(sum.rx) }) : ' '}</p>
			</div>
			<div class="segmented" role="group" aria-label=${t('chart.period')}>
				<button type="button" aria-pressed=${step === 'hour' ? 'true' : 'false'} onClick=${() => setStep('hour')}>${t('chart.by_hour')}</button>
				<button type="button" aria-pressed=${step === 'day' ? 'true' : 'false'} onClick=${() => setStep('day')}>${t('chart.by_day')}</button>
			</div>
		</div>
		${error ? html`<div class="banner banner-error" role="alert"><${Icon} name="alert" /><span>${error}</span></div>`
			: data ? html`<${BarChart} data=${data} series=${TRAFFIC_SERIES()} step=${step === 'day' ? 86400 : 3600}
				title=${step === 'day' ? t('chart.last_30d') : t('chart.last_24h')} summary=${trafficSummary(data, step === 'day' ? 86400 : 3600)} />`
				: html`<div class="chart-skeleton skeleton"></div>`}
	</section>`;
}

function Dashboard() {
	const [counts, setCounts] = useState(null);
	const [error, setError] = useState('');

	useEffect(() => {
		const ctl = new AbortController();
		api.get('/dashboard', { signal: ctl.signal }).then(setCounts, (e) => {
			if (!e || e.name !== 'AbortError') setError(errorText(e));
		});
		return () => ctl.abort();
	}, []);

	return html`<div class="page">
		<div class="page-head">
			<div>
				<h1>${t('nav.dashboard')}</h1>
				<p class="page-lead">${t('dashboard.lead')}</p>
			</div>
		</div>
		${error && html`<div class="banner banner-error" role="alert"><${Icon} name="alert" />
			<span>${t('dashboard.error', { error })}</span></div>`}
		<div class="cards">
			${FIGURES.map((f) => {
				const v = counts ? counts[f.key] : undefined;
				return html`<${Link} href=${f.href} class="card stat stat-link" key=${f.key}>
					<div class="stat-top">
						<span class=${`stat-icon tone-${f.tone || 'accent'}`}><${Icon} name=${f.icon} /></span>
						<span class="stat-label">${t(`dashboard.${f.key}`)}</span>
					</div>
					<div class="stat-value">${v === undefined ? (error ? '—' : html`<span class="skeleton" aria-label=${t('common.loading')}></span>`) : formatNumber(v)}</div>
					<div class="stat-note">${counts ? f.note(counts) : ' '}</div>
				</${Link}>`;
			})}
		</div>
		<${TrafficPanel} title=${t('dashboard.traffic')} />
	</div>`;
}

export default { id: 'dashboard', path: '/admin/', title: 'nav.dashboard', icon: 'dashboard', component: Dashboard };
