// The dashboard: the figures an operator looks at first (users, online now, expired,
// over quota), each one server-side count.
import { html, useState, useEffect } from '../../lib/html.js';
import { t, formatNumber } from '../../lib/i18n.js';
import { api, errorText } from '../../lib/api.js';
import { Link } from '../../lib/router.js';
import { Icon } from '../../lib/ui/icons.js';

// Each figure is the total of a one-row page.
const FIGURES = [
	{ key: 'users', path: '/users', query: {}, href: '/admin/users', icon: 'users' },
	{ key: 'online', path: '/status', query: { online: 1 }, icon: 'live', tone: 'ok' },
	{ key: 'expired', path: '/users', query: { state: 'expired' }, href: '/admin/users?state=expired', icon: 'sessions', tone: 'warn' },
	{ key: 'quota', path: '/users', query: { state: 'quota' }, href: '/admin/users?state=quota', icon: 'alert', tone: 'danger' },
];

function Dashboard() {
	const [values, setValues] = useState({});
	const [error, setError] = useState('');

	useEffect(() => {
		const ctl = new AbortController();
		let firstError = '';
		for (const f of FIGURES) {
			api.get(f.path, { query: { ...f.query, limit: 1 }, signal: ctl.signal }).then((res) => {
				setValues((v) => ({ ...v, [f.key]: res && typeof res.total === 'number' ? res.total : null }));
			}, (e) => {
				if (e && e.name === 'AbortError') return;
				setValues((v) => ({ ...v, [f.key]: null }));
				if (!firstError) {
					firstError = errorText(e);
					setError(firstError);
				}
			});
		}
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
				const v = values[f.key];
				const body = html`<div class="stat-top">
						<span class=${`stat-icon tone-${f.tone || 'accent'}`}><${Icon} name=${f.icon} /></span>
						<span class="stat-label">${t(`dashboard.${f.key}`)}</span>
					</div>
					<div class="stat-value">${v === undefined ? html`<span class="skeleton" aria-label=${t('common.loading')}></span>`
						: v === null ? '—' : formatNumber(v)}</div>
					<div class="stat-note">${t(`dashboard.${f.key}_note`)}</div>`;
				return f.href
					? html`<${Link} href=${f.href} class="card stat stat-link" key=${f.key}>${body}</${Link}>`
					: html`<div class="card stat" key=${f.key}>${body}</div>`;
			})}
		</div>
	</div>`;
}

export default { id: 'dashboard', path: '/admin/', title: 'nav.dashboard', icon: 'dashboard', component: Dashboard };
