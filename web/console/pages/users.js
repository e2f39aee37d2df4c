// Users: the server's list, searched, filtered by state and group, sorted and paged on
// the server, with live changes patched into the rows on screen; adding a user, CSV
// export and import (with a dry run), and disabling, enabling or deleting the selected
// rows at once. A row opens the user's own page.
import { html, useState, useRef, useEffect } from '../../lib/html.js';
import { t, tn, formatBytes, formatNumber } from '../../lib/i18n.js';
import { api, apiUrl, errorText } from '../../lib/api.js';
import { useEvents } from '../../lib/sse.js';
import { navigate } from '../../lib/router.js';
import { DataTable } from '../../lib/ui/table.js';
import { Modal } from '../../lib/ui/modal.js';
import { TextField, SelectField, Button, FormError } from '../../lib/ui/form.js';
import { ConfirmDialog } from '../../lib/ui/dialogs.js';
import { StateBadge, QuotaBar, Presence, Expiry } from '../../lib/ui/status.js';
import { Icon } from '../../lib/ui/icons.js';
import { toast } from '../../lib/ui/toast.js';
import { LiveBadge } from '../live.js';
import { ExpiryField, QuotaField, expiryValue, quotaValue, useGroups } from '../userform.js';

export const STATES = ['enabled', 'disabled', 'expired', 'quota'];

// A status event's devices folded into a user row: its devices' live fields, and online
// when any of them is.
export function patchDevices(u, rows) {
	const mine = rows.filter((d) => d.user === u.name);
	if (!mine.length) return u;
	const devices = (u.devices || []).map((d) => {
		const n = mine.find((m) => m.device === d.name);
		return n ? { ...d, ...n, name: d.name } : d;
	});
	const seen = devices.reduce((a, d) => Math.max(a, d.latest_handshake || 0), 0);
	return { ...u, devices, online: devices.some((d) => d.online), latest_handshake: seen || u.latest_handshake };
}

function columns() {
	return [
		{ key: 'name', label: t('users.name'), sort: 'name', class: 'col-main',
			render: (u) => html`<div class="cell-main"><a class="strong row-link" href=${`/admin/users/${encodeURIComponent(u.name)}`}
					onClick=${(e) => { if (!e.ctrlKey && !e.metaKey && !e.shiftKey) { e.preventDefault(); navigate(`/admin/users/${encodeURIComponent(u.name)}`); } }}>${u.name}</a>
				<span class="muted small sub">${[u.group !== 'default' ? u.group : '', (u.devices || []).length > 1 ? tn('users.n_devices', u.devices.length) : '', u.email || ''].filter(Boolean).join(' · ')}</span></div>` },
		{ key: 'state', label: t('users.state'), render: (u) => (u.deleted
			? html`<span class="badge badge-neutral">${t('users.deleted')}</span>` : html`<${StateBadge} state=${u.state} />`) },
		{ key: 'online', label: t('users.online'),
			render: (u) => html`<${Presence} online=${u.online} seen=${u.latest_handshake} used=${(u.rx_bytes || 0) + (u.tx_bytes || 0) > 0} />` },
		{ key: 'expires', label: t('users.expires'), sort: 'expires', render: (u) => html`<${Expiry} value=${u.expires} />` },
		{ key: 'quota', label: t('users.quota'), sort: 'used', class: 'col-quota',
			render: (u) => html`<${QuotaBar} used=${u.quota_used} quota=${u.quota_bytes} period=${u.quota_period} />` },
		{ key: 'traffic', label: t('users.traffic'), class: 'num',
			render: (u) => formatBytes((u.rx_bytes || 0) + (u.tx_bytes || 0)) },
	];
}

function AddUser({ open, onClose, onAdded }) {
	const groups = useGroups(open);
	const [f, setF] = useState({});
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState('');
	const set = (k) => (v) => setF((o) => ({ ...o, [k]: v }));

	useEffect(() => {
		if (open) {
			setF({ name: '', date: '', time: '', quota: '', monthly: false, group: 'default', email: '' });
			setError('');
		}
	}, [open]);

	const submit = async (e) => {
		e.preventDefault();
		if (!f.name.trim()) {
			setError(t('users.add_need_name'));
			return;
		}
		const body = { name: f.name.trim() };
		const exp = expiryValue(f);
		if (exp) body.expires = exp;
		const q = quotaValue(f);
		if (q) body.quota = q;
		if (f.group && f.group !== 'default') body.group = f.group;
		if (f.email.trim()) body.email = f.email.trim();
		setBusy(true);
		setError('');
		try {
			await api.post('/users', body);
			toast(t('users.added', { name: body.name }), { kind: 'ok' });
			onAdded(body.name);
		} catch (err) {
			setError(errorText(err));
		} finally {
			setBusy(false);
		}
	};

	return html`<${Modal} open=${open} title=${t('users.add_title')} onClose=${onClose}>
		${open && f.name !== undefined && html`<form class="form" onSubmit=${submit} novalidate>
			<${FormError} message=${error} />
			<${TextField} label=${t('users.name')} hint=${t('users.name_hint')} value=${f.name} onInput=${set('name')}
				autocomplete="off" autocapitalize="none" spellcheck=${false} required autofocus />
			<${ExpiryField} f=${f} set=${set} />
			<${QuotaField} f=${f} set=${set} />
			<div class="form-row">
				<${SelectField} label=${t('users.group')} value=${f.group} onChange=${set('group')}
					options=${groups.map((g) => ({ value: g, label: g }))} />
				<${TextField} label=${t('users.email')} type="email" value=${f.email} onInput=${set('email')} optional autocomplete="off" />
			</div>
			<p class="hint">${t('users.add_device_note')}</p>
			<div class="form-actions">
				<${Button} kind="secondary" onClick=${onClose}>${t('common.cancel')}</${Button}>
				<${Button} type="submit" busy=${busy}>${t('users.add')}</${Button}>
			</div>
		</form>`}
	</${Modal}>`;
}

// ---- CSV import

const MAX_PIECE = 60 * 1024;
const enc = new TextEncoder();

// The file cut into pieces the server takes (each at most 60 KiB, each with the header
// line), cut between records (a quoted field may hold a line break), with the file's
// line number of each line of each piece.
export function csvPieces(text, max = MAX_PIECE) {
	const records = [];
	let start = 0;
	let line = 1;
	let first = 1;
	let quoted = false;
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (c === '"') quoted = !quoted;
		else if (c === '\n') {
			if (!quoted) {
				records.push({ text: text.slice(start, i), line: first, lines: line - first + 1 });
				start = i + 1;
				first = line + 1;
			}
			line++;
		}
	}
	if (start < text.length && text.slice(start).trim()) {
		records.push({ text: text.slice(start), line: first, lines: line - first + 1 });
	}
	if (!records.length) return [];
	const [header, ...rows] = records;
	const pieces = [];
	let cur = null;
	const headBytes = enc.encode(header.text).length + 1;
	for (const r of rows) {
		if (!r.text.trim()) continue;
		const n = enc.encode(r.text).length + 1;
		if (!cur || cur.bytes + n > max) {
			cur = { parts: [header.text], lines: [0, ...Array.from({ length: header.lines }, (_, k) => header.line + k)], bytes: headBytes };
			pieces.push(cur);
		}
		cur.parts.push(r.text);
		for (let k = 0; k < r.lines; k++) cur.lines.push(r.line + k);
		cur.bytes += n;
	}
	if (!pieces.length) pieces.push({ parts: [header.text], lines: [0, header.line], bytes: headBytes });
	return pieces.map((p) => ({ csv: `${p.parts.join('\n')}\n`, lines: p.lines }));
}

function ImportUsers({ open, onClose, onImported }) {
	const [text, setText] = useState('');
	const [fileName, setFileName] = useState('');
	const [busy, setBusy] = useState('');
	const [error, setError] = useState('');
	const [result, setResult] = useState(null);
	const fileRef = useRef(null);

	useEffect(() => {
		if (open) {
			setText('');
			setFileName('');
			setError('');
			setResult(null);
		}
	}, [open]);

	const pick = async (e) => {
		const file = e.currentTarget.files[0];
		if (!file) return;
		setFileName(file.name);
		setResult(null);
		setText(await file.text());
	};

	const run = async (dryRun) => {
		if (!text.trim()) {
			setError(t('import.need_file'));
			return;
		}
		setBusy(dryRun ? 'check' : 'import');
		setError('');
		setResult(null);
		const pieces = csvPieces(text);
		let count = 0;
		const failed = [];
		try {
			for (const p of pieces) {
				const res = await api.post('/users/import', { csv: p.csv, dry_run: dryRun });
				count += (dryRun ? res.valid : res.added) || 0;
				for (const f of res.failed || []) failed.push({ line: p.lines[f.line] || f.line, error: f.error });
			}
			setResult({ dryRun, count, failed });
			if (!dryRun && count) onImported();
		} catch (err) {
			setError(errorText(err));
			if (count) setResult({ dryRun, count, failed, partial: true });
		}
		setBusy('');
	};

	return html`<${Modal} open=${open} title=${t('import.title')} onClose=${onClose} wide
			footer=${html`<${Button} kind="secondary" onClick=${onClose}>${t('common.close')}</${Button}>
				<${Button} kind="secondary" icon="check" busy=${busy === 'check'} disabled=${!!busy} onClick=${() => run(true)}>${t('import.check')}</${Button}>
				<${Button} icon="upload" busy=${busy === 'import'} disabled=${!!busy} onClick=${() => run(false)}>${t('import.run')}</${Button}>`}>
		<div class="form">
			<p class="muted">${t('import.lead')}</p>
			<pre class="code-sample">name,expires,quota,group,email
alice,2027-01-31,50GiB/month,staff,alice@example.net
bob,30d,,,</pre>
			<${FormError} message=${error} />
			<div class="field">
				<label for="import-file">${t('import.file')}</label>
				<input id="import-file" ref=${fileRef} class="input input-file" type="file" accept=".csv,text/csv,text/plain" onChange=${pick} />
				${fileName && html`<p class="hint">${t('import.file_read', { name: fileName, n: formatNumber(text.split('\n').filter((l) => l.trim()).length - 1) })}</p>`}
			</div>
			<div class="field">
				<label for="import-text">${t('import.paste')}</label>
				<textarea id="import-text" class="input textarea mono" rows="5" spellcheck=${false} value=${text}
					onInput=${(e) => { setText(e.currentTarget.value); setResult(null); }}></textarea>
			</div>
			${result && html`<div class=${`import-result ${result.failed.length ? 'has-failed' : ''}`} role="status">
				<p class="strong">${result.dryRun ? tn('import.valid', result.count) : tn('import.added', result.count)}
					${result.failed.length ? ` · ${tn('import.refused', result.failed.length)}` : ''}</p>
				${result.failed.length > 0 && html`<ul class="refused">
					${result.failed.map((f) => html`<li><span class="refused-line">${t('import.line', { n: f.line })}</span><span>${f.error}</span></li>`)}
				</ul>`}
			</div>`}
		</div>
	</${Modal}>`;
}

// ---- bulk

function BulkBar({ selected, onClear, onDone }) {
	const [confirm, setConfirm] = useState(null);
	const [busy, setBusy] = useState('');
	const names = [...selected];
	const act = async (action) => {
		setBusy(action);
		try {
			const res = await api.post('/users/bulk', { action, names });
			const failed = res.failed || [];
			if (failed.length) {
				toast(t('bulk.partly', { done: formatNumber(res.done.length), failed: formatNumber(failed.length),
					first: `${failed[0].name}: ${failed[0].error}` }), { kind: 'error' });
			} else {
				toast(tn(`bulk.done_${action}`, res.done.length), { kind: 'ok' });
			}
			onDone(action, res.done);
		} catch (e) {
			toast(errorText(e), { kind: 'error' });
		}
		setBusy('');
	};
	return html`<div class="bulkbar" role="region" aria-label=${t('bulk.label')}>
		<span class="bulk-count">${tn('bulk.selected', names.length)}</span>
		<div class="bulk-actions">
			<${Button} kind="secondary" icon="ban" busy=${busy === 'disable'} disabled=${!!busy} onClick=${() => act('disable')}>${t('users.disable')}</${Button}>
			<${Button} kind="secondary" icon="play" busy=${busy === 'enable'} disabled=${!!busy} onClick=${() => act('enable')}>${t('users.enable')}</${Button}>
			<${Button} kind="danger" icon="trash" disabled=${!!busy} onClick=${() => setConfirm(true)}>${t('users.delete')}</${Button}>
			<${Button} kind="ghost" onClick=${onClear}>${t('bulk.clear')}</${Button}>
		</div>
		<${ConfirmDialog} open=${!!confirm} title=${tn('bulk.delete_title', names.length)} confirmLabel=${t('users.delete')}
			onClose=${() => setConfirm(null)}
			action=${() => api.post('/users/bulk', { action: 'delete', names })}
			onDone=${(res) => {
				setConfirm(null);
				const failed = res.failed || [];
				toast(failed.length ? t('bulk.partly', { done: formatNumber(res.done.length), failed: formatNumber(failed.length), first: `${failed[0].name}: ${failed[0].error}` })
					: tn('bulk.done_delete', res.done.length), { kind: failed.length ? 'error' : 'ok' });
				onDone('delete', res.done);
			}}>
			<p>${t('bulk.delete_text')}</p>
			<p class="muted small names-list">${names.slice(0, 12).join(', ')}${names.length > 12 ? ` … (+${formatNumber(names.length - 12)})` : ''}</p>
		</${ConfirmDialog}>
	</div>`;
}

function Users({ session }) {
	const [adding, setAdding] = useState(false);
	const [importing, setImporting] = useState(false);
	const [reload, setReload] = useState(0);
	const [selected, setSelected] = useState(new Set());
	const groups = useGroups(true);
	const patch = useRef(null);
	const params = new URLSearchParams(location.search);
	const initial = {};
	if (STATES.includes(params.get('state'))) initial.state = params.get('state');
	if (params.get('group')) initial.group = params.get('group');
	const canEdit = session.role === 'admin';

	const live = useEvents(['user', 'status'], (type, data) => {
		if (!patch.current) return;
		if (type === 'user' && data.name) {
			patch.current(data.name, data.deleted ? { deleted: true } : (data.state ? { state: data.state } : {}));
		} else if (type === 'status' && Array.isArray(data.devices)) {
			for (const name of new Set(data.devices.map((d) => d.user))) {
				patch.current(name, (u) => patchDevices(u, data.devices));
			}
		}
	});

	const fetchPage = async (q, signal) => {
		const res = await api.get('/users', { query: q, signal });
		return { rows: res.users, total: res.total, next: res.next };
	};
	const filters = [
		{ key: 'state', label: t('users.state'),
			options: [{ value: '', label: t('users.all_states') }, ...STATES.map((s) => ({ value: s, label: t(`state.${s}`) }))] },
		{ key: 'group', label: t('users.group'),
			options: [{ value: '', label: t('users.all_groups') }, ...groups.map((g) => ({ value: g, label: g }))] },
	];
	const afterBulk = (action, done) => {
		setSelected(new Set());
		if (action === 'delete') for (const n of done) patch.current && patch.current(n, { deleted: true });
		setReload((r) => r + 1);
	};

	return html`<div class="page">
		<div class="page-head">
			<div>
				<h1>${t('nav.users')}</h1>
				<p class="page-lead">${t('users.lead')}</p>
			</div>
			<div class="page-actions">
				<${LiveBadge} state=${live} />
				<a class="button button-secondary" href=${apiUrl('/users/export')} download="users.csv">
					<${Icon} name="download" size=${18} /><span>${t('users.export')}</span></a>
				${canEdit && html`<${Button} kind="secondary" icon="upload" onClick=${() => setImporting(true)}>${t('users.import')}</${Button}>`}
				${canEdit && html`<${Button} icon="plus" onClick=${() => setAdding(true)}>${t('users.add')}</${Button}>`}
			</div>
		</div>
		${canEdit && selected.size > 0 && html`<${BulkBar} selected=${selected} onClear=${() => setSelected(new Set())} onDone=${afterBulk} />`}
		<${DataTable} label=${t('nav.users')} columns=${columns()} fetchPage=${fetchPage} filters=${filters}
			initial=${initial} rowKey=${(u) => u.name} defaultSort="name" patch=${patch}
			onOpen=${(u) => navigate(`/admin/users/${encodeURIComponent(u.name)}`)}
			rowClass=${(u) => (u.deleted ? 'row-deleted' : '')}
			selected=${canEdit ? selected : undefined} onSelect=${setSelected}
			searchLabel=${t('users.search')} emptyText=${t('users.empty')} reload=${reload} />
		${canEdit && html`<${AddUser} open=${adding} onClose=${() => setAdding(false)}
			onAdded=${(name) => { setAdding(false); navigate(`/admin/users/${encodeURIComponent(name)}`); }} />
		<${ImportUsers} open=${importing} onClose=${() => setImporting(false)} onImported=${() => setReload((r) => r + 1)} />`}
	</div>`;
}

export default { id: 'users', path: '/admin/users', title: 'nav.users', icon: 'users', component: Users };
