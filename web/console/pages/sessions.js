// Sessions: the session log, newest first, paged on the server; searched by user,
// address or endpoint, and narrowed to a period.
import { html } from '../../lib/html.js';
import { t, formatBytes, formatDate, formatDuration } from '../../lib/i18n.js';
import { api } from '../../lib/api.js';
import { DataTable } from '../../lib/ui/table.js';

const PERIODS = { day: 86400, week: 7 * 86400, month: 30 * 86400 };

// The server's DATE: YYYY-MM-DDTHH:MM:SS in local time.
function localDate(d) {
	const p = (n) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function columns() {
	return [
		{ key: 'user', label: t('sessions.user'), class: 'col-main', render: (s) => html`<span class="strong">${s.user}</span>` },
		{ key: 'started', label: t('sessions.started'), render: (s) => formatDate(s.started, true) },
		{ key: 'duration', label: t('sessions.duration'),
			render: (s) => (s.ended == null
				? html`<span class="badge badge-ok">${t('sessions.open')}</span>`
				: formatDuration(s.duration_s ?? s.ended - s.started)) },
		{ key: 'endpoint', label: t('sessions.endpoint'), render: (s) => html`<span class="mono">${s.endpoint || '—'}</span>` },
		{ key: 'address', label: t('sessions.address'), render: (s) => html`<span class="mono">${s.address || '—'}</span>` },
		{ key: 'traffic', label: t('sessions.traffic'), class: 'num',
			render: (s) => html`<span title=${`↓ ${formatBytes(s.tx_bytes)} ↑ ${formatBytes(s.rx_bytes)}`}>
				${formatBytes((s.rx_bytes || 0) + (s.tx_bytes || 0))}</span>` },
	];
}

function Sessions() {
	const fetchPage = async ({ period, ...params }, signal) => {
		const since = PERIODS[period] ? localDate(new Date(Date.now() - PERIODS[period] * 1000)) : undefined;
		const res = await api.get('/sessions', { query: { ...params, since }, signal });
		return { rows: res.sessions, total: res.total, next: res.next };
	};
	const filters = [{
		key: 'period',
		label: t('sessions.period'),
		options: [
			{ value: '', label: t('sessions.any_time') },
			{ value: 'day', label: t('sessions.last_day') },
			{ value: 'week', label: t('sessions.last_week') },
			{ value: 'month', label: t('sessions.last_month') },
		],
	}];
	return html`<div class="page">
		<div class="page-head">
			<div>
				<h1>${t('nav.sessions')}</h1>
				<p class="page-lead">${t('sessions.lead')}</p>
			</div>
		</div>
		<${DataTable} label=${t('nav.sessions')} columns=${columns()} fetchPage=${fetchPage} filters=${filters}
			rowKey=${(s) => s.id} searchLabel=${t('sessions.search')} emptyText=${t('sessions.empty')} />
	</div>`;
}

export default { id: 'sessions', path: '/admin/sessions', title: 'nav.sessions', icon: 'sessions', component: Sessions };
