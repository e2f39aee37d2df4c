// The admin console: signs in (a one-time password is changed first, and TOTP enrolled
// where the server requires it), then shows the registered pages under /admin/ with the
// router. A session kept from before is shown only once GET /api/v1/me confirms it.
import { html, render, useEffect } from '../lib/html.js';
import { initI18n, t, useLang } from '../lib/i18n.js';
import { session, useSession } from '../lib/session.js';
import { onSignedOut, onPasswordChangeRequired, logout, verifySession } from '../lib/api.js';
import { usePath, match, Link } from '../lib/router.js';
import { LoginPage, PasswordPage, AuthFrame } from '../lib/auth.js';
import { Toaster, toast } from '../lib/ui/toast.js';
import { Shell } from './shell.js';
import { TotpEnrol } from './totp.js';
import { pages, pageFor } from './pages.js';

const ROLES = ['admin', 'viewer'];

function NotFound() {
	return html`<div class="page">
		<div class="empty-state">
			<h1>${t('page.not_found')}</h1>
			<p class="muted">${t('page.not_found_lead')}</p>
			<${Link} href="/admin/" class="button button-primary">${t('page.to_dashboard')}</${Link}>
		</div>
	</div>`;
}

function Console() {
	const s = useSession();
	const path = usePath();
	const ready = s && ROLES.includes(s.role) && !s.mustChange && !s.mustEnrolTotp;
	const found = ready ? pageFor(path, match) : null;

	useEffect(() => {
		let title;
		if (!s || !ROLES.includes(s.role)) title = t('login.title.console');
		else if (s.mustChange) title = t('password.title_forced');
		else if (s.mustEnrolTotp) title = t('totp.title_forced');
		else title = found ? t(found.page.title) : t('page.not_found');
		document.title = `${title} · warren`;
	});
	// After a page change, the main area has the focus, so a screen reader starts there.
	useEffect(() => {
		const main = document.getElementById('main');
		if (main && document.activeElement !== main && document.activeElement === document.body) main.focus();
	}, [path]);

	if (!session.verified()) return html`<div class="boot" aria-busy="true"></div>`;
	if (!s || !ROLES.includes(s.role)) {
		return html`<${LoginPage} which="console" accepts=${ROLES}
			wrongSide=${() => t('login.not_admin')} onSignedIn=${() => {}} />`;
	}
	if (s.mustChange) {
		return html`<${PasswordPage} forced name=${s.name}
			onDone=${() => toast(t('password.changed'), { kind: 'ok' })} />`;
	}
	if (s.mustEnrolTotp) {
		return html`<${AuthFrame} title=${t('totp.title_forced')} lead=${t('totp.lead_forced')}>
			<${TotpEnrol} onDone=${() => { session.update({ mustEnrolTotp: false, totp: true }); toast(t('totp.enrolled'), { kind: 'ok' }); }} />
			<button type="button" class="link-button" onClick=${() => logout()}>${t('common.sign_out')}</button>
		</${AuthFrame}>`;
	}
	const Page = found ? found.page.component : NotFound;
	return html`<${Shell} pages=${pages} current=${found && found.page} session=${s}
			onSignOut=${() => logout()}>
		<${Page} params=${found ? found.params : {}} session=${s} key=${found ? found.page.id : 'none'} />
	</${Shell}>`;
}

function App() {
	useLang();
	useSession();
	return html`<${Console} /><${Toaster} />`;
}

onSignedOut(() => {
	if (!session.get()) return;
	session.end();
	toast(t('error.signed_out'), { kind: 'error' });
});
onPasswordChangeRequired(() => session.update({ mustChange: true }));

Promise.all([initI18n().catch(() => {}), verifySession()])
	.finally(() => render(html`<${App} />`, document.getElementById('app')));
