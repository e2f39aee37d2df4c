// The DNS query log (GET /api/v1/dns/log), newest first and paged on the server like the
// users list: searched by domain, narrowed to a user, a device, a type, blocked or
// allowed, an answer code and a time range. A row names the user and device (not an
// address), the name asked, the answer, the block list that blocked it and the upstream's
// time; a row that stands for queries over the device's rate says how many.
import { html } from '../../lib/html.js';
import { t, tn } from '../../lib/i18n.js';
import { api } from '../../lib/api.js';
import { Link } from '../../lib/router.js';
import { DataTable } from '../../lib/ui/table.js';
import { zonedQuery } from '../../lib/time.js';
import { DnsHead, formatStamp, rcodeName, RCODES, QTYPES } from './dns.js';

export function ResultBadge({ e }) {
	if (e.blocked) {
		return html`<span class="badge badge-danger">${t('dns.blocked')}</span>
			${e.list && html` <span class="muted small">${e.list}</span>`}`;
	}
	const r = rcodeName(e.rcode);
	const tone = r === 'NOERROR' ? 'ok' : r === 'NXDOMAIN' ? 'neutral' : 'warn';
	return html`<span class=${`badge badge-${tone}`}>${r}</span>`;
}

const userLink = (u) => `/admin/users/${encodeURIComponent(u)}`;

function columns() {
	return [
		{ key: 'at', label: t('dns.at'), render: (e) => html`<span class="nowrap">${formatStamp(e.at)}</span>` },
		{ key: 'name', label: t('dns.name'), class: 'col-main',
			render: (e) => html`<div class="cell-main"><span class="mono strong">${e.name}</span>
				${e.collapsed > 0 && html`<span class="muted small">${tn('dns.collapsed', e.collapsed)}</span>`}</div>` },
		{ key: 'type', label: t('dns.type'), render: (e) => html`<span class="mono">${e.type}</span>` },
		{ key: 'user', label: t('dns.user'),
			render: (e) => (e.user
				? html`<div class="cell-main"><${Link} class="row-link" href=${userLink(e.user)}>${e.user}</${Link}>
					${e.device && e.device !== e.user && html`<span class="muted small">${e.device}</span>`}</div>`
				: html`<span class="muted">${e.device || t('dns.unknown_client')}</span>`) },
		{ key: 'result', label: t('dns.result'), render: (e) => html`<${ResultBadge} e=${e} />` },
		{ key: 'upstream_ms', label: t('dns.upstream_ms'), class: 'num',
			empty: (e) => e.upstream_ms == null,
			render: (e) => (e.upstream_ms == null ? html`<span class="muted">${t('dns.no_upstream')}</span>`
				: t('dns.ms', { n: e.upstream_ms })) },
	];
}

// The log, of everyone with the filters, or of one user (its page) without them.
export function DnsLogTable({ user, filters = [], initial, limit = 50 }) {
	const fetchPage = async (q, signal) => {
		const query = { q: q.q, limit: q.limit, cursor: q.cursor, user: user || q.user, device: q.device,
			type: q.type, result: q.result, rcode: q.rcode, since: q.since, until: q.until };
		const res = await api.get('/dns/log', { query: zonedQuery(query, ['since', 'until']), signal });
		return { rows: res.entries || [], total: res.total, next: res.next };
	};
	return html`<${DataTable} label=${t('dns.log_title')} columns=${columns()} fetchPage=${fetchPage}
		filters=${filters} initial=${initial} rowKey=${(e) => e.id} limit=${limit} search=${!filters.length}
		searchLabel=${t('dns.search')} emptyText=${t('dns.log_empty')} />`;
}

function DnsLog() {
	const any = (label) => ({ value: '', label });
	const filters = [
		{ key: 'q', type: 'text', label: t('dns.search'), placeholder: t('dns.search') },
		{ key: 'user', type: 'text', label: t('dns.user_filter'), placeholder: t('dns.user_filter') },
		{ key: 'device', type: 'text', label: t('dns.device_filter'), placeholder: t('dns.device_filter') },
		{ key: 'type', label: t('dns.type_filter'), options: [any(t('dns.any_type')), ...QTYPES.map((x) => ({ value: x, label: x }))] },
		{ key: 'result', label: t('dns.result_filter'), options: [any(t('dns.any_result')),
			{ value: 'blocked', label: t('dns.blocked') }, { value: 'allowed', label: t('dns.allowed') }] },
		{ key: 'rcode', label: t('dns.rcode_filter'), options: [any(t('dns.any_rcode')),
			...[0, 3, 2, 5].map((c) => ({ value: RCODES[c], label: RCODES[c] }))] },
		{ key: 'since', type: 'datetime-local', label: t('dns.since') },
		{ key: 'until', type: 'datetime-local', label: t('dns.until') },
	];
	// A link from the statistics: ?user=alice, ?q=example.com, ?result=blocked
	const p = new URLSearchParams(location.search);
	const initial = {};
	for (const k of ['q', 'user', 'device', 'result', 'type']) if (p.get(k)) initial[k] = p.get(k);
	return html`<div class="page">
		<${DnsHead} current="dns" title=${t('dns.log_title')} lead=${t('dns.log_lead')} />
		<${DnsLogTable} filters=${filters} initial=${initial} />
	</div>`;
}

export default { id: 'dns', path: '/admin/dns', routes: ['/admin/dns/log'], title: 'nav.dns', icon: 'globe', component: DnsLog };
