// Settings: what admins change while the server runs (GET /api/v1/settings), each with
// its value, the configuration file's value and where the value comes from; edited one
// at a time (PATCH /api/v1/settings), or put back to the file's value (null).
import { html, useState, useEffect } from '../../lib/html.js';
import { t, formatDate, formatNumber } from '../../lib/i18n.js';
import { api, errorText } from '../../lib/api.js';
import { Modal } from '../../lib/ui/modal.js';
import { TextField, Button, FormError } from '../../lib/ui/form.js';
import { ConfirmDialog } from '../../lib/ui/dialogs.js';
import { Icon } from '../../lib/ui/icons.js';
import { toast } from '../../lib/ui/toast.js';

const KNOWN = ['endpoint', 'dns', 'client_allowed_ips', 'client_keepalive', 'mtu', 'snat', 'session_idle_s',
	'session_retention_days', 'max_devices'];
const label = (k) => (KNOWN.includes(k) ? t(`settings.key.${k}`) : k);
const kindOf = (v) => (Array.isArray(v) ? 'list' : typeof v === 'boolean' ? 'bool' : typeof v === 'number' ? 'number' : 'text');

function Value({ v }) {
	if (Array.isArray(v)) {
		return v.length ? html`<span class="chips">${v.map((x) => html`<span class="chip mono">${x}</span>`)}</span>`
			: html`<span class="muted">${t('settings.none')}</span>`;
	}
	if (typeof v === 'boolean') return html`<span class=${`badge ${v ? 'badge-ok' : 'badge-neutral'}`}>${v ? t('settings.on') : t('settings.off')}</span>`;
	if (v == null || v === '') return html`<span class="muted">${t('settings.none')}</span>`;
	return html`<span class="mono">${typeof v === 'number' ? formatNumber(v) : v}</span>`;
}

function EditSetting({ s, onClose, onSaved }) {
	const kind = kindOf(s.value);
	const [text, setText] = useState('');
	const [on, setOn] = useState(false);
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState('');
	useEffect(() => {
		setText(kind === 'list' ? s.value.join('\n') : kind === 'bool' ? '' : String(s.value ?? ''));
		setOn(!!s.value);
		setError('');
	}, [s]);
	const submit = async (e) => {
		e.preventDefault();
		let v;
		if (kind === 'list') v = text.split(/[\s,]+/).filter(Boolean);
		else if (kind === 'bool') v = on;
		else if (kind === 'number') {
			if (!/^\s*\d+\s*$/.test(text)) {
				setError(t('settings.need_number'));
				return;
			}
			v = parseInt(text, 10);
		} else v = text.trim();
		setBusy(true);
		setError('');
		try {
			const res = await api.patch('/settings', { [s.key]: v });
			toast(t('settings.saved', { key: label(s.key) }), { kind: 'ok' });
			onSaved(res);
		} catch (err) {
			setError(errorText(err));
		}
		setBusy(false);
	};
	return html`<${Modal} open title=${t('settings.edit_title', { key: label(s.key) })} onClose=${onClose}>
		<form class="form" onSubmit=${submit} novalidate>
			<p class="muted">${KNOWN.includes(s.key) ? t(`settings.desc.${s.key}`) : ''}</p>
			<${FormError} message=${error} />
			${kind === 'bool' ? html`<label class="check-label switch-label">
					<input type="checkbox" class="check" role="switch" checked=${on} onChange=${(e) => setOn(e.currentTarget.checked)} autofocus />
					<span>${label(s.key)}</span>
				</label>`
				: kind === 'list' ? html`<div class="field">
					<label for="setting-value">${label(s.key)}</label>
					<textarea id="setting-value" class="input textarea mono" rows="4" value=${text} spellcheck=${false}
						onInput=${(e) => setText(e.currentTarget.value)} aria-describedby="setting-hint" autofocus></textarea>
					<p class="hint" id="setting-hint">${t('settings.list_hint')}</p>
				</div>`
				: html`<${TextField} label=${label(s.key)} value=${text} onInput=${setText} inputmode=${kind === 'number' ? 'numeric' : undefined}
					class="input mono" autocomplete="off" spellcheck=${false} autofocus />`}
			<p class="hint">${t('settings.file_value')}: <${Value} v=${s.file} /></p>
			<div class="form-actions">
				<${Button} kind="secondary" onClick=${onClose}>${t('common.cancel')}</${Button}>
				<${Button} type="submit" busy=${busy}>${t('common.save')}</${Button}>
			</div>
		</form>
	</${Modal}>`;
}

function Settings({ session }) {
	const [list, setList] = useState(null);
	const [error, setError] = useState('');
	const [editing, setEditing] = useState(null);
	const [resetting, setResetting] = useState(null);
	const canEdit = session.role === 'admin';
	useEffect(() => {
		api.get('/settings').then((res) => setList(res.settings || []), (e) => setError(errorText(e)));
	}, []);
	const order = (a, b) => {
		const i = KNOWN.indexOf(a.key);
		const j = KNOWN.indexOf(b.key);
		return (i < 0 ? 99 : i) - (j < 0 ? 99 : j) || a.key.localeCompare(b.key);
	};
	return html`<div class="page">
		<div class="page-head">
			<div>
				<h1>${t('nav.settings')}</h1>
				<p class="page-lead">${t('settings.lead')}</p>
			</div>
		</div>
		${error && html`<div class="banner banner-error" role="alert"><${Icon} name="alert" /><span>${error}</span></div>`}
		${!list && !error && html`<p class="muted">${t('common.loading')}</p>`}
		${list && html`<ul class="settings-list">
			${[...list].sort(order).map((s) => html`<li class="card setting" key=${s.key} data-key=${s.key}>
				<div class="setting-main">
					<div class="setting-head">
						<h2 class="setting-name">${label(s.key)}</h2>
						<span class=${`badge ${s.origin === 'database' ? 'badge-accent' : 'badge-neutral'}`}>
							${s.origin === 'database' ? t('settings.origin_database') : t('settings.origin_file')}</span>
					</div>
					<p class="muted small">${KNOWN.includes(s.key) ? t(`settings.desc.${s.key}`) : html`<span class="mono">${s.key}</span>`}</p>
					<dl class="setting-values">
						<div><dt>${t('settings.value')}</dt><dd><${Value} v=${s.value} /></dd></div>
						${s.origin === 'database' && html`<div><dt>${t('settings.file_value')}</dt><dd><${Value} v=${s.file} /></dd></div>
							<div><dt>${t('settings.changed')}</dt><dd class="small">${t('settings.changed_by', { when: formatDate(s.updated, true), who: s.updated_by || '—' })}</dd></div>`}
					</dl>
				</div>
				${canEdit && html`<div class="setting-actions">
					<${Button} kind="secondary" icon="edit" onClick=${() => setEditing(s)} aria-label=${t('settings.edit_title', { key: label(s.key) })}>${t('settings.edit')}</${Button}>
					${s.origin === 'database' && html`<${Button} kind="ghost" icon="reset" onClick=${() => setResetting(s)}
						aria-label=${t('settings.reset_title', { key: label(s.key) })}>${t('settings.reset')}</${Button}>`}
				</div>`}
			</li>`)}
		</ul>`}
		${editing && html`<${EditSetting} s=${editing} onClose=${() => setEditing(null)}
			onSaved=${(res) => { setEditing(null); if (res && res.settings) setList(res.settings); }} />`}
		<${ConfirmDialog} open=${!!resetting} danger=${false} title=${resetting ? t('settings.reset_title', { key: label(resetting.key) }) : ''}
			confirmLabel=${t('settings.reset')} onClose=${() => setResetting(null)}
			action=${() => api.patch('/settings', { [resetting.key]: null })}
			onDone=${(res) => { toast(t('settings.reset_done', { key: label(resetting.key) }), { kind: 'ok' }); setResetting(null); if (res && res.settings) setList(res.settings); }}>
			${resetting && html`<p>${t('settings.reset_text')}</p><p class="small"><${Value} v=${resetting.file} /></p>`}
		</${ConfirmDialog}>
	</div>`;
}

export default { id: 'settings', path: '/admin/settings', title: 'nav.settings', icon: 'settings', component: Settings };
