// Sessions: the session log, newest first (or oldest), paged on the server; queried by
// user, time range and endpoint or address text; above it the statistics of the same
// period: sessions per day and the users with the most traffic.
import { html, useState, useEffect } from '../../lib/html.js';
import { t, tn, formatBytes, formatDate, formatDuration } from '../../lib/i18n.js';
import { api, errorText } from '../../lib/api.js';
import { Link } from '../../lib/router.js';
import { DataTable } from '../../lib/ui/table.js';
import { BarChart, buckets } from '../../lib/ui/chart.js';
import { Traffic } from '../../lib/ui/status.js';
import { Icon } from '../../lib/ui/icons.js';
import { zoned, zonedQuery } from '../../lib/time.js';

function columns(withUser) {
	return [
		withUser && { key: 'user', label: t('sessions.user'), class: 'col-main',
			render: (s) => html`<div class="cell-main"><${Link} class="strong row-link" href=${`/admin/users/${encodeURIComponent(s.user)}`}>${s.user}</${Link}>
				${s.device && s.device !== s.user && html`<span class="muted small">${s.device}</span>`}</div>` },
		!withUser && { key: 'device', label: t('sessions.device'), class: 'col-main', render: (s) => html`<span class="strong">${s.device || '—'}</span>` },
		{ key: 'started', label: t('sessions.started'), render: (s) => formatDate(s.started, true) },
		{ key: 'duration', label: t('sessions.duration'),
			render: (s) => (s.ended == null
				? html`<span class="badge badge-ok">${t('sessions.open')}</span> <span class="muted small">${formatDuration(s.duration_s)}</span>`
				: formatDuration(s.duration_s ?? s.ended - s.started)) },
		{ key: 'endpoint', label: t('sessions.endpoint'), render: (s) => html`<span class="mono">${s.endpoint || '—'}</span>
			${s.endpoint_changes && s.endpoint_changes.length > 1 && html` <span class="muted small" title=${s.endpoint_changes.map((c) => `${formatDate(c.at, true)} ${c.endpoint}`).join('\n')}>
				${t('sessions.moves', { n: s.endpoint_changes.length - 1 })}</span>`}` },
		{ key: 'address', label: t('sessions.address'), render: (s) => html`<span class="mono">${s.address || '—'}</span>` },
		{ key: 'traffic', label: t('sessions.traffic'), class: 'num', render: (s) => html`<${Traffic} rx=${s.rx_bytes} tx=${s.tx_bytes} />` },
	].filter(Boolean);
}

// The log of one user (on its page), or of everyone with the query's filters.
export function SessionTable({ user, filters = [], initial, onQuery }) {
	const fetchPage = async (q, signal) => {
		const query = { ...q };
		if (user) query.user = user;
		if (onQuery) onQuery(query);
		const res = await api.get('/sessions', { query: zonedQuery(query, ['since', 'until']), signal });
		return { rows: res.sessions, total: res.total, next: res.next };
	};
	return html`<${DataTable} label=${t('nav.sessions')} columns=${columns(!user)} fetchPage=${fetchPage} filters=${filters}
		initial=${initial} rowKey=${(s) => s.id} searchLabel=${t('sessions.search')} emptyText=${t('sessions.empty')}
		limit=${user ? 10 : 50} searchFull=${filters.length > 2} />`;
}

function Stats({ since, until }) {
	const [data, setData] = useState(null);
	const [error, setError] = useState('');
	useEffect(() => {
		const ctl = new AbortController();
		setError('');
		const query = {};
		if (since) query.from = zoned(since);
		if (until) query.to = zoned(until);
		api.get('/stats/sessions', { query, signal: ctl.signal }).then((res) => setData({
			perDay: buckets(res.per_day || [], res.from, res.to, 86400),
			top: res.top_users || [],
		}), (e) => {
			if (!e || e.name !== 'AbortError') setError(errorText(e));
		});
		return () => ctl.abort();
	}, [since, until]);
	if (error) return html`<div class="banner banner-error" role="alert"><${Icon} name="alert" /><span>${error}</span></div>`;
	const total = data ? data.perDay.reduce((a, r) => a + (r.sessions || 0), 0) : 0;
	const topMax = data && data.top.length ? Math.max(...data.top.map((u) => u.rx_bytes + u.tx_bytes)) : 1;
	return html`<div class="stats-grid">
		<section class="card panel chart-panel" aria-labelledby="per-day-title">
			<div class="panel-title"><div><h2 id="per-day-title">${t('stats.per_day')}</h2>
				<p class="muted small">${data ? tn('stats.total', total) : ' '}</p></div></div>
			${data ? html`<${BarChart} data=${data.perDay} bytes=${false} step=${86400}
				series=${[{ key: 'sessions', label: t('stats.sessions'), class: 'bar-down' }]}
				summary=${tn('stats.total', total)} />` : html`<div class="chart-skeleton skeleton"></div>`}
		</section>
		<section class="card panel" aria-labelledby="top-title">
			<div class="panel-title"><h2 id="top-title">${t('stats.top_users')}</h2></div>
			${data && !data.top.length && html`<p class="muted">${t('stats.no_traffic')}</p>`}
			${data && data.top.length > 0 && html`<ol class="toplist">
				${data.top.map((u) => html`<li>
					<div class="toplist-row"><${Link} href=${`/admin/users/${encodeURIComponent(u.user)}`} class="strong">${u.user}</${Link}>
						<span class="num">${formatBytes(u.rx_bytes + u.tx_bytes)}</span></div>
					<progress class="meter" max="100" value=${Math.round(((u.rx_bytes + u.tx_bytes) / topMax) * 100)}
						aria-label=${`${u.user}: ${formatBytes(u.rx_bytes + u.tx_bytes)}`}></progress>
				</li>`)}
			</ol>`}
		</section>
	</div>`;
}

function Sessions() {
	const [period, setPeriod] = useState({ since: '', until: '' });
	const filters = [
		{ key: 'user', type: 'text', label: t('sessions.user_filter'), placeholder: t('sessions.user_filter') },
		{ key: 'since', type: 'datetime-local', label: t('sessions.since') },
		{ key: 'until', type: 'datetime-local', label: t('sessions.until') },
		{ key: 'order', label: t('sessions.order'), options: [
			{ value: '', label: t('sessions.newest') }, { value: 'oldest', label: t('sessions.oldest') }] },
	];
	const onQuery = (q) => {
		if ((q.since || '') !== period.since || (q.until || '') !== period.until) {
			setPeriod({ since: q.since || '', until: q.until || '' });
		}
	};
	return html`<div class="page">
		<div class="page-head">
			<div>
				<h1>${t('nav.sessions')}</h1>
				<p class="page-lead">${t('sessions.lead')}</p>
			</div>
		</div>
		<${Stats} since=${period.since} until=${period.until} />
		<${SessionTable} filters=${filters} onQuery=${onQuery} />
	</div>`;
}

export default { id: 'sessions', path: '/admin/sessions', title: 'nav.sessions', icon: 'sessions', component: Sessions };
