// DNS records (GET /api/v1/dns/records): names the resolver answers itself in its
// internal zone, for systems that are not devices (a NAS, a printer, an alias). Devices'
// names (DEVICE.USER.DOMAIN) come by themselves and are not listed here. Added in a
// dialog, deleted after a confirmation.
import { html, useState, useEffect } from '../../lib/html.js';
import { t, formatDate, formatNumber } from '../../lib/i18n.js';
import { api } from '../../lib/api.js';
import { DataTable } from '../../lib/ui/table.js';
import { Modal } from '../../lib/ui/modal.js';
import { TextField, SelectField, Button, FormError } from '../../lib/ui/form.js';
import { ConfirmDialog } from '../../lib/ui/dialogs.js';
import { toast } from '../../lib/ui/toast.js';
import { DnsHead, fieldError, dnsErrorText, noResolver, NoResolver } from './dns.js';

const TYPES = ['A', 'AAAA', 'CNAME', 'TXT', 'MX', 'SRV', 'PTR'];
const PLACEHOLDER = { A: '10.9.0.20', AAAA: 'fd09::20', CNAME: 'nas.vpn.internal', TXT: 'v=spf1 -all',
	MX: '10 mail.vpn.internal', SRV: '0 5 445 nas.vpn.internal', PTR: 'nas.vpn.internal' };

function Editor({ open, onClose, onSaved }) {
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
		setF({ name: '', type: 'A', value: '', ttl: '' });
		setError('');
		setInvalid({});
	}, [open]);

	const submit = async (e) => {
		e.preventDefault();
		const bad = {};
		const name = f.name.trim();
		const value = f.value.trim();
		if (!name) bad.name = t('dns.need_name');
		if (!value) bad.value = t('dns.need_value');
		if (f.ttl.trim() && !/^\d+$/.test(f.ttl.trim())) bad.ttl = t('dns.ttl_rule');
		setInvalid(bad);
		if (Object.keys(bad).length) return;
		const body = { name, type: f.type, value };
		if (f.ttl.trim()) body.ttl = Number(f.ttl.trim());
		setBusy(true);
		setError('');
		try {
			await api.post('/dns/records', body);
			toast(t('dns.record_added', { name }), { kind: 'ok' });
			onSaved();
		} catch (err) {
			const fe = fieldError(err);
			if (fe && ['name', 'value', 'ttl'].includes(fe.field)) setInvalid({ [fe.field]: fe.message });
			else setError(dnsErrorText(err));
		}
		setBusy(false);
	};

	return html`<${Modal} open=${open} title=${t('dns.record_add_title')} onClose=${onClose}>
		${open && f && html`<form class="form" onSubmit=${submit} novalidate>
			<${FormError} message=${error} />
			<${TextField} label=${t('dns.record_name')} hint=${t('dns.record_name_hint')} value=${f.name} onInput=${set('name')}
				error=${invalid.name} autocomplete="off" autocapitalize="none" spellcheck=${false}
				placeholder="nas.vpn.internal" class="input mono" autofocus />
			<div class="form-row">
				<${SelectField} label=${t('dns.type')} value=${f.type} onChange=${set('type')}
					options=${TYPES.map((x) => ({ value: x, label: x }))} />
				<${TextField} label=${t('dns.ttl')} optional value=${f.ttl} onInput=${set('ttl')} error=${invalid.ttl}
					inputmode="numeric" autocomplete="off" placeholder="300" />
			</div>
			<${TextField} label=${t('dns.value')} hint=${t('dns.value_hint')} value=${f.value} onInput=${set('value')}
				error=${invalid.value} autocomplete="off" autocapitalize="none" spellcheck=${false}
				placeholder=${PLACEHOLDER[f.type] || ''} class="input mono" />
			<div class="form-actions">
				<${Button} kind="secondary" onClick=${onClose}>${t('common.cancel')}</${Button}>
				<${Button} type="submit" busy=${busy} icon="plus">${t('dns.record_add')}</${Button}>
			</div>
		</form>`}
	</${Modal}>`;
}

function DnsRecords({ session }) {
	const canEdit = session.role === 'admin';
	const [adding, setAdding] = useState(false);
	const [deleting, setDeleting] = useState(null);
	const [missing, setMissing] = useState(false);
	const [reload, setReload] = useState(0);
	const again = () => setReload((r) => r + 1);

	const fetchPage = async (q, signal) => {
		try {
			const res = await api.get('/dns/records', { signal });
			setMissing(false);
			return { rows: res.records || [], total: res.total ?? null, next: res.next ?? null };
		} catch (e) {
			if (noResolver(e)) setMissing(true);
			throw e;
		}
	};
	const columns = [
		{ key: 'name', label: t('dns.record_name'), class: 'col-main', render: (r) => html`<span class="strong mono">${r.name}</span>` },
		{ key: 'type', label: t('dns.type'), render: (r) => html`<span class="badge badge-neutral mono">${r.type}</span>` },
		{ key: 'value', label: t('dns.value'), render: (r) => html`<span class="mono">${r.value}</span>` },
		{ key: 'ttl', label: t('dns.ttl'), class: 'num', render: (r) => (r.ttl == null ? '—' : t('dns.seconds', { n: formatNumber(r.ttl) })) },
		{ key: 'created', label: t('dns.created'), render: (r) => html`<span class="nowrap">${formatDate(r.created)}</span>` },
	];
	if (canEdit) {
		columns.push({ key: 'actions', label: t('common.actions'), class: 'actions', render: (r) => html`
			<${Button} kind="ghost" icon="trash" class="button-danger-text" onClick=${() => setDeleting(r)}
				aria-label=${t('dns.record_delete_title', { name: r.name, type: r.type })}>${t('dns.delete')}</${Button}>` });
	}
	return html`<div class="page">
		<${DnsHead} current="dnsrecords" title=${t('dns.records_title')} lead=${t('dns.records_lead')}>
			${canEdit && html`<${Button} icon="plus" onClick=${() => setAdding(true)}>${t('dns.record_add')}</${Button}>`}
		</${DnsHead}>
		${missing && html`<${NoResolver} />`}
		<${DataTable} label=${t('dns.records_title')} columns=${columns} fetchPage=${fetchPage} search=${false}
			rowKey=${(r) => r.id} reload=${reload} emptyText=${t('dns.records_empty')} />
		${canEdit && html`<${Editor} open=${adding} onClose=${() => setAdding(false)} onSaved=${() => { setAdding(false); again(); }} />
		<${ConfirmDialog} open=${!!deleting} title=${t('dns.record_delete_title', { name: deleting ? deleting.name : '', type: deleting ? deleting.type : '' })}
			confirmLabel=${t('dns.delete')} onClose=${() => setDeleting(null)}
			action=${() => api.del(`/dns/records/${deleting.id}`)}
			onDone=${() => { toast(t('dns.record_deleted', { name: deleting.name }), { kind: 'ok' }); setDeleting(null); again(); }}>
			<p>${t('dns.record_delete_text')}</p>
		</${ConfirmDialog}>`}
	</div>`;
}

export default { id: 'dnsrecords', path: '/admin/dns/records', title: 'dns.records_title', icon: 'globe', hidden: true, nav: 'dns', component: DnsRecords };
