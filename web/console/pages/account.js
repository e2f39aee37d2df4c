// The signed-in admin's own account: its role, a password change, and two-step sign-in
// (TOTP) to enrol.
import { html, useState } from '../../lib/html.js';
import { t } from '../../lib/i18n.js';
import { session as store } from '../../lib/session.js';
import { PasswordChangeForm } from '../../lib/auth.js';
import { toast } from '../../lib/ui/toast.js';
import { TotpEnrol } from '../totp.js';

function Account({ session }) {
	const [enrolling, setEnrolling] = useState(false);
	return html`<div class="page page-narrow">
		<div class="page-head">
			<div>
				<h1>${t('account.title_admin')}</h1>
				<p class="page-lead">${t('account.lead_admin', { name: session.name, role: t(`role.${session.role}`) })}</p>
			</div>
		</div>
		<section class="card panel" aria-labelledby="totp-title">
			<div class="panel-title"><h2 id="totp-title">${t('totp.title')}</h2>
				${session.totp ? html`<span class="badge badge-ok">${t('admins.totp_on')}</span>` : html`<span class="badge badge-neutral">${t('admins.totp_none')}</span>`}</div>
			${session.totp && !enrolling
				? html`<p class="muted">${t('totp.on_text')}</p>`
				: html`<${TotpEnrol} onDone=${() => { store.update({ totp: true }); setEnrolling(false); toast(t('totp.enrolled'), { kind: 'ok' }); }} />`}
		</section>
		<section class="card panel" aria-labelledby="pw-title">
			<div class="panel-title"><h2 id="pw-title">${t('password.title')}</h2></div>
			<${PasswordChangeForm} name=${session.name} onDone=${() => toast(t('password.changed'), { kind: 'ok' })} />
		</section>
	</div>`;
}

export default { id: 'account', path: '/admin/account', hidden: true, title: 'account.title_admin', icon: 'key', component: Account };
