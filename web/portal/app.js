// The user portal: signs in (and makes a one-time password change first), then shows
// the account. Phone-sized screens come first.
import { html, render, useEffect } from '../lib/html.js';
import { initI18n, t, useLang } from '../lib/i18n.js';
import { session, useSession } from '../lib/session.js';
import { onSignedOut, onPasswordChangeRequired, logout, verifySession } from '../lib/api.js';
import { usePath, match, Link } from '../lib/router.js';
import { LoginPage, PasswordPage } from '../lib/auth.js';
import { Toaster, toast } from '../lib/ui/toast.js';
import { Shell } from './shell.js';
import account from './pages/account.js';

const pages = [account];

function NotFound() {
	return html`<div class="page"><div class="empty-state">
		<h1>${t('page.not_found')}</h1>
		<p class="muted">${t('page.not_found_lead')}</p>
		<${Link} href="/" class="button button-primary">${t('page.to_account')}</${Link}>
	</div></div>`;
}

function Portal() {
	const s = useSession();
	const path = usePath();
	const page = pages.find((p) => match(p.path, path));

	useEffect(() => {
		let title = t('login.title.portal');
		if (!s || s.role !== 'user') title = t('login.title.portal');
		else if (s.mustChange) title = t('password.title_forced');
		else title = page ? t(page.title) : t('page.not_found');
		document.title = `${title} · warren`;
	});

	if (!s || s.role !== 'user') {
		return html`<${LoginPage} which="portal" accepts=${['user']}
			wrongSide=${() => t('login.not_user')} onSignedIn=${() => {}} />`;
	}
	if (s.mustChange) {
		return html`<${PasswordPage} forced name=${s.name}
			onDone=${() => toast(t('password.changed'), { kind: 'ok' })} />`;
	}
	const Page = page ? page.component : NotFound;
	return html`<${Shell} session=${s} onSignOut=${() => logout()}><${Page} session=${s} /></${Shell}>`;
}

function App() {
	useLang();
	return html`<${Portal} /><${Toaster} />`;
}

onSignedOut(() => {
	if (!session.get()) return;
	session.end();
	toast(t('error.signed_out'), { kind: 'error' });
});
onPasswordChangeRequired(() => session.update({ mustChange: true }));

Promise.all([initI18n().catch(() => {}), verifySession()])
	.finally(() => render(html`<${App} />`, document.getElementById('app')));
