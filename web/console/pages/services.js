// Services: the catalog of what users can reach through the tunnel (GET
// /api/v1/services), each with the address to type and who sees it in the portal: the
// groups chosen, or every group when none is. Added and edited in a dialog with the
// groups to tick; deleted after a confirmation. A viewer reads the list.
import { html, useState, useEffect } from '../../lib/html.js';
import { t, formatDate } from '../../lib/i18n.js';
import { api, seg, errorText } from '../../lib/api.js';
import { DataTable } from '../../lib/ui/table.js';
import { Modal } from '../../lib/ui/modal.js';
import { TextField, Button, FormError } from '../../lib/ui/form.js';
import { ConfirmDialog } from '../../lib/ui/dialogs.js';
import { toast } from '../../lib/ui/toast.js';
import { PageHead, editDeleteColumn } from '../../lib/ui/page.js';
import { useGroups } from '../userform.js';

const isUrl = (s) => /^https?:\/\/[^\s]+$/i.test(s || '');

function Address({ value }) {
	// Only a web address is a link; anything else is what the user types.
	return isUrl(value)
		? html`<a class="mono" href=${value} target="_blank" rel="noopener noreferrer">${value}</a>`
		: html`<span class="mono">${value}</span>`;
}

function Groups({ groups }) {
	if (!groups || !groups.length) return html`<span class="badge badge-accent">${t('services.every_group')}</span>`;
	return html`<span class="chips">${groups.map((g) => html`<span class="chip" key=${g}>${g}</span>`)}</span>`;
}

// The groups a service is offered to: one box per group; none ticked is every group.
function GroupPicker({ all, value, onChange }) {
	const on = new Set(value);
	const flip = (g) => {
		const next = new Set(on);
		if (next.has(g)) next.delete(g);
		else next.add(g);
		onChange(all.filter((x) => next.has(x)));
	};
	return html`<fieldset class="fieldset">
		<legend>${t('services.groups')}</legend>
		<div class="check-grid" role="group">
			${all.map((g) => html`<label class="check-label check-chip" key=${g}>
				<input type="checkbox" class="check" checked=${on.has(g)} onChange=${() => flip(g)} />
				<span>${g}</span>
			</label>`)}
		</div>
		<p class="hint" aria-live="polite">${value.length ? t('services.groups_hint_some', { n: value.length }) : t('services.groups_hint_none')}</p>
	</fieldset>`;
}

function Editor({ open, item, onClose, onSaved }) {
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
		setF(item
			? { name: item.name, address: item.address, description: item.description || '', groups: item.groups || [] }
			: { name: '', address: '', description: '', groups: [] });
		setError('');
		setInvalid({});
	}, [open, item]);
	// Groups the service names that the list lacks (just deleted) still show, to be unticked.
	const all = f ? [...groups, ...f.groups.filter((g) => !groups.includes(g))] : groups;

	const submit = async (e) => {
		e.preventDefault();
		const bad = {};
		if (!item && !f.name.trim()) bad.name = t('services.need_name');
		if (!f.address.trim()) bad.address = t('services.need_address');
		setInvalid(bad);
		if (Object.keys(bad).length) return;
		let body;
		if (!item) {
			body = { name: f.name.trim(), address: f.address.trim() };
			if (f.description.trim()) body.description = f.description.trim();
			if (f.groups.length) body.groups = f.groups;
		} else {
			body = {};
			if (f.address.trim() !== item.address) body.address = f.address.trim();
			if (f.description.trim() !== (item.description || '')) body.description = f.description.trim();
			const before = [...(item.groups || [])].sort().join('\n');
			if ([...f.groups].sort().join('\n') !== before) body.groups = f.groups;
			if (!Object.keys(body).length) {
				onClose();
				return;
			}
		}
		setBusy(true);
		setError('');
		try {
			if (item) await api.patch(`/services/${seg(item.name)}`, body);
			else await api.post('/services', body);
			toast(t(item ? 'services.saved' : 'services.added', { name: item ? item.name : body.name }), { kind: 'ok' });
			onSaved();
		} catch (err) {
			setError(errorText(err));
		}
		setBusy(false);
	};

	return html`<${Modal} open=${open} title=${item ? t('services.edit_title', { name: item.name }) : t('services.add_title')} onClose=${onClose}>
		${open && f && html`<form class="form" onSubmit=${submit} novalidate>
			<${FormError} message=${error} />
			${!item && html`<${TextField} label=${t('services.name')} hint=${t('services.name_hint')} value=${f.name} onInput=${set('name')}
				error=${invalid.name} autocomplete="off" spellcheck=${false} autofocus />`}
			<${TextField} label=${t('services.address')} hint=${t('services.address_hint')} value=${f.address} onInput=${set('address')}
				error=${invalid.address} autocomplete="off" autocapitalize="none" spellcheck=${false} placeholder="10.0.0.5:3389"
				autofocus=${!!item} />
			<div class="field">
				<label for="service-description">${t('services.description')} <span class="optional">${t('form.optional')}</span></label>
				<textarea id="service-description" class="input textarea" rows="3" value=${f.description}
					aria-describedby="service-description-hint"
					onInput=${(e) => set('description')(e.currentTarget.value)}></textarea>
				<p class="hint" id="service-description-hint">${t('services.description_hint')}</p>
			</div>
			<${GroupPicker} all=${all} value=${f.groups} onChange=${set('groups')} />
			<div class="form-actions">
				<${Button} kind="secondary" onClick=${onClose}>${t('common.cancel')}</${Button}>
				<${Button} type="submit" busy=${busy}>${item ? t('common.save') : t('services.add')}</${Button}>
			</div>
		</form>`}
	</${Modal}>`;
}

function Services({ session }) {
	const canEdit = session.role === 'admin';
	const [editing, setEditing] = useState(null);
	const [deleting, setDeleting] = useState(null);
	const [reload, setReload] = useState(0);
	const again = () => setReload((r) => r + 1);

	const fetchPage = async (q, signal) => {
		const res = await api.get('/services', { query: { limit: q.limit, cursor: q.cursor }, signal });
		return { rows: res.services, total: res.total, next: res.next };
	};
	const columns = [
		{ key: 'name', label: t('services.name'), class: 'col-main',
			render: (s) => html`<div class="cell-main"><span class="strong">${s.name}</span>
				${s.description && html`<span class="muted small excerpt">${s.description}</span>`}</div>` },
		{ key: 'address', label: t('services.address'), render: (s) => html`<${Address} value=${s.address} />` },
		{ key: 'groups', label: t('services.groups'), class: 'col-groups', render: (s) => html`<${Groups} groups=${s.groups} />` },
		{ key: 'created', label: t('services.created'), render: (s) => html`<span class="nowrap">${formatDate(s.created)}</span>` },
	];
	if (canEdit) {
		columns.push(editDeleteColumn({ onEdit: setEditing, onDelete: setDeleting, labels: (s) => ({
			edit: t('services.edit'), editNamed: t('services.edit_title', { name: s.name }),
			del: t('services.delete'), delNamed: t('services.delete_title', { name: s.name }) }) }));
	}

	return html`<div class="page">
		<${PageHead} title=${t('services.catalog_title')} lead=${t('services.catalog_lead')}>
			${canEdit && html`<${Button} icon="plus" onClick=${() => setEditing('new')}>${t('services.add')}</${Button}>`}
		</${PageHead}>
		<${DataTable} label=${t('services.catalog_title')} columns=${columns} fetchPage=${fetchPage} search=${false}
			rowKey=${(s) => s.name} reload=${reload} emptyText=${t('services.empty')} />
		${canEdit && html`<${Editor} open=${!!editing} item=${editing === 'new' ? null : editing}
			onClose=${() => setEditing(null)} onSaved=${() => { setEditing(null); again(); }} />
		<${ConfirmDialog} open=${!!deleting} title=${t('services.delete_title', { name: deleting ? deleting.name : '' })}
			confirmLabel=${t('services.delete')} onClose=${() => setDeleting(null)}
			action=${() => api.del(`/services/${seg(deleting.name)}`)}
			onDone=${() => { toast(t('services.deleted', { name: deleting.name }), { kind: 'ok' }); setDeleting(null); again(); }}>
			<p>${t('services.delete_text')}</p>
		</${ConfirmDialog}>`}
	</div>`;
}

export default { id: 'services', path: '/admin/services', title: 'services.catalog_title', icon: 'server', component: Services };
