// The audit log: who changed what, from where, and how the server answered
// (GET /api/v1/audit), newest first, searched and paged on the server.
import { html } from '../../lib/html.js';
import { t, formatDate } from '../../lib/i18n.js';
import { api } from '../../lib/api.js';
import { DataTable } from '../../lib/ui/table.js';
import { zonedQuery } from '../../lib/time.js';

function detail(d) {
	if (!d || typeof d !== 'object') return '';
	return Object.entries(d).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
}

function columns() {
	return [
		{ key: 'at', label: t('audit.at'), render: (a) => html`<span class="nowrap">${formatDate(a.at, true)}</span>` },
		{ key: 'actor', label: t('audit.actor'), class: 'col-main', render: (a) => html`<div class="cell-main"><span class="strong">${a.actor}</span>
			<span class="muted small mono">${a.source}</span></div>` },
		{ key: 'op', label: t('audit.op'), render: (a) => html`<span class="mono">${a.op}</span>` },
		{ key: 'target', label: t('audit.target'), render: (a) => html`<span class="strong">${a.target || '—'}</span>` },
		{ key: 'status', label: t('audit.status'), render: (a) => html`<span class=${`badge ${a.status < 300 ? 'badge-ok' : a.status < 500 ? 'badge-warn' : 'badge-danger'}`}>${a.status}</span>` },
		{ key: 'detail', label: t('audit.detail'), class: 'col-detail', render: (a) => html`<span class="mono small detail-text">${detail(a.detail) || '—'}</span>` },
	];
}

function Audit() {
	const fetchPage = async (q, signal) => {
		const res = await api.get('/audit', { query: zonedQuery(q, ['since', 'until']), signal });
		return { rows: res.audit, total: res.total, next: res.next };
	};
	const filters = [
		{ key: 'actor', type: 'text', label: t('audit.actor_filter'), placeholder: t('audit.actor_filter') },
		{ key: 'since', type: 'datetime-local', label: t('sessions.since') },
		{ key: 'until', type: 'datetime-local', label: t('sessions.until') },
	];
	return html`<div class="page">
		<div class="page-head">
			<div>
				<h1>${t('nav.audit')}</h1>
				<p class="page-lead">${t('audit.lead')}</p>
			</div>
		</div>
		<${DataTable} label=${t('nav.audit')} columns=${columns()} fetchPage=${fetchPage} filters=${filters}
			rowKey=${(a) => a.id} searchFull searchLabel=${t('audit.search')} emptyText=${t('audit.empty')} />
	</div>`;
}

export default { id: 'audit', path: '/admin/audit', title: 'nav.audit', icon: 'audit', component: Audit };
