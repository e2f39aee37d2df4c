// Groups: the groups users belong to (GET /api/v1/groups), each with a short summary of
// its access policy and leading to its page and its users; adding one, and deleting one
// that has no users (the default group stays).
import { html, useState, useEffect } from '../../lib/html.js';
import { t, formatDate } from '../../lib/i18n.js';
import { api, seg, errorText } from '../../lib/api.js';
import { Link } from '../../lib/router.js';
import { Modal } from '../../lib/ui/modal.js';
import { TextField, Button, FormError } from '../../lib/ui/form.js';
import { ConfirmDialog } from '../../lib/ui/dialogs.js';
import { Icon } from '../../lib/ui/icons.js';
import { toast } from '../../lib/ui/toast.js';
import { rateText, scheduleText } from '../../lib/ui/policy.js';

// A group's policy in a line: its schedule, its rate, and badges for isolation and
// portal sign-in; a list without policies shows nothing here.
function Summary({ policy }) {
	if (!policy || typeof policy !== 'object') return html`<span class="muted">—</span>`;
	const v = (k) => {
		const x = policy[k];
		return x && typeof x === 'object' && !Array.isArray(x) && 'value' in x ? x.value : x;
	};
	return html`<span class="policy-summary">
		<span class="policy-summary-item" title=${t('group.f.schedule')}><${Icon} name="clock" size=${14} />${scheduleText(v('schedule'))}</span>
		<span class="policy-summary-item" title=${t('group.f.rate')}><${Icon} name="gauge" size=${14} />${rateText(v('rate'))}</span>
		${v('isolate') && html`<span class="badge badge-neutral">${t('group.badge_isolate')}</span>`}
		${v('portal_login') && html`<span class="badge badge-accent">${t('group.badge_portal_login')}</span>`}
	</span>`;
}

function AddGroup({ open, onClose, onAdded }) {
	const [name, setName] = useState('');
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState('');
	useEffect(() => {
		if (open) {
			setName('');
			setError('');
		}
	}, [open]);
	const submit = async (e) => {
		e.preventDefault();
		if (!name.trim()) {
			setError(t('groups.need_name'));
			return;
		}
		setBusy(true);
		setError('');
		try {
			await api.post('/groups', { name: name.trim() });
			toast(t('groups.added', { name: name.trim() }), { kind: 'ok' });
			onAdded();
		} catch (err) {
			setError(errorText(err));
		}
		setBusy(false);
	};
	return html`<${Modal} open=${open} title=${t('groups.add_title')} onClose=${onClose}>
		<form class="form" onSubmit=${submit} novalidate>
			<${FormError} message=${error} />
			<${TextField} label=${t('groups.name')} hint=${t('users.name_hint')} value=${name} onInput=${setName}
				autocomplete="off" autocapitalize="none" spellcheck=${false} autofocus />
			<div class="form-actions">
				<${Button} kind="secondary" onClick=${onClose}>${t('common.cancel')}</${Button}>
				<${Button} type="submit" busy=${busy}>${t('groups.add')}</${Button}>
			</div>
		</form>
	</${Modal}>`;
}

function Groups({ session }) {
	const [list, setList] = useState(null);
	const [error, setError] = useState('');
	const [adding, setAdding] = useState(false);
	const [deleting, setDeleting] = useState(null);
	const [n, setN] = useState(0);
	const canEdit = session.role === 'admin';
	useEffect(() => {
		api.get('/groups').then((res) => setList(res.groups || []), (e) => setError(errorText(e)));
	}, [n]);
	return html`<div class="page">
		<div class="page-head">
			<div>
				<h1>${t('nav.groups')}</h1>
				<p class="page-lead">${t('groups.lead')}</p>
			</div>
			<div class="page-actions">
				${canEdit && html`<${Button} icon="plus" onClick=${() => setAdding(true)}>${t('groups.add')}</${Button}>`}
			</div>
		</div>
		${error && html`<div class="banner banner-error" role="alert"><${Icon} name="alert" /><span>${error}</span></div>`}
		${list && html`<div class="table-wrap"><table class="table">
			<thead><tr><th scope="col">${t('groups.name')}</th><th scope="col">${t('groups.policy')}</th><th scope="col">${t('groups.created')}</th><th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th></tr></thead>
			<tbody>
				${list.map((g) => html`<tr key=${g.name}>
					<td class="col-main" data-label=${t('groups.name')}><${Link} class="strong row-link" href=${`/admin/groups/${encodeURIComponent(g.name)}`}
							aria-label=${t('groups.open', { name: g.name })}>${g.name}</${Link}>
						${g.name === 'default' && html` <span class="badge badge-neutral">${t('groups.default')}</span>`}</td>
					<td data-label=${t('groups.policy')}><${Summary} policy=${g.policy} /></td>
					<td data-label=${t('groups.created')}>${formatDate(g.created, true)}</td>
					<td class="actions" data-label="">
						<${Link} href=${`/admin/groups/${encodeURIComponent(g.name)}`} class="button button-ghost"
							aria-label=${t('groups.policy_of', { name: g.name })}><${Icon} name=${canEdit ? 'edit' : 'eye'} size=${18} /><span>${t('groups.policy_link')}</span></${Link}>
						<${Link} href=${`/admin/users?group=${encodeURIComponent(g.name)}`} class="button button-ghost"><${Icon} name="users" size=${18} /><span>${t('groups.users')}</span></${Link}>
						${canEdit && g.name !== 'default' && html`<${Button} kind="ghost" icon="trash" class="button-danger-text"
							onClick=${() => setDeleting(g.name)} aria-label=${t('groups.delete_title', { name: g.name })}>${t('groups.delete')}</${Button}>`}
					</td>
				</tr>`)}
			</tbody>
		</table></div>`}
		${canEdit && html`<${AddGroup} open=${adding} onClose=${() => setAdding(false)} onAdded=${() => { setAdding(false); setN(n + 1); }} />
		<${ConfirmDialog} open=${!!deleting} title=${t('groups.delete_title', { name: deleting || '' })} confirmLabel=${t('groups.delete')}
			onClose=${() => setDeleting(null)} action=${() => api.del(`/groups/${seg(deleting)}`)}
			onDone=${() => { toast(t('groups.deleted', { name: deleting }), { kind: 'ok' }); setDeleting(null); setN(n + 1); }}>
			<p>${t('groups.delete_text')}</p>
		</${ConfirmDialog}>`}
	</div>`;
}

export default { id: 'groups', path: '/admin/groups', title: 'nav.groups', icon: 'group', component: Groups };
