// Vouchers: batches of codes that make an account or extend one (GET /api/v1/vouchers),
// each with what a code gives and how many are used; making a batch (its codes shown
// once, to copy, download or print); a row opens the batch's page with who redeemed it.
import { html, useState, useEffect } from '../../lib/html.js';
import { t, formatDate, formatNumber } from '../../lib/i18n.js';
import { api, errorText } from '../../lib/api.js';
import { navigate } from '../../lib/router.js';
import { DataTable } from '../../lib/ui/table.js';
import { Modal } from '../../lib/ui/modal.js';
import { TextField, SelectField, Button, FormError } from '../../lib/ui/form.js';
import { toast } from '../../lib/ui/toast.js';
import { zoned } from '../../lib/time.js';
import { quotaValue, useGroups } from '../userform.js';
import { BatchState, UsedBar, CodesDialog, givesText, expiresText } from '../vouchercodes.js';

export const MAX_COUNT = 10000;
const batchPath = (name) => `/admin/vouchers/${encodeURIComponent(name)}`;

function Create({ open, onClose, onMade }) {
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
		setF({ count: '10', duration: '30d', quota: '', monthly: false, group: '', expires: '', uses: '1', name: '' });
		setError('');
		setInvalid({});
	}, [open]);

	const submit = async (e) => {
		e.preventDefault();
		const bad = {};
		const count = Number(f.count);
		if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) bad.count = t('vouchers.need_count', { max: formatNumber(MAX_COUNT) });
		const uses = Number(f.uses || '1');
		if (!Number.isInteger(uses) || uses < 1) bad.uses = t('vouchers.need_uses');
		const duration = f.duration.trim().replace(/\s+/g, '');
		if (duration && !/^\d+[a-z]*$/i.test(duration)) bad.duration = t('vouchers.need_duration');
		setInvalid(bad);
		if (Object.keys(bad).length) return;
		const body = { count };
		if (duration) body.duration = /^\d+$/.test(duration) ? `${duration}d` : duration;
		const q = quotaValue(f);
		if (q) body.quota = q;
		if (f.group) body.group = f.group;
		if (f.expires) body.expires = zoned(f.expires, true);
		if (uses !== 1) body.uses = uses;
		if (f.name.trim()) body.name = f.name.trim();
		setBusy(true);
		setError('');
		try {
			const res = await api.post('/vouchers', body);
			onMade(res);
		} catch (err) {
			setError(errorText(err));
		}
		setBusy(false);
	};

	return html`<${Modal} open=${open} title=${t('vouchers.add_title')} onClose=${onClose}>
		${open && f && html`<form class="form" onSubmit=${submit} novalidate>
			<${FormError} message=${error} />
			<div class="form-row">
				<${TextField} label=${t('vouchers.count')} type="number" min="1" max=${MAX_COUNT} value=${f.count} onInput=${set('count')}
					error=${invalid.count} hint=${t('vouchers.count_hint', { max: formatNumber(MAX_COUNT) })} autofocus />
				<${TextField} label=${t('vouchers.uses')} type="number" min="1" value=${f.uses} onInput=${set('uses')}
					error=${invalid.uses} hint=${t('vouchers.uses_hint')} />
			</div>
			<fieldset class="fieldset">
				<legend>${t('vouchers.gives')}</legend>
				<${TextField} label=${t('vouchers.duration')} value=${f.duration} onInput=${set('duration')} error=${invalid.duration}
					hint=${t('vouchers.duration_hint')} placeholder="30d" autocomplete="off" spellcheck=${false} optional />
				<${TextField} label=${t('vouchers.quota')} value=${f.quota} onInput=${set('quota')} hint=${t('vouchers.quota_hint')}
					placeholder="50GiB" autocomplete="off" spellcheck=${false} optional />
				<label class="check-label">
					<input type="checkbox" class="check" checked=${f.monthly} onChange=${(e) => set('monthly')(e.currentTarget.checked)} />
					<span>${t('vouchers.quota_monthly')}</span>
				</label>
				<${SelectField} label=${t('vouchers.group')} value=${f.group} onChange=${set('group')}
					hint=${f.group ? t('vouchers.group_hint_set', { group: f.group }) : t('vouchers.group_hint_none')}
					options=${[{ value: '', label: t('vouchers.group_none') }, ...groups.map((g) => ({ value: g, label: g }))]} />
			</fieldset>
			<div class="form-row">
				<${TextField} label=${t('vouchers.redeem_until')} type="date" value=${f.expires} onInput=${set('expires')}
					hint=${f.expires ? t('vouchers.expires_hint_day') : t('vouchers.expires_hint_none')} optional />
				<${TextField} label=${t('vouchers.name')} value=${f.name} onInput=${set('name')} hint=${t('vouchers.name_hint')}
					autocomplete="off" autocapitalize="none" spellcheck=${false} optional />
			</div>
			<div class="form-actions">
				<${Button} kind="secondary" onClick=${onClose}>${t('common.cancel')}</${Button}>
				<${Button} type="submit" busy=${busy}>${t('vouchers.make')}</${Button}>
			</div>
		</form>`}
	</${Modal}>`;
}

function columns() {
	return [
		{ key: 'name', label: t('vouchers.batch'), class: 'col-main',
			render: (b) => html`<div class="cell-main"><a class="strong row-link mono" href=${batchPath(b.name)}
					onClick=${(e) => { if (!e.ctrlKey && !e.metaKey && !e.shiftKey) { e.preventDefault(); navigate(batchPath(b.name)); } }}>${b.name}</a>
				<span class="muted small sub">${givesText(b)}${b.group ? ` · ${b.group}` : ''}</span></div>` },
		{ key: 'state', label: t('vouchers.state'), render: (b) => html`<${BatchState} batch=${b} />` },
		{ key: 'used', label: t('vouchers.used'), class: 'col-quota', render: (b) => html`<${UsedBar} batch=${b} />` },
		{ key: 'redeemed', label: t('vouchers.redeemed'), class: 'num', render: (b) => formatNumber(b.redeemed || 0) },
		{ key: 'expires', label: t('vouchers.redeem_until'), render: (b) => html`<span class="nowrap">${expiresText(b.expires)}</span>` },
		{ key: 'created', label: t('vouchers.created'),
			render: (b) => html`<div class="cell-main"><span class="nowrap" title=${formatDate(b.created, true)}>${formatDate(b.created)}</span>
				<span class="muted small">${b.created_by}</span></div>` },
	];
}

function Vouchers({ session }) {
	const canEdit = session.role === 'admin';
	const [making, setMaking] = useState(false);
	const [made, setMade] = useState(null);
	const [reload, setReload] = useState(0);
	const fetchPage = async (q, signal) => {
		const res = await api.get('/vouchers', { query: { limit: q.limit, cursor: q.cursor }, signal });
		return { rows: res.vouchers, total: res.total, next: res.next };
	};
	return html`<div class="page">
		<div class="page-head">
			<div>
				<h1>${t('vouchers.title')}</h1>
				<p class="page-lead">${t('vouchers.lead')}</p>
			</div>
			<div class="page-actions">
				${canEdit && html`<${Button} icon="plus" onClick=${() => setMaking(true)}>${t('vouchers.add')}</${Button}>`}
			</div>
		</div>
		<${DataTable} label=${t('vouchers.title')} columns=${columns()} fetchPage=${fetchPage} search=${false}
			rowKey=${(b) => b.name} reload=${reload} emptyText=${t('vouchers.empty')}
			onOpen=${(b) => navigate(batchPath(b.name))} />
		${canEdit && html`<${Create} open=${making} onClose=${() => setMaking(false)}
			onMade=${(res) => {
				setMaking(false);
				setMade(res);
				setReload((r) => r + 1);
				toast(t('vouchers.made', { name: res.batch.name }), { kind: 'ok' });
			}} />
		<${CodesDialog} result=${made} onClose=${() => setMade(null)} />`}
	</div>`;
}

export default { id: 'vouchers', path: '/admin/vouchers', title: 'vouchers.title', icon: 'ticket', component: Vouchers };
