// Announcements: the messages users read in the portal (GET /api/v1/announcements),
// each to everyone or to one group, pinned or not, shown until a time or until deleted,
// with how many users have read it. Written in a dialog beside a preview of how the
// portal shows it; deleted after a confirmation. A viewer reads them and their preview.
import { html, useState, useEffect } from '../../lib/html.js';
import { t, formatDate, formatNumber, formatRelative } from '../../lib/i18n.js';
import { api, errorText } from '../../lib/api.js';
import { DataTable } from '../../lib/ui/table.js';
import { Modal } from '../../lib/ui/modal.js';
import { TextField, SelectField, Button, FormError } from '../../lib/ui/form.js';
import { ConfirmDialog } from '../../lib/ui/dialogs.js';
import { Icon } from '../../lib/ui/icons.js';
import { toast } from '../../lib/ui/toast.js';
import { PageHead, editDeleteColumn } from '../../lib/ui/page.js';
import { expiryFields, expiryValue, useGroups } from '../userform.js';
import { isEndOfDay } from '../../lib/ui/status.js';

// "Until" as it reads: the end of a day, a time, or until deleted; past ones have ended.
function untilText(v) {
	if (v == null) return t('announcements.until_deleted');
	if (isEndOfDay(v)) return t('announcements.until_end_of', { date: formatDate(v - 1) });
	return formatDate(v, true);
}

function Until({ value }) {
	if (value == null) return html`<span class="muted">${untilText(value)}</span>`;
	const ended = value <= Date.now() / 1000;
	return html`<span class=${ended ? 'text-warn' : ''}>${ended ? t('announcements.ended', { when: untilText(value) }) : untilText(value)}</span>`;
}

export function Audience({ group }) {
	return group == null
		? html`<span class="badge badge-accent">${t('announcements.everyone')}</span>`
		: html`<span class="chip">${group}</span>`;
}

// The announcement as a user sees it in the portal's feed (web/portal/pages/
// announcements.js), opened and still unread.
function Preview({ a }) {
	const title = a.title.trim();
	const text = a.text.trim();
	return html`<div class="announce-preview" aria-label=${t('announcements.preview')} role="group">
		<div class="preview-label">${t('announcements.preview')}</div>
		<article class=${`announce-card${a.pinned ? ' is-pinned' : ''}`}>
			<header class="announce-card-head">
				<h3 class="announce-card-title">${title || html`<span class="muted">${t('announcements.preview_no_title')}</span>`}</h3>
				${a.pinned && html`<span class="announce-pin"><${Icon} name="pin" size=${14} />${t('announcements.pinned')}</span>`}
				<span class="badge badge-ok" title=${t('announcements.preview_unread')}>${t('announce.new')}</span>
			</header>
			<p class="announce-card-text">${text || html`<span class="muted">${t('announcements.preview_no_text')}</span>`}</p>
			<footer class="announce-card-foot muted small">${formatDate(a.created || Date.now() / 1000, true)}</footer>
		</article>
		<p class="hint">${a.group ? t('announcements.preview_for_group', { group: a.group }) : t('announcements.preview_for_all')}</p>
	</div>`;
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
			? { title: item.title, text: item.text, group: item.group || '', pinned: !!item.pinned, ...expiryFields(item.until) }
			: { title: '', text: '', group: '', pinned: false, date: '', time: '' });
		setError('');
		setInvalid({});
	}, [open, item]);

	const submit = async (e) => {
		e.preventDefault();
		const bad = {};
		if (!f.title.trim()) bad.title = t('announcements.need_title');
		if (!f.text.trim()) bad.text = t('announcements.need_text');
		setInvalid(bad);
		if (Object.keys(bad).length) return;
		const until = expiryValue(f);
		let body;
		if (!item) {
			body = { title: f.title.trim(), text: f.text.trim() };
			if (f.group) body.group = f.group;
			if (f.pinned) body.pinned = true;
			if (until) body.until = until;
		} else {
			body = {};
			if (f.title.trim() !== item.title) body.title = f.title.trim();
			if (f.text.trim() !== item.text) body.text = f.text.trim();
			if ((f.group || null) !== (item.group || null)) body.group = f.group || null;
			if (f.pinned !== !!item.pinned) body.pinned = f.pinned;
			if (until !== expiryValue(expiryFields(item.until))) body.until = until;
			if (!Object.keys(body).length) {
				onClose();
				return;
			}
		}
		setBusy(true);
		setError('');
		try {
			if (item) await api.patch(`/announcements/${item.id}`, body);
			else await api.post('/announcements', body);
			toast(t(item ? 'announcements.saved' : 'announcements.added', { title: f.title.trim() }), { kind: 'ok' });
			onSaved();
		} catch (err) {
			setError(errorText(err));
		}
		setBusy(false);
	};

	return html`<${Modal} open=${open} wide title=${item ? t('announcements.edit_title') : t('announcements.add_title')} onClose=${onClose}>
		${open && f && html`<form class="form" onSubmit=${submit} novalidate>
			<${FormError} message=${error} />
			<div class="announce-editor">
				<div class="form">
					<${TextField} label=${t('announcements.title_field')} value=${f.title} onInput=${set('title')} error=${invalid.title}
						maxlength="200" autocomplete="off" autofocus />
					<div class=${`field${invalid.text ? ' field-invalid' : ''}`}>
						<label for="announce-text">${t('announcements.text')}</label>
						<textarea id="announce-text" class="input textarea" rows="6" value=${f.text}
							aria-invalid=${invalid.text ? 'true' : undefined}
							aria-describedby=${invalid.text ? 'announce-text-error' : 'announce-text-hint'}
							onInput=${(e) => set('text')(e.currentTarget.value)}></textarea>
						${invalid.text ? html`<p class="field-error" id="announce-text-error">${invalid.text}</p>`
							: html`<p class="hint" id="announce-text-hint">${t('announcements.text_hint')}</p>`}
					</div>
					<${SelectField} label=${t('announcements.audience')} value=${f.group} onChange=${set('group')}
						options=${[{ value: '', label: t('announcements.everyone') }, ...groups.map((g) => ({ value: g, label: t('announcements.group_option', { group: g }) }))]} />
					<label class="check-label">
						<input type="checkbox" class="check" checked=${f.pinned} onChange=${(e) => set('pinned')(e.currentTarget.checked)} />
						<span>${t('announcements.pin_field')}</span>
					</label>
					<fieldset class="fieldset">
						<legend>${t('announcements.until')} <span class="optional">${t('form.optional')}</span></legend>
						<div class="form-row">
							<${TextField} label=${t('announcements.until_date')} type="date" value=${f.date} onInput=${set('date')} />
							<${TextField} label=${t('announcements.until_time')} type="time" value=${f.time} onInput=${set('time')} disabled=${!f.date} />
						</div>
						<p class="hint">${f.date ? (f.time ? t('announcements.until_hint_time') : t('announcements.until_hint_day')) : t('announcements.until_hint_none')}</p>
					</fieldset>
				</div>
				<${Preview} a=${{ ...f, group: f.group || null, created: item && item.created }} />
			</div>
			<div class="form-actions">
				<${Button} kind="secondary" onClick=${onClose}>${t('common.cancel')}</${Button}>
				<${Button} type="submit" busy=${busy}>${item ? t('common.save') : t('announcements.publish')}</${Button}>
			</div>
		</form>`}
	</${Modal}>`;
}

// A viewer's look at one announcement: the preview and its facts.
function Viewer({ item, onClose }) {
	return html`<${Modal} open=${!!item} title=${item ? item.title : ''} onClose=${onClose}
			footer=${html`<${Button} onClick=${onClose}>${t('common.close')}</${Button}>`}>
		${item && html`<${Preview} a=${item} />
			<dl class="details">
				<div class="details-row"><dt>${t('announcements.until')}</dt><dd><${Until} value=${item.until} /></dd></div>
				<div class="details-row"><dt>${t('announcements.reads')}</dt><dd>${formatNumber(item.reads || 0)}</dd></div>
				<div class="details-row"><dt>${t('announcements.author')}</dt><dd>${item.author || '—'}</dd></div>
				<div class="details-row"><dt>${t('announcements.updated')}</dt><dd>${formatDate(item.updated, true)}</dd></div>
			</dl>`}
	</${Modal}>`;
}

function Announcements({ session }) {
	const canEdit = session.role === 'admin';
	const [editing, setEditing] = useState(null);     // null | 'new' | an announcement
	const [viewing, setViewing] = useState(null);
	const [deleting, setDeleting] = useState(null);
	const [reload, setReload] = useState(0);
	const again = () => setReload((r) => r + 1);

	const fetchPage = async (q, signal) => {
		const res = await api.get('/announcements', { query: { limit: q.limit, cursor: q.cursor }, signal });
		return { rows: res.announcements, total: res.total, next: res.next };
	};
	const columns = [
		{ key: 'title', label: t('announcements.title_field'), class: 'col-main col-announce',
			render: (a) => html`<div class="cell-main">
				<span class="announce-title-line">
					${a.pinned && html`<span class="announce-pin" title=${t('announcements.pinned')}><${Icon} name="pin" size=${14} /><span class="visually-hidden">${t('announcements.pinned')}</span></span>`}
					<button type="button" class="link-cell strong" onClick=${() => (canEdit ? setEditing(a) : setViewing(a))}
						aria-label=${t(canEdit ? 'announcements.edit_named' : 'announcements.view_named', { title: a.title })}>${a.title}</button>
				</span>
				<span class="muted small excerpt">${a.text}</span>
			</div>` },
		{ key: 'group', label: t('announcements.audience'), render: (a) => html`<${Audience} group=${a.group} />` },
		{ key: 'until', label: t('announcements.until'), render: (a) => html`<${Until} value=${a.until} />` },
		{ key: 'reads', label: t('announcements.reads'), class: 'num', render: (a) => formatNumber(a.reads || 0) },
		{ key: 'updated', label: t('announcements.updated'),
			render: (a) => html`<div class="cell-main"><span title=${formatDate(a.updated, true)}>${formatRelative(a.updated)}</span>
				<span class="muted small">${a.author}</span></div>` },
	];
	if (canEdit) {
		columns.push(editDeleteColumn({ onEdit: setEditing, onDelete: setDeleting, labels: (a) => ({
			edit: t('announcements.edit'), editNamed: t('announcements.edit_named', { title: a.title }),
			del: t('announcements.delete'), delNamed: t('announcements.delete_named', { title: a.title }) }) }));
	}

	return html`<div class="page">
		<${PageHead} title=${t('announcements.title')} lead=${t('announcements.lead')}>
			${canEdit && html`<${Button} icon="plus" onClick=${() => setEditing('new')}>${t('announcements.add')}</${Button}>`}
		</${PageHead}>
		<${DataTable} label=${t('announcements.title')} columns=${columns} fetchPage=${fetchPage} search=${false}
			rowKey=${(a) => a.id} reload=${reload} limit=${50} emptyText=${t('announcements.empty')} />
		${canEdit && html`<${Editor} open=${!!editing} item=${editing === 'new' ? null : editing}
			onClose=${() => setEditing(null)} onSaved=${() => { setEditing(null); again(); }} />
		<${ConfirmDialog} open=${!!deleting} title=${t('announcements.delete_title')} confirmLabel=${t('announcements.delete')}
			onClose=${() => setDeleting(null)} action=${() => api.del(`/announcements/${deleting.id}`)}
			onDone=${() => { toast(t('announcements.deleted', { title: deleting.title }), { kind: 'ok' }); setDeleting(null); again(); }}>
			<p><span class="strong">${deleting && deleting.title}</span></p>
			<p>${t('announcements.delete_text')}</p>
		</${ConfirmDialog}>`}
		${!canEdit && html`<${Viewer} item=${viewing} onClose=${() => setViewing(null)} />`}
	</div>`;
}

export default { id: 'announcements', path: '/admin/announcements', title: 'announcements.title', icon: 'megaphone', component: Announcements };
