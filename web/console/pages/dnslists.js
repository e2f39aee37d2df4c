// DNS block lists (GET /api/v1/dns/lists): each with its source (a URL or a file on the
// server), the groups it filters for (none: every group), whether it is on, how often it
// is fetched, and what the last fetch gave: when, how many names, how many lines it could
// not read and its error. Added in a dialog; turned on and off, fetched now and deleted
// from its row (PATCH, POST .../refresh, DELETE /api/v1/dns/lists/{name}).
import { html, useState, useEffect } from '../../lib/html.js';
import { t, tn, formatNumber, formatRelative, formatDate } from '../../lib/i18n.js';
import { api, seg } from '../../lib/api.js';
import { DataTable } from '../../lib/ui/table.js';
import { Modal } from '../../lib/ui/modal.js';
import { TextField, SelectField, Button, FormError } from '../../lib/ui/form.js';
import { ConfirmDialog } from '../../lib/ui/dialogs.js';
import { toast } from '../../lib/ui/toast.js';
import { useGroups } from '../userform.js';
import { DnsHead, GroupPicker, GroupChips, fieldError, dnsErrorText, noResolver, NoResolver } from './dns.js';

const REFRESH = [3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400];
const NAME = /^[a-z0-9][a-z0-9._-]{0,31}$/;

function refreshText(s) {
	if (!s) return t('dns.refresh_never');
	if (s % 86400 === 0) return tn('dns.every_days', s / 86400);
	return tn('dns.every_hours', Math.round(s / 3600));
}

function Fetch({ l }) {
	if (!l.fetched_at) {
		return html`<div class="cell-main"><span class="muted">${t('dns.not_fetched')}</span>
			${l.error && html`<span class="small text-warn">${l.error}</span>`}</div>`;
	}
	return html`<div class="cell-main">
		<span title=${formatDate(l.fetched_at, true)}>${formatRelative(l.fetched_at)}</span>
		${l.error && html`<span class="small text-warn" role="note">${l.error}</span>`}
	</div>`;
}

function Editor({ open, onClose, onSaved }) {
	const groups = useGroups(open);
	const [f, setF] = useState(null);
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState('');
	const [invalid, setInvalid] = useState({});
	const set = (k) => (v) => {
		setF((o) => ({ ...o, [k]: v }));
		setInvalid((o) => (o[k] ? { ...o, [k]: undefined } : o));
	};
	useEffect(() => {
		if (!open) return;
		setF({ name: '', source: '', groups: [], enabled: true, refresh: '86400' });
		setError('');
		setInvalid({});
	}, [open]);

	const submit = async (e) => {
		e.preventDefault();
		const bad = {};
		const name = f.name.trim();
		if (!name) bad.name = t('dns.need_name');
		else if (!NAME.test(name)) bad.name = t('dns.name_rule');
		if (!f.source.trim()) bad.source = t('dns.need_source');
		setInvalid(bad);
		if (Object.keys(bad).length) return;
		const body = { name, source: f.source.trim(), enabled: f.enabled, refresh: Number(f.refresh) };
		if (f.groups.length) body.groups = f.groups;
		setBusy(true);
		setError('');
		try {
			await api.post('/dns/lists', body);
			toast(t('dns.list_added', { name }), { kind: 'ok' });
			onSaved();
		} catch (err) {
			const fe = fieldError(err);
			if (fe && ['name', 'source', 'groups', 'refresh'].includes(fe.field)) setInvalid({ [fe.field]: fe.message });
			else setError(dnsErrorText(err));
		}
		setBusy(false);
	};

	return html`<${Modal} open=${open} title=${t('dns.list_add_title')} onClose=${onClose}>
		${open && f && html`<form class="form" onSubmit=${submit} novalidate>
			<${FormError} message=${error} />
			<${TextField} label=${t('dns.list_name')} hint=${t('dns.list_name_hint')} value=${f.name} onInput=${set('name')}
				error=${invalid.name} autocomplete="off" autocapitalize="none" spellcheck=${false} maxlength="32" autofocus />
			<${TextField} label=${t('dns.source')} hint=${t('dns.source_hint')} value=${f.source} onInput=${set('source')}
				error=${invalid.source} autocomplete="off" autocapitalize="none" spellcheck=${false}
				placeholder="https://example.net/hosts.txt" class="input mono" />
			<${SelectField} label=${t('dns.refresh')} value=${f.refresh} onChange=${set('refresh')}
				hint=${invalid.refresh || t('dns.refresh_hint')}
				options=${REFRESH.map((s) => ({ value: String(s), label: refreshText(s) }))} />
			<${GroupPicker} all=${groups} value=${f.groups} onChange=${set('groups')} legend=${t('dns.groups')}
				hintNone=${t('dns.list_groups_none')} hintSome=${t('dns.list_groups_some', { n: f.groups.length })} />
			${invalid.groups && html`<p class="field-error" role="alert">${invalid.groups}</p>`}
			<label class="check-label switch-label">
				<input type="checkbox" class="check" role="switch" checked=${f.enabled}
					onChange=${(e) => set('enabled')(e.currentTarget.checked)} />
				<span>${t('dns.enabled_field')}</span>
			</label>
			<div class="form-actions">
				<${Button} kind="secondary" onClick=${onClose}>${t('common.cancel')}</${Button}>
				<${Button} type="submit" busy=${busy} icon="plus">${t('dns.list_add')}</${Button}>
			</div>
		</form>`}
	</${Modal}>`;
}

function DnsLists({ session }) {
	const canEdit = session.role === 'admin';
	const [adding, setAdding] = useState(false);
	const [deleting, setDeleting] = useState(null);
	const [busy, setBusy] = useState('');
	const [missing, setMissing] = useState(false);
	const [reload, setReload] = useState(0);
	const again = () => setReload((r) => r + 1);

	const fetchPage = async (q, signal) => {
		try {
			const res = await api.get('/dns/lists', { signal });
			setMissing(false);
			return { rows: res.lists || [], total: res.total ?? (res.lists || []).length, next: null };
		} catch (e) {
			if (noResolver(e)) setMissing(true);
			throw e;
		}
	};
	const act = async (l, what) => {
		setBusy(`${what}:${l.name}`);
		try {
			if (what === 'refresh') {
				await api.post(`/dns/lists/${seg(l.name)}/refresh`, {});
				toast(t('dns.list_refreshing', { name: l.name }), { kind: 'ok' });
			} else {
				await api.patch(`/dns/lists/${seg(l.name)}`, { enabled: !l.enabled });
				toast(t(l.enabled ? 'dns.list_disabled' : 'dns.list_enabled', { name: l.name }), { kind: 'ok' });
			}
			again();
		} catch (e) {
			toast(dnsErrorText(e), { kind: 'error' });
		}
		setBusy('');
	};

	const columns = [
		{ key: 'name', label: t('dns.list_name'), class: 'col-main',
			render: (l) => html`<div class="cell-main"><span class="strong">${l.name}</span>
				<span class="muted small mono excerpt">${l.source}</span></div>` },
		{ key: 'groups', label: t('dns.groups'), class: 'col-groups', render: (l) => html`<${GroupChips} groups=${l.groups} />` },
		{ key: 'enabled', label: t('dns.state'),
			render: (l) => html`<span class=${`badge badge-${l.enabled ? 'ok' : 'neutral'}`}>${l.enabled ? t('dns.on') : t('dns.off')}</span>
				<div class="muted small">${refreshText(l.refresh)}</div>` },
		{ key: 'entries', label: t('dns.entries'), class: 'num',
			render: (l) => html`<div class="cell-main"><span>${formatNumber(l.entries || 0)}</span>
				${l.bad_lines > 0 && html`<span class="small text-warn">${tn('dns.bad_lines', l.bad_lines)}</span>`}</div>` },
		{ key: 'fetched_at', label: t('dns.fetched'), render: (l) => html`<${Fetch} l=${l} />` },
	];
	if (canEdit) {
		columns.push({ key: 'actions', label: t('common.actions'), class: 'actions', render: (l) => html`
			<${Button} kind="ghost" icon="refresh" busy=${busy === `refresh:${l.name}`} onClick=${() => act(l, 'refresh')}
				aria-label=${t('dns.refresh_named', { name: l.name })}>${t('dns.refresh_now')}</${Button}>
			<${Button} kind="ghost" icon=${l.enabled ? 'ban' : 'play'} busy=${busy === `toggle:${l.name}`} onClick=${() => act(l, 'toggle')}
				aria-label=${t(l.enabled ? 'dns.disable_named' : 'dns.enable_named', { name: l.name })}>${l.enabled ? t('dns.disable') : t('dns.enable')}</${Button}>
			<${Button} kind="ghost" icon="trash" class="button-danger-text" onClick=${() => setDeleting(l)}
				aria-label=${t('dns.list_delete_title', { name: l.name })}>${t('dns.delete')}</${Button}>` });
	}

	return html`<div class="page">
		<${DnsHead} current="dnslists" title=${t('dns.lists_title')} lead=${t('dns.lists_lead')}>
			${canEdit && html`<${Button} icon="plus" onClick=${() => setAdding(true)}>${t('dns.list_add')}</${Button}>`}
		</${DnsHead}>
		${missing && html`<${NoResolver} />`}
		<${DataTable} label=${t('dns.lists_title')} columns=${columns} fetchPage=${fetchPage} search=${false}
			rowKey=${(l) => l.name} reload=${reload} emptyText=${t('dns.lists_empty')} />
		${canEdit && html`<${Editor} open=${adding} onClose=${() => setAdding(false)} onSaved=${() => { setAdding(false); again(); }} />
		<${ConfirmDialog} open=${!!deleting} title=${t('dns.list_delete_title', { name: deleting ? deleting.name : '' })}
			confirmLabel=${t('dns.delete')} onClose=${() => setDeleting(null)}
			action=${() => api.del(`/dns/lists/${seg(deleting.name)}`)}
			onDone=${() => { toast(t('dns.list_deleted', { name: deleting.name }), { kind: 'ok' }); setDeleting(null); again(); }}>
			<p>${t('dns.list_delete_text')}</p>
		</${ConfirmDialog}>`}
	</div>`;
}

export default { id: 'dnslists', path: '/admin/dns/lists', title: 'dns.lists_title', icon: 'globe', hidden: true, nav: 'dns', component: DnsLists };
