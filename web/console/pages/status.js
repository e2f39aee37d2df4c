// Live status: every device with its user, endpoint, addresses, latest handshake,
// traffic and rates (GET /api/v1/status), paged and searched on the server; the rows on
// screen follow the event stream's status changes without asking again.
import { html, useRef } from '../../lib/html.js';
import { t } from '../../lib/i18n.js';
import { api } from '../../lib/api.js';
import { useEvents } from '../../lib/sse.js';
import { Link } from '../../lib/router.js';
import { DataTable } from '../../lib/ui/table.js';
import { Presence, Traffic, formatRate } from '../../lib/ui/status.js';
import { LiveBadge } from '../live.js';
import { PolicyState, holds } from '../../lib/ui/policy.js';

const key = (d) => `${d.user}/${d.device}`;

function columns() {
	return [
		{ key: 'device', label: t('status.device'), class: 'col-main',
			render: (d) => html`<div class="cell-main">
				<${Link} class="strong row-link" href=${`/admin/users/${encodeURIComponent(d.user)}`}>${d.user}</${Link}>
				<span class="muted small sub">${[d.device !== d.user ? d.device : '', d.kind === 'agent' ? t('device.kind.agent') : '',
					d.state !== 'enabled' ? t(`state.${d.state}`) : ''].filter(Boolean).join(' · ')}</span></div>` },
		{ key: 'online', label: t('status.online'), render: (d) => html`<span class="presence-cell" data-online=${d.online ? 'true' : 'false'}>
			<${Presence} online=${d.online} seen=${d.latest_handshake} used=${(d.rx_bytes || 0) + (d.tx_bytes || 0) > 0} /></span>` },
		{ key: 'endpoint', label: t('status.endpoint'), empty: (d) => !d.endpoint, render: (d) => html`<span class="mono">${d.endpoint || '—'}</span>` },
		{ key: 'addresses', label: t('status.addresses'), render: (d) => html`<span class="mono">${(d.addresses || []).join(' ') || '—'}</span>` },
		{ key: 'rate', label: t('status.rate'), class: 'num', empty: (d) => !d.online, render: (d) => (d.online
			? html`<span class="rate">↓ ${formatRate(d.tx_rate)} <span class="muted">↑ ${formatRate(d.rx_rate)}</span></span>` : html`<span class="muted">—</span>`) },
		{ key: 'traffic', label: t('status.traffic'), class: 'num', render: (d) => html`<${Traffic} rx=${d.rx_bytes} tx=${d.tx_bytes} />` },
		{ key: 'policy', label: t('status.policy'), empty: (d) => !holds(d.policy).length && !(d.policy && d.policy.blocked_packets),
			render: (d) => html`<${PolicyState} policy=${d.policy} />` },
	];
}

function Status() {
	const patch = useRef(null);
	const live = useEvents(['status'], (type, data) => {
		if (!patch.current || !Array.isArray(data.devices)) return;
		for (const d of data.devices) if (d && d.user && d.device) patch.current(key(d), d);
	});
	const fetchPage = async (q, signal) => {
		const query = { ...q };
		if (query.online !== '1') delete query.online;
		delete query.sort;
		const res = await api.get('/status', { query, signal });
		return { rows: res.devices, total: res.total, next: res.next };
	};
	const filters = [{ key: 'online', label: t('status.which'), options: [
		{ value: '', label: t('status.all') }, { value: '1', label: t('status.only_online') }] }];
	return html`<div class="page">
		<div class="page-head">
			<div>
				<h1>${t('nav.status')}</h1>
				<p class="page-lead">${t('status.lead')}</p>
			</div>
			<div class="page-actions"><${LiveBadge} state=${live} /></div>
		</div>
		<${DataTable} label=${t('nav.status')} columns=${columns()} fetchPage=${fetchPage} filters=${filters}
			rowKey=${key} patch=${patch} searchLabel=${t('status.search')} emptyText=${t('status.empty')}
			rowClass=${(d) => (d.online ? 'row-online' : '')} />
	</div>`;
}

export default { id: 'status', path: '/admin/status', title: 'nav.status', icon: 'live', component: Status };
