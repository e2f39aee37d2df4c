// Users: the server's list, searched, filtered, sorted and paged on the server, with
// live changes patched into the rows on screen; a user's details; adding one (admins).
import { html, useState, useRef, useEffect } from '../../lib/html.js';
import { t, formatBytes, formatDate } from '../../lib/i18n.js';
import { api, errorText } from '../../lib/api.js';
import { openEvents } from '../../lib/sse.js';
import { DataTable } from '../../lib/ui/table.js';
import { Modal } from '../../lib/ui/modal.js';
import { TextField, Button, FormError } from '../../lib/ui/form.js';
import { StateBadge, QuotaBar, Presence } from '../../lib/ui/status.js';
import { toast } from '../../lib/ui/toast.js';

const STATES = ['enabled', 'disabled', 'expired', 'quota'];

const quotaUsed = (u) => u.quota_used ?? u.used ?? null;
const quotaOf = (u) => u.quota_bytes ?? u.quota ?? null;

function columns() {
	return [
		{ key: 'name', label: t('users.name'), sort: 'name', class: 'col-main',
			render: (u) => html`<div class="cell-main"><span class="strong">${u.name}</span>
				${u.group && html`<span class="muted small">${u.group}</span>`}</div>` },
		{ key: 'state', label: t('users.state'), render: (u) => html`<${StateBadge} state=${u.state} />` },
		{ key: 'online', label: t('users.online'), sort: 'last_seen',
			render: (u) => html`<${Presence} online=${u.online} seen=${u.latest_handshake} />` },
		{ key: 'expires', label: t('users.expires'), sort: 'expires',
			render: (u) => (u.expires ? formatDate(u.expires) : html`<span class="muted">${t('users.never')}</span>`) },
		{ key: 'quota', label: t('users.quota'), sort: 'used', class: 'col-quota',
			render: (u) => html`<${QuotaBar} used=${quotaUsed(u)} quota=${quotaOf(u)} period=${u.quota_period} />` },
		{ key: 'traffic', label: t('users.traffic'), class: 'num',
			render: (u) => formatBytes((u.rx_bytes || 0) + (u.tx_bytes || 0)) },
	];
}

function Detail({ user }) {
	const rows = [
		[t('users.state'), html`<${StateBadge} state=${user.state} />`],
		[t('users.group'), user.group || '—'],
		[t('users.addresses'), (user.addresses || []).join(', ') || '—'],
		[t('users.expires'), user.expires ? formatDate(user.expires, true) : t('users.never')],
		[t('users.quota'), html`<${QuotaBar} used=${quotaUsed(user)} quota=${quotaOf(user)} period=${user.quota_period} />`],
		[t('users.received'), formatBytes(user.rx_bytes)],
		[t('users.sent'), formatBytes(user.tx_bytes)],
		[t('users.online'), html`<${Presence} online=${user.online} seen=${user.latest_handshake} />`],
		[t('users.endpoint'), user.endpoint || '—'],
	];
	return html`<dl class="details">${rows.map(([k, v]) => html`<div class="details-row"><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>`;
}

function AddUser({ open, onClose, onAdded }) {
	const [name, setName] = useState('');
	const [expires, setExpires] = useState('');
	const [quota, setQuota] = useState('');
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState('');

	useEffect(() => {
		if (open) {
			setName('');
			setExpires('');
			setQuota('');
			setError('');
		}
	}, [open]);

	const submit = async (e) => {
		e.preventDefault();
		if (!name.trim()) {
			setError(t('users.add_need_name'));
			return;
		}
		const body = { name: name.trim() };
		if (expires) body.expires = expires;
		if (quota.trim()) body.quota = quota.trim();
		setBusy(true);
		setError('');
		try {
			await api.post('/users', body);
			toast(t('users.added', { name: body.name }), { kind: 'ok' });
			onAdded();
		} catch (err) {
			setError(errorText(err));
		} finally {
			setBusy(false);
		}
	};

	return html`<${Modal} open=${open} title=${t('users.add_title')} onClose=${onClose}>
		<form class="form" id="add-user" onSubmit=${submit} novalidate>
			<${FormError} message=${error} />
			<${TextField} label=${t('users.name')} hint=${t('users.name_hint')} value=${name} onInput=${setName}
				autocomplete="off" autocapitalize="none" spellcheck=${false} required autofocus />
			<${TextField} label=${t('users.expires')} type="date" value=${expires} onInput=${setExpires} optional />
			<${TextField} label=${t('users.quota')} hint=${t('users.quota_hint')} value=${quota} onInput=${setQuota}
				optional autocomplete="off" spellcheck=${false} />
			<div class="form-actions">
				<${Button} kind="secondary" onClick=${onClose}>${t('common.cancel')}</${Button}>
				<${Button} type="submit" busy=${busy}>${t('users.add')}</${Button}>
			</div>
		</form>
	</${Modal}>`;
}

function Users({ session }) {
	const [live, setLive] = useState('');
	const [open, setOpen] = useState(null);
	const [adding, setAdding] = useState(false);
	const [reload, setReload] = useState(0);
	const patch = useRef(null);
	const initial = {};
	const state = new URLSearchParams(location.search).get('state');
	if (STATES.includes(state)) initial.state = state;

	useEffect(() => {
		const events = openEvents({
			types: ['user', 'status'],
			onState: setLive,
			onEvent: (type, data) => {
				const name = data && (data.name || data.user);
				if (name && patch.current) patch.current(name, data);
			},
		});
		return () => events.close();
	}, []);

	const fetchPage = async (params, signal) => {
		const res = await api.get('/users', { query: params, signal });
		return { rows: res.users, total: res.total, next: res.next };
	};
	const filters = [{
		key: 'state',
		label: t('users.state'),
		options: [{ value: '', label: t('users.all_states') }, ...STATES.map((s) => ({ value: s, label: t(`state.${s}`) }))],
	}];
	const canEdit = session.role === 'admin';

	return html`<div class="page">
		<div class="page-head">
			<div>
				<h1>${t('nav.users')}</h1>
				<p class="page-lead">${t('users.lead')}</p>
			</div>
			<div class="page-actions">
				${live && html`<span class=${`live live-${live}`}><span class="dot" aria-hidden="true"></span>
					${t(live === 'open' ? 'live.open' : 'live.retrying')}</span>`}
				${canEdit && html`<${Button} icon="plus" onClick=${() => setAdding(true)}>${t('users.add')}</${Button}>`}
			</div>
		</div>
		<${DataTable} label=${t('nav.users')} columns=${columns()} fetchPage=${fetchPage} filters=${filters}
			initial=${initial} rowKey=${(u) => u.name} onOpen=${setOpen} defaultSort="name" patch=${patch}
			searchLabel=${t('users.search')} emptyText=${t('users.empty')} reload=${reload} />
		<${Modal} open=${!!open} title=${open ? open.name : ''} onClose=${() => setOpen(null)}
			footer=${html`<${Button} kind="secondary" onClick=${() => setOpen(null)}>${t('common.close')}</${Button}>`}>
			${open && html`<${Detail} user=${open} />`}
		</${Modal}>
		<${AddUser} open=${adding} onClose=${() => setAdding(false)}
			onAdded=${() => { setAdding(false); setReload(reload + 1); }} />
	</div>`;
}

export default { id: 'users', path: '/admin/users', title: 'nav.users', icon: 'users', component: Users };
