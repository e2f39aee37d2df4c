// Admins and tokens: the console accounts (GET /api/v1/admins) with their roles and
// two-step sign-in, added with a one-time password shown once; role changes, a new
// one-time password, TOTP removal, deletion; the API tokens (GET /api/v1/tokens), each
// shown once when made.
import { html, useState, useEffect } from '../../lib/html.js';
import { t, formatDate, formatRelative } from '../../lib/i18n.js';
import { api, seg, errorText } from '../../lib/api.js';
import { Modal } from '../../lib/ui/modal.js';
import { TextField, SelectField, Button, FormError } from '../../lib/ui/form.js';
import { ConfirmDialog, SecretDialog } from '../../lib/ui/dialogs.js';
import { Icon } from '../../lib/ui/icons.js';
import { toast } from '../../lib/ui/toast.js';

const roleOptions = () => [
	{ value: 'admin', label: t('role.admin') },
	{ value: 'viewer', label: t('role.viewer') },
];

// Add an admin or a token: a name and a role.
function AddDialog({ open, what, onClose, onAdded }) {
	const [name, setName] = useState('');
	const [role, setRole] = useState('admin');
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState('');
	useEffect(() => {
		if (open) {
			setName('');
			setRole(what === 'token' ? 'viewer' : 'admin');
			setError('');
		}
	}, [open]);
	const submit = async (e) => {
		e.preventDefault();
		if (!name.trim()) {
			setError(t('admins.need_name'));
			return;
		}
		setBusy(true);
		setError('');
		try {
			onAdded(await api.post(what === 'token' ? '/tokens' : '/admins', { name: name.trim(), role }));
		} catch (err) {
			setError(errorText(err));
		}
		setBusy(false);
	};
	return html`<${Modal} open=${open} title=${t(`${what}s.add_title`)} onClose=${onClose}>
		<form class="form" onSubmit=${submit} novalidate>
			<${FormError} message=${error} />
			<${TextField} label=${t('admins.name')} hint=${t('users.name_hint')} value=${name} onInput=${setName}
				autocomplete="off" autocapitalize="none" spellcheck=${false} autofocus />
			<${SelectField} label=${t('admins.role')} value=${role} onChange=${setRole} options=${roleOptions()}
				hint=${t(role === 'admin' ? 'admins.role_admin_hint' : 'admins.role_viewer_hint')} />
			<div class="form-actions">
				<${Button} kind="secondary" onClick=${onClose}>${t('common.cancel')}</${Button}>
				<${Button} type="submit" busy=${busy}>${t(`${what}s.add`)}</${Button}>
			</div>
		</form>
	</${Modal}>`;
}

function RoleDialog({ admin, onClose, onSaved }) {
	const [role, setRole] = useState(admin.role);
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState('');
	const submit = async (e) => {
		e.preventDefault();
		setBusy(true);
		setError('');
		try {
			await api.patch(`/admins/${seg(admin.name)}`, { role });
			toast(t('admins.role_saved', { name: admin.name }), { kind: 'ok' });
			onSaved();
		} catch (err) {
			setError(errorText(err));
		}
		setBusy(false);
	};
	return html`<${Modal} open title=${t('admins.role_title', { name: admin.name })} onClose=${onClose}>
		<form class="form" onSubmit=${submit} novalidate>
			<${FormError} message=${error} />
			<${SelectField} label=${t('admins.role')} value=${role} onChange=${setRole} options=${roleOptions()}
				hint=${t(role === 'admin' ? 'admins.role_admin_hint' : 'admins.role_viewer_hint')} autofocus />
			<div class="form-actions">
				<${Button} kind="secondary" onClick=${onClose}>${t('common.cancel')}</${Button}>
				<${Button} type="submit" busy=${busy}>${t('common.save')}</${Button}>
			</div>
		</form>
	</${Modal}>`;
}

function Admins({ session }) {
	const [admins, setAdmins] = useState(null);
	const [tokens, setTokens] = useState(null);
	const [error, setError] = useState('');
	const [n, setN] = useState(0);
	const [adding, setAdding] = useState('');
	const [roleOf, setRoleOf] = useState(null);
	const [confirm, setConfirm] = useState(null);
	const [secret, setSecret] = useState(null);
	const canEdit = session.role === 'admin';
	const reload = () => setN((x) => x + 1);
	useEffect(() => {
		api.get('/admins').then((r) => setAdmins(r.admins || []), (e) => setError(errorText(e)));
		api.get('/tokens').then((r) => setTokens(r.tokens || []), (e) => setError(errorText(e)));
	}, [n]);

	const actions = {
		password: { title: (x) => t('admins.password_title', { name: x }), label: t('admins.password'), danger: false,
			text: t('admins.password_text'), run: (x) => api.post(`/admins/${seg(x)}/password`, {}),
			done: (x, r) => setSecret({ title: t('admins.password_title', { name: x }), label: t('admins.password_label'),
				value: r.password, lead: t('admins.password_lead', { name: x }) }) },
		totp: { title: (x) => t('admins.totp_off_title', { name: x }), label: t('admins.totp_off'), danger: true,
			text: t('admins.totp_off_text'), run: (x) => api.patch(`/admins/${seg(x)}`, { totp: false }),
			done: (x) => toast(t('admins.totp_off_done', { name: x }), { kind: 'ok' }) },
		delete: { title: (x) => t('admins.delete_title', { name: x }), label: t('admins.delete'), danger: true,
			text: t('admins.delete_text'), run: (x) => api.del(`/admins/${seg(x)}`),
			done: (x) => toast(t('admins.deleted', { name: x }), { kind: 'ok' }) },
		token: { title: (x) => t('tokens.delete_title', { name: x }), label: t('tokens.delete'), danger: true,
			text: t('tokens.delete_text'), run: (x) => api.del(`/tokens/${seg(x)}`),
			done: (x) => toast(t('tokens.deleted', { name: x }), { kind: 'ok' }) },
	};
	const a = confirm && actions[confirm.what];

	return html`<div class="page">
		<div class="page-head">
			<div>
				<h1>${t('nav.admins')}</h1>
				<p class="page-lead">${t('admins.lead')}</p>
			</div>
		</div>
		${error && html`<div class="banner banner-error" role="alert"><${Icon} name="alert" /><span>${error}</span></div>`}
		<section class="section" aria-labelledby="admins-title">
			<div class="section-head">
				<h2 id="admins-title" class="section-title">${t('admins.title')}</h2>
				${canEdit && html`<${Button} icon="plus" onClick=${() => setAdding('admin')}>${t('admins.add')}</${Button}>`}
			</div>
			${admins && html`<div class="table-wrap"><table class="table">
				<thead><tr>
					<th scope="col">${t('admins.name')}</th><th scope="col">${t('admins.role')}</th>
					<th scope="col">${t('admins.totp')}</th><th scope="col">${t('admins.last_login')}</th>
					${canEdit && html`<th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th>`}
				</tr></thead>
				<tbody>${admins.map((x) => html`<tr key=${x.name}>
					<td class="col-main" data-label=${t('admins.name')}><div class="cell-main"><span class="strong">${x.name}
						${x.name === session.name && html` <span class="muted small">${t('admins.you')}</span>`}</span>
						${x.must_change_password && html`<span class="muted small">${t('admins.one_time')}</span>`}</div></td>
					<td data-label=${t('admins.role')}><span class=${`badge ${x.role === 'admin' ? 'badge-accent' : 'badge-neutral'}`}>${t(`role.${x.role}`)}</span></td>
					<td data-label=${t('admins.totp')}>${x.totp ? html`<span class="badge badge-ok">${t('admins.totp_on')}</span>` : html`<span class="muted">${t('admins.totp_none')}</span>`}</td>
					<td data-label=${t('admins.last_login')}>${x.last_login ? html`<span title=${formatDate(x.last_login, true)}>${formatRelative(x.last_login)}</span>` : html`<span class="muted">${t('admins.never')}</span>`}</td>
					${canEdit && html`<td class="actions" data-label="">
						<${Button} kind="ghost" onClick=${() => setRoleOf(x)} aria-label=${t('admins.role_title', { name: x.name })}>${t('admins.change_role')}</${Button}>
						<${Button} kind="ghost" onClick=${() => setConfirm({ what: 'password', name: x.name })} aria-label=${t('admins.password_title', { name: x.name })}>${t('admins.password')}</${Button}>
						${x.totp && html`<${Button} kind="ghost" onClick=${() => setConfirm({ what: 'totp', name: x.name })} aria-label=${t('admins.totp_off_title', { name: x.name })}>${t('admins.totp_off')}</${Button}>`}
						${x.name !== session.name && html`<${Button} kind="ghost" icon="trash" class="button-danger-text" onClick=${() => setConfirm({ what: 'delete', name: x.name })}
							aria-label=${t('admins.delete_title', { name: x.name })}>${t('admins.delete')}</${Button}>`}
					</td>`}
				</tr>`)}</tbody>
			</table></div>`}
		</section>
		<section class="section" aria-labelledby="tokens-title">
			<div class="section-head">
				<div>
					<h2 id="tokens-title" class="section-title">${t('tokens.title')}</h2>
					<p class="muted small">${t('tokens.lead')}</p>
				</div>
				${canEdit && html`<${Button} kind="secondary" icon="plus" onClick=${() => setAdding('token')}>${t('tokens.add')}</${Button}>`}
			</div>
			${tokens && !tokens.length && html`<p class="muted empty-line">${t('tokens.empty')}</p>`}
			${tokens && tokens.length > 0 && html`<div class="table-wrap"><table class="table">
				<thead><tr>
					<th scope="col">${t('admins.name')}</th><th scope="col">${t('admins.role')}</th>
					<th scope="col">${t('tokens.created')}</th><th scope="col">${t('tokens.last_used')}</th>
					${canEdit && html`<th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th>`}
				</tr></thead>
				<tbody>${tokens.map((x) => html`<tr key=${x.name}>
					<td class="col-main" data-label=${t('admins.name')}><span class="strong mono">${x.name}</span></td>
					<td data-label=${t('admins.role')}><span class=${`badge ${x.role === 'admin' ? 'badge-accent' : 'badge-neutral'}`}>${t(`role.${x.role}`)}</span></td>
					<td data-label=${t('tokens.created')}>${formatDate(x.created, true)}</td>
					<td data-label=${t('tokens.last_used')}>${x.last_used ? formatRelative(x.last_used) : html`<span class="muted">${t('admins.never')}</span>`}</td>
					${canEdit && html`<td class="actions" data-label="">
						<${Button} kind="ghost" icon="trash" class="button-danger-text" onClick=${() => setConfirm({ what: 'token', name: x.name })}
							aria-label=${t('tokens.delete_title', { name: x.name })}>${t('tokens.delete')}</${Button}>
					</td>`}
				</tr>`)}</tbody>
			</table></div>`}
		</section>
		${canEdit && html`<${AddDialog} open=${!!adding} what=${adding || 'admin'} onClose=${() => setAdding('')}
			onAdded=${(r) => {
				const what = adding;
				setAdding('');
				reload();
				setSecret(what === 'token'
					? { title: t('tokens.made_title', { name: r.name }), label: t('tokens.token'), value: r.token,
						lead: t('tokens.made_lead', { role: t(`role.${r.role}`) }), hint: `Authorization: Bearer ${r.token}` }
					: { title: t('admins.made_title', { name: r.name }), label: t('admins.password_label'), value: r.password,
						lead: t('admins.made_lead', { name: r.name, role: t(`role.${r.role}`) }) });
			}} />
		${roleOf && html`<${RoleDialog} admin=${roleOf} onClose=${() => setRoleOf(null)} onSaved=${() => { setRoleOf(null); reload(); }} />`}
		<${ConfirmDialog} open=${!!confirm} danger=${a ? a.danger : true} title=${a ? a.title(confirm.name) : ''}
			confirmLabel=${a ? a.label : ''} onClose=${() => setConfirm(null)}
			action=${() => a.run(confirm.name)}
			onDone=${(r) => { const c = confirm; setConfirm(null); a.done(c.name, r); reload(); }}>
			<p>${a && a.text}</p>
		</${ConfirmDialog}>
		<${SecretDialog} open=${!!secret} title=${secret ? secret.title : ''} label=${secret ? secret.label : ''}
			value=${secret && secret.value} lead=${secret && secret.lead} hint=${secret && secret.hint} onClose=${() => setSecret(null)} />`}
	</div>`;
}

export default { id: 'admins', path: '/admin/admins', title: 'nav.admins', icon: 'admin', component: Admins };
