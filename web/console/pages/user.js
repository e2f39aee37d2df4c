// One user's page: its state, expiry, quota and traffic; editing them; disabling,
// enabling, deleting; a one-time portal password; its devices (add, configuration file,
// QR code, new keys, revoke); its traffic per hour or day and its sessions. Live changes
// to the user and its devices arrive by the event stream.
import { html, useState, useEffect } from '../../lib/html.js';
import { t, formatBytes, formatDate, formatRelative } from '../../lib/i18n.js';
import { api, apiUrl, seg, errorText, ApiError } from '../../lib/api.js';
import { useEvents } from '../../lib/sse.js';
import { Link, navigate } from '../../lib/router.js';
import { Modal } from '../../lib/ui/modal.js';
import { TextField, SelectField, Button, FormError } from '../../lib/ui/form.js';
import { ConfirmDialog, SecretDialog } from '../../lib/ui/dialogs.js';
import { StateBadge, QuotaBar, Presence, Expiry, Traffic, formatRate } from '../../lib/ui/status.js';
import { Icon } from '../../lib/ui/icons.js';
import { toast } from '../../lib/ui/toast.js';
import { PolicyState, rateText } from '../../lib/ui/policy.js';
import { LiveBadge } from '../live.js';
import { TrafficPanel } from './dashboard.js';
import { SessionTable } from './sessions.js';
import { patchDevices } from './users.js';
import { ExpiryField, QuotaField, expiryFields, expiryValue, quotaFields, quotaValue, useGroups } from '../userform.js';

function EditUser({ user, open, onClose, onSaved }) {
	const groups = useGroups(open);
	const [f, setF] = useState(null);
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState('');
	const set = (k) => (v) => setF((o) => ({ ...o, [k]: v }));
	useEffect(() => {
		if (open) {
			setF({ ...expiryFields(user.expires), ...quotaFields(user), group: user.group, email: user.email || '', rate: user.rate || '',
				state: user.state === 'disabled' ? 'disabled' : 'enabled' });
			setError('');
		}
	}, [open]);
	const submit = async (e) => {
		e.preventDefault();
		const before = { ...expiryFields(user.expires), ...quotaFields(user) };
		const body = {};
		if (expiryValue(f) !== expiryValue(before)) body.expires = expiryValue(f);
		if (quotaValue(f) !== quotaValue(before)) body.quota = quotaValue(f);
		if (f.monthly && quotaValue(f) && f.reset_day !== before.reset_day) body.reset_day = parseInt(f.reset_day, 10) || 1;
		if (f.group !== user.group) body.group = f.group;
		if (f.email.trim() !== (user.email || '')) body.email = f.email.trim();
		// Empty: the group's rate again.
		if (f.rate.trim().replace(/\s+/g, '') !== (user.rate || '')) body.rate = f.rate.trim() ? f.rate.trim().replace(/\s+/g, '') : null;
		const wasDisabled = user.state === 'disabled';
		if ((f.state === 'disabled') !== wasDisabled) body.state = f.state;
		if (!Object.keys(body).length) {
			onClose();
			return;
		}
		setBusy(true);
		setError('');
		try {
			const u = await api.patch(`/users/${seg(user.name)}`, body);
			toast(t('user.saved', { name: user.name }), { kind: 'ok' });
			onSaved(u);
		} catch (err) {
			setError(errorText(err));
		}
		setBusy(false);
	};
	return html`<${Modal} open=${open} title=${t('user.edit_title', { name: user.name })} onClose=${onClose}>
		${open && f && html`<form class="form" onSubmit=${submit} novalidate>
			<${FormError} message=${error} />
			<${ExpiryField} f=${f} set=${set} />
			<${QuotaField} f=${f} set=${set} />
			<div class="form-row">
				<${SelectField} label=${t('users.group')} value=${f.group} onChange=${set('group')}
					options=${groups.map((g) => ({ value: g, label: g }))} />
				<${SelectField} label=${t('users.state')} value=${f.state} onChange=${set('state')}
					options=${[{ value: 'enabled', label: t('user.state_enabled') }, { value: 'disabled', label: t('state.disabled') }]} />
			</div>
			<${TextField} label=${t('users.email')} type="email" value=${f.email} onInput=${set('email')} optional autocomplete="off" />
			<${TextField} label=${t('user.rate')} hint=${t('user.rate_hint')} value=${f.rate} onInput=${set('rate')} optional
				autocomplete="off" spellcheck=${false} class="input mono" placeholder=${t('user.rate_placeholder')} />
			<div class="form-actions">
				<${Button} kind="secondary" onClick=${onClose}>${t('common.cancel')}</${Button}>
				<${Button} type="submit" busy=${busy}>${t('common.save')}</${Button}>
			</div>
		</form>`}
	</${Modal}>`;
}

function AddDevice({ user, open, onClose, onAdded }) {
	const [name, setName] = useState('');
	const [kind, setKind] = useState('config');
	const [key, setKey] = useState('');
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState('');
	useEffect(() => {
		if (open) {
			setName('');
			setKind('config');
			setKey('');
			setError('');
		}
	}, [open]);
	const submit = async (e) => {
		e.preventDefault();
		if (!name.trim()) {
			setError(t('device.need_name'));
			return;
		}
		const body = { name: name.trim(), kind };
		if (kind === 'config' && key.trim()) body.public_key = key.trim();
		setBusy(true);
		setError('');
		try {
			const res = await api.post(`/users/${seg(user.name)}/devices`, body);
			onAdded(res);
		} catch (err) {
			setError(errorText(err));
		}
		setBusy(false);
	};
	return html`<${Modal} open=${open} title=${t('device.add_title', { name: user.name })} onClose=${onClose}>
		<form class="form" onSubmit=${submit} novalidate>
			<${FormError} message=${error} />
			<${TextField} label=${t('device.name')} hint=${t('users.name_hint')} value=${name} onInput=${setName}
				autocomplete="off" autocapitalize="none" spellcheck=${false} autofocus />
			<fieldset class="fieldset">
				<legend>${t('device.kind')}</legend>
				<label class="radio-card">
					<input type="radio" name="kind" value="config" checked=${kind === 'config'} onChange=${() => setKind('config')} />
					<span><span class="strong">${t('device.kind.config')}</span><span class="muted small">${t('device.kind_config_hint')}</span></span>
				</label>
				<label class="radio-card">
					<input type="radio" name="kind" value="agent" checked=${kind === 'agent'} onChange=${() => setKind('agent')} />
					<span><span class="strong">${t('device.kind.agent')}</span><span class="muted small">${t('device.kind_agent_hint')}</span></span>
				</label>
			</fieldset>
			${kind === 'config' && html`<${TextField} label=${t('device.public_key')} hint=${t('device.public_key_hint')} value=${key}
				onInput=${setKey} optional autocomplete="off" spellcheck=${false} class="input mono" />`}
			<div class="form-actions">
				<${Button} kind="secondary" onClick=${onClose}>${t('common.cancel')}</${Button}>
				<${Button} type="submit" busy=${busy}>${t('device.add')}</${Button}>
			</div>
		</form>
	</${Modal}>`;
}

function QrDialog({ user, device, onClose }) {
	const base = `/users/${seg(user.name)}/devices/${seg(device.name)}`;
	return html`<${Modal} open title=${t('account.qr_title', { name: device.name })} onClose=${onClose}
			footer=${html`<a class="button button-secondary" href=${apiUrl(`${base}/config`)} download=${`${device.name}.conf`}>
					<${Icon} name="download" size=${18} /><span>${t('device.config')}</span></a>
				<${Button} kind="secondary" onClick=${onClose}>${t('common.close')}</${Button}>`}>
		<p class="muted">${t('account.qr_lead')}</p>
		<div class="qr"><img src=${apiUrl(`${base}/qr.svg`)} alt=${t('account.qr_alt', { name: device.name })} width="260" height="260" /></div>
	</${Modal}>`;
}

function Devices({ user, canEdit, onChanged }) {
	const [adding, setAdding] = useState(false);
	const [qr, setQr] = useState(null);
	const [confirm, setConfirm] = useState(null);
	const [token, setToken] = useState(null);
	const devices = user.devices || [];
	const base = (d) => `/users/${seg(user.name)}/devices/${seg(d.name)}`;
	return html`<section class="card panel" aria-labelledby="devices-title">
		<div class="panel-title">
			<h2 id="devices-title">${t('account.devices')} <span class="muted count">${devices.length}</span></h2>
			${canEdit && html`<${Button} kind="secondary" icon="plus" onClick=${() => setAdding(true)}>${t('device.add')}</${Button}>`}
		</div>
		${!devices.length && html`<p class="muted">${t('account.no_devices')}</p>`}
		<ul class="device-rows">
			${devices.map((d) => html`<li class="device-row" key=${d.name} data-device=${d.name}>
				<div class="device-icon"><${Icon} name=${d.kind === 'agent' ? 'shield' : 'device'} /></div>
				<div class="device-main">
					<div class="device-name"><span class="strong">${d.name}</span>
						<span class="badge badge-neutral">${t(`device.kind.${d.kind === 'agent' ? 'agent' : 'config'}`)}</span>
						${d.kind === 'agent' && d.state && html`<span class="muted small">${t(`device.state.${d.state.replace(' ', '_')}`)}</span>`}
					</div>
					<div class="muted small mono">${(d.addresses || []).join(' · ')}</div>
					<div class="device-meta small">
						<${Presence} online=${d.online} seen=${d.latest_handshake || d.last_seen} used=${(d.rx_bytes || 0) + (d.tx_bytes || 0) > 0} />
						${d.endpoint && html`<span class="mono muted">${d.endpoint}</span>`}
						${d.online && (d.rx_rate || d.tx_rate) ? html`<span class="muted">↓ ${formatRate(d.tx_rate)} ↑ ${formatRate(d.rx_rate)}</span>` : null}
						<${Traffic} rx=${d.rx_bytes} tx=${d.tx_bytes} />
						<${PolicyState} policy=${d.policy} />
					</div>
				</div>
				${canEdit && html`<div class="device-actions">
					${d.kind !== 'agent' && d.server_holds_private_key && html`
						<a class="button button-secondary" href=${apiUrl(`${base(d)}/config`)} download=${`${d.name}.conf`}>
							<${Icon} name="download" size=${18} /><span>${t('device.config')}</span></a>
						<${Button} kind="secondary" icon="qr" onClick=${() => setQr(d)}>${t('account.qr')}</${Button}>`}
					${d.kind !== 'agent' && html`<${Button} kind="secondary" icon="refresh" onClick=${() => setConfirm({ what: 'rotate', d })}>${t('device.rotate')}</${Button}>`}
					<${Button} kind="ghost" icon="trash" class="button-danger-text" onClick=${() => setConfirm({ what: 'revoke', d })}>${t('device.revoke')}</${Button}>
				</div>`}
			</li>`)}
		</ul>
		${canEdit && html`<${AddDevice} user=${user} open=${adding} onClose=${() => setAdding(false)}
			onAdded=${(res) => {
				setAdding(false);
				const dev = res.device || res;
				toast(t('device.added', { name: dev.name }), { kind: 'ok' });
				if (res.token) setToken({ name: dev.name, token: res.token });
				onChanged();
			}} />`}
		${qr && html`<${QrDialog} user=${user} device=${qr} onClose=${() => setQr(null)} />`}
		<${ConfirmDialog} open=${!!confirm} danger=${confirm && confirm.what === 'revoke'}
			title=${confirm ? t(`device.${confirm.what}_title`, { name: confirm.d.name }) : ''}
			confirmLabel=${confirm ? t(`device.${confirm.what}`) : ''}
			onClose=${() => setConfirm(null)}
			action=${() => (confirm.what === 'rotate'
				? api.post(`${base(confirm.d)}/rotate`, {})
				: api.del(base(confirm.d)))}
			onDone=${() => {
				toast(t(`device.${confirm.what}_done`, { name: confirm.d.name }), { kind: 'ok' });
				setConfirm(null);
				onChanged();
			}}>
			<p>${confirm && t(`device.${confirm.what}_text`)}</p>
		</${ConfirmDialog}>
		<${SecretDialog} open=${!!token} title=${t('device.token_title', { name: token ? token.name : '' })}
			label=${t('device.token')} value=${token && token.token}
			lead=${t('device.token_lead')} hint=${token && `warren enroll ${location.origin} ${token.token}`}
			onClose=${() => setToken(null)} />
	</section>`;
}

function Details({ user }) {
	const rows = [
		[t('users.group'), html`<${Link} href=${`/admin/groups/${encodeURIComponent(user.group || 'default')}`}>
			${user.group === 'default' ? t('users.group_default') : user.group}</${Link}>`],
		[t('users.email'), user.email || '—'],
		[t('user.rate'), user.rate ? html`<span data-rate=${user.rate}>${rateText(user.rate)}</span>`
			: html`<span class="muted">${t('user.rate_group')}</span>`],
		[t('users.expires'), html`<${Expiry} value=${user.expires} />`],
		[t('users.quota'), html`<${QuotaBar} used=${user.quota_used} quota=${user.quota_bytes} period=${user.quota_period} />`],
		user.quota_period === 'month' && [t('users.period'), t('user.period_text', { day: user.quota_reset_day, since: formatDate(user.period_start) })],
		[t('users.traffic'), html`<${Traffic} rx=${user.rx_bytes} tx=${user.tx_bytes} />`],
		[t('users.addresses'), html`<span class="mono">${(user.addresses || []).join(', ') || '—'}</span>`],
		[t('user.portal'), user.has_password ? (user.must_change_password ? t('user.portal_one_time') : t('user.portal_set')) : t('user.portal_none')],
		[t('user.created'), formatDate(user.created, true)],
	].filter(Boolean);
	return html`<section class="card panel" aria-labelledby="details-title">
		<div class="panel-title"><h2 id="details-title">${t('user.details')}</h2></div>
		<dl class="details">${rows.map(([k, v]) => html`<div class="details-row"><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>
	</section>`;
}

function User({ params, session }) {
	const name = params.name;
	const [user, setUser] = useState(null);
	const [error, setError] = useState(null);
	const [attempt, setAttempt] = useState(0);
	const [editing, setEditing] = useState(false);
	const [confirm, setConfirm] = useState(null);
	const [password, setPassword] = useState(null);
	const [busy, setBusy] = useState('');
	const canEdit = session.role === 'admin';

	useEffect(() => {
		const ctl = new AbortController();
		setError(null);
		api.get(`/users/${seg(name)}`, { signal: ctl.signal }).then(setUser, (e) => {
			if (!e || e.name !== 'AbortError') setError(e);
		});
		return () => ctl.abort();
	}, [name, attempt]);
	const refresh = () => setAttempt((a) => a + 1);

	const live = useEvents(['user', 'status'], (type, data) => {
		if (type === 'user' && data.name === name) {
			if (data.deleted) setUser((u) => u && { ...u, deleted: true });
			else refresh();
		} else if (type === 'status' && Array.isArray(data.devices)) {
			setUser((u) => (u ? patchDevices(u, data.devices) : u));
		}
	}, refresh);

	const setState = async (what) => {
		setBusy(what);
		try {
			setUser(await api.post(`/users/${seg(name)}/${what}`, {}));
			toast(t(`user.${what}d`, { name }), { kind: 'ok' });
		} catch (e) {
			toast(errorText(e), { kind: 'error' });
		}
		setBusy('');
	};

	if (error) {
		const missing = error instanceof ApiError && error.status === 404;
		return html`<div class="page"><div class="empty-state">
			<h1>${missing ? t('user.not_found', { name }) : t('user.error')}</h1>
			<p class="muted">${missing ? t('user.not_found_lead') : errorText(error)}</p>
			<div class="empty-actions">
				${!missing && html`<${Button} kind="secondary" icon="refresh" onClick=${refresh}>${t('common.retry')}</${Button}>`}
				<${Link} href="/admin/users" class="button button-primary">${t('user.back')}</${Link}>
			</div>
		</div></div>`;
	}
	if (!user) return html`<div class="page"><p class="muted" aria-busy="true">${t('common.loading')}</p></div>`;

	return html`<div class="page">
		<${Link} href="/admin/users" class="back-link"><${Icon} name="back" size=${16} />${t('user.back')}</${Link}>
		<div class="page-head">
			<div>
				<div class="title-row">
					<h1>${user.name}</h1>
					${user.deleted ? html`<span class="badge badge-neutral">${t('users.deleted')}</span>` : html`<${StateBadge} state=${user.state} />`}
					<${Presence} online=${user.online} seen=${user.latest_handshake} used=${(user.rx_bytes || 0) + (user.tx_bytes || 0) > 0} />
				</div>
				<p class="page-lead">${user.expires ? html`${t('users.expires')}: <${Expiry} value=${user.expires} />` : t('user.no_expiry')}
					${user.latest_handshake ? ` · ${t('account.last_seen', { when: formatRelative(user.latest_handshake) })}` : ''}</p>
			</div>
			<div class="page-actions">
				<${LiveBadge} state=${live} />
				${canEdit && !user.deleted && html`
					<${Button} icon="edit" onClick=${() => setEditing(true)}>${t('user.edit')}</${Button}>
					${user.state === 'disabled'
						? html`<${Button} kind="secondary" icon="play" busy=${busy === 'enable'} onClick=${() => setState('enable')}>${t('users.enable')}</${Button}>`
						: html`<${Button} kind="secondary" icon="ban" busy=${busy === 'disable'} onClick=${() => setState('disable')}>${t('users.disable')}</${Button}>`}
					<${Button} kind="secondary" icon="key" onClick=${() => setConfirm('password')}>${t('user.password')}</${Button}>
					<${Button} kind="ghost" icon="trash" class="button-danger-text" onClick=${() => setConfirm('delete')}>${t('users.delete')}</${Button}>`}
			</div>
		</div>
		<div class="user-grid">
			<${Details} user=${user} />
			<${Devices} user=${user} canEdit=${canEdit && !user.deleted} onChanged=${refresh} />
		</div>
		<${TrafficPanel} user=${user.name} title=${t('user.traffic')} />
		<section class="section" aria-labelledby="sessions-title">
			<h2 id="sessions-title" class="section-title">${t('nav.sessions')}</h2>
			<${SessionTable} user=${user.name} />
		</section>
		${canEdit && html`<${EditUser} user=${user} open=${editing} onClose=${() => setEditing(false)}
			onSaved=${(u) => { setEditing(false); setUser(u); }} />
		<${ConfirmDialog} open=${confirm === 'delete'} title=${t('user.delete_title', { name })} confirmLabel=${t('users.delete')}
			onClose=${() => setConfirm(null)} action=${() => api.del(`/users/${seg(name)}`)}
			onDone=${() => { setConfirm(null); toast(t('user.deleted', { name }), { kind: 'ok' }); navigate('/admin/users'); }}>
			<p>${t('user.delete_text')}</p>
		</${ConfirmDialog}>
		<${ConfirmDialog} open=${confirm === 'password'} danger=${false} title=${t('user.password_title', { name })}
			confirmLabel=${t('user.password_make')} onClose=${() => setConfirm(null)}
			action=${() => api.post(`/users/${seg(name)}/password`, {})}
			onDone=${(res) => { setConfirm(null); setPassword(res.password); refresh(); }}>
			<p>${t('user.password_text')}</p>
		</${ConfirmDialog}>
		<${SecretDialog} open=${!!password} title=${t('user.password_title', { name })} label=${t('user.password_label')}
			value=${password} lead=${t('user.password_lead', { name })} onClose=${() => setPassword(null)} />`}
	</div>`;
}

export default { id: 'user', path: '/admin/users/:name', nav: 'users', hidden: true, title: 'nav.users', icon: 'users', component: User };
