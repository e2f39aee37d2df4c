// DNS rules (GET /api/v1/dns/rules): names blocked or allowed whatever the lists say, for
// every group or for one, with a note saying why. Added in a dialog (the pattern takes
// the forms the lists do: example.com, *.example.com, ||example.com^), deleted after a
// confirmation.
import { html, useState, useEffect } from '../../lib/html.js';
import { t, formatDate } from '../../lib/i18n.js';
import { api } from '../../lib/api.js';
import { DataTable } from '../../lib/ui/table.js';
import { Modal } from '../../lib/ui/modal.js';
import { TextField, SelectField, Button, FormError } from '../../lib/ui/form.js';
import { ConfirmDialog } from '../../lib/ui/dialogs.js';
import { toast } from '../../lib/ui/toast.js';
import { useGroups } from '../userform.js';
import { DnsHead, GroupChips, fieldError, dnsErrorText, noResolver, NoResolver } from './dns.js';

export function ActionBadge({ action }) {
	return action === 'allow'
		? html`<span class="badge badge-ok">${t('dns.allow')}</span>`
		: html`<span class="badge badge-danger">${t('dns.block')}</span>`;
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
		setF({ pattern: '', action: 'block', group: '', note: '' });
		setError('');
		setInvalid({});
	}, [open]);

	const submit = async (e) => {
		e.preventDefault();
		const pattern = f.pattern.trim();
		if (!pattern) {
			setInvalid({ pattern: t('dns.need_pattern') });
			return;
		}
		const body = { pattern, action: f.action };
		if (f.group) body.group = f.group;
		if (f.note.trim()) body.note = f.note.trim();
		setBusy(true);
		setError('');
		try {
			await api.post('/dns/rules', body);
			toast(t(f.action === 'allow' ? 'dns.rule_added_allow' : 'dns.rule_added_block', { pattern }), { kind: 'ok' });
			onSaved();
		} catch (err) {
			const fe = fieldError(err);
			if (fe && ['pattern', 'note'].includes(fe.field)) setInvalid({ [fe.field]: fe.message });
			else setError(dnsErrorText(err));
		}
		setBusy(false);
	};

	return html`<${Modal} open=${open} title=${t('dns.rule_add_title')} onClose=${onClose}>
		${open && f && html`<form class="form" onSubmit=${submit} novalidate>
			<${FormError} message=${error} />
			<${TextField} label=${t('dns.pattern')} hint=${t('dns.pattern_hint')} value=${f.pattern} onInput=${set('pattern')}
				error=${invalid.pattern} autocomplete="off" autocapitalize="none" spellcheck=${false}
				placeholder="ads.example.com" class="input mono" autofocus />
			<div class="form-row">
				<${SelectField} label=${t('dns.action')} value=${f.action} onChange=${set('action')}
					options=${[{ value: 'block', label: t('dns.block') }, { value: 'allow', label: t('dns.allow') }]} />
				<${SelectField} label=${t('dns.group')} value=${f.group} onChange=${set('group')}
					options=${[{ value: '', label: t('dns.every_group') }, ...groups.map((g) => ({ value: g, label: g }))]} />
			</div>
			<${TextField} label=${t('dns.note')} optional value=${f.note} onInput=${set('note')} error=${invalid.note}
				hint=${t('dns.note_hint')} autocomplete="off" maxlength="200" />
			<div class="form-actions">
				<${Button} kind="secondary" onClick=${onClose}>${t('common.cancel')}</${Button}>
				<${Button} type="submit" busy=${busy} icon="plus">${t('dns.rule_add')}</${Button}>
			</div>
		</form>`}
	</${Modal}>`;
}

function DnsRules({ session }) {
	const canEdit = session.role === 'admin';
	const [adding, setAdding] = useState(false);
	const [deleting, setDeleting] = useState(null);
	const [missing, setMissing] = useState(false);
	const [reload, setReload] = useState(0);
	const again = () => setReload((r) => r + 1);

	const fetchPage = async (q, signal) => {
		try {
			const res = await api.get('/dns/rules', { signal });
			setMissing(false);
			return { rows: res.rules || [], total: res.total ?? null, next: res.next ?? null };
		} catch (e) {
			if (noResolver(e)) setMissing(true);
			throw e;
		}
	};
	const columns = [
		{ key: 'pattern', label: t('dns.pattern'), class: 'col-main',
			render: (r) => html`<div class="cell-main"><span class="strong mono">${r.pattern}</span>
				${r.note && html`<span class="muted small excerpt">${r.note}</span>`}</div>` },
		{ key: 'action', label: t('dns.action'), render: (r) => html`<${ActionBadge} action=${r.action} />` },
		{ key: 'group', label: t('dns.group'), render: (r) => html`<${GroupChips} groups=${r.group} />` },
		{ key: 'created', label: t('dns.created'), render: (r) => html`<span class="nowrap">${formatDate(r.created)}</span>` },
	];
	if (canEdit) {
		columns.push({ key: 'actions', label: t('common.actions'), class: 'actions', render: (r) => html`
			<${Button} kind="ghost" icon="trash" class="button-danger-text" onClick=${() => setDeleting(r)}
				aria-label=${t('dns.rule_delete_title', { pattern: r.pattern })}>${t('dns.delete')}</${Button}>` });
	}
	return html`<div class="page">
		<${DnsHead} current="dnsrules" title=${t('dns.rules_title')} lead=${t('dns.rules_lead')}>
			${canEdit && html`<${Button} icon="plus" onClick=${() => setAdding(true)}>${t('dns.rule_add')}</${Button}>`}
		</${DnsHead}>
		${missing && html`<${NoResolver} />`}
		<${DataTable} label=${t('dns.rules_title')} columns=${columns} fetchPage=${fetchPage} search=${false}
			rowKey=${(r) => r.id} reload=${reload} emptyText=${t('dns.rules_empty')} />
		${canEdit && html`<${Editor} open=${adding} onClose=${() => setAdding(false)} onSaved=${() => { setAdding(false); again(); }} />
		<${ConfirmDialog} open=${!!deleting} title=${t('dns.rule_delete_title', { pattern: deleting ? deleting.pattern : '' })}
			confirmLabel=${t('dns.delete')} onClose=${() => setDeleting(null)}
			action=${() => api.del(`/dns/rules/${deleting.id}`)}
			onDone=${() => { toast(t('dns.rule_deleted', { pattern: deleting.pattern }), { kind: 'ok' }); setDeleting(null); again(); }}>
			<p>${t('dns.rule_delete_text')}</p>
		</${ConfirmDialog}>`}
	</div>`;
}

export default { id: 'dnsrules', path: '/admin/dns/rules', title: 'dns.rules_title', icon: 'globe', hidden: true, nav: 'dns', component: DnsRules };
