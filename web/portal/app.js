// The user portal: signs in (a one-time password is changed first), or makes an account
// from a voucher; then the account, the devices, the services, the announcements and
// the voucher form, with the event stream keeping the account and the unread count
// current. Phone-sized screens come first.
import { html, render, useEffect } from '../lib/html.js';
import { initI18n, t, useLang } from '../lib/i18n.js';
import { session, useSession } from '../lib/session.js';
import { onSignedOut, onPasswordChangeRequired, logout, verifySession } from '../lib/api.js';
import { usePath, match, Link } from '../lib/router.js';
import { LoginPage, PasswordPage } from '../lib/auth.js';
import { useEvents } from '../lib/sse.js';
import { Toaster, toast } from '../lib/ui/toast.js';
import { Shell } from './shell.js';
import { useMe, primeMe, refreshMe, patchDevices, announcementsChanged, setUnread, forgetMe, resyncMe } from './me.js';
import account from './pages/account.js';
import devices from './pages/devices.js';
import services from './pages/services.js';
import announcements from './pages/announcements.js';
import redeem, { RedeemSignup } from './pages/redeem.js';

const pages = [account, devices, services, announcements, redeem];

function NotFound() {
	return html`<div class="page"><div class="empty-state">
		<h1>${t('page.not_found')}</h1>
		<p class="muted">${t('page.not_found_lead')}</p>
		<${Link} href="/" class="button button-primary">${t('page.to_account')}</${Link}>
	</div></div>`;
}

// The signed-in portal: the account is read once, then kept by the stream.
function SignedIn({ s, path }) {
	const { me, unread } = useMe();
	const page = pages.find((p) => match(p.path, path));
	useEffect(() => {
		if (!me) refreshMe().catch(() => {});
		// Whoever signs in next starts from nothing of the one before.
		return () => forgetMe();
	}, []);
	useEvents(['user', 'status', 'announcement', 'announcements'], (type, data) => {
		if (type === 'status') patchDevices(data.devices);
		else if (type === 'user') {
			if (!data.name || data.name === s.name) refreshMe().catch(() => {});
		} else {
			// {"unread": N}: the count of the user's feed as it is now
			if (typeof data.unread === 'number') setUnread(data.unread);
			announcementsChanged();
		}
	}, resyncMe);
	const Page = page ? page.component : NotFound;
	return html`<${Shell} pages=${pages} current=${page} session=${s} unread=${unread}
			onSignOut=${() => logout()}><${Page} session=${s} me=${me} /></${Shell}>`;
}

function Portal() {
	const s = useSession();
	const path = usePath();
	const signedIn = s && s.role === 'user' && !s.mustChange;
	const page = signedIn ? pages.find((p) => match(p.path, path)) : null;

	useEffect(() => {
		let title;
		if (!s || s.role !== 'user') title = path === '/redeem' ? t('voucher.signup_title') : t('login.title.portal');
		else if (s.mustChange) title = t('password.title_forced');
		else title = page ? t(page.title) : t('page.not_found');
		document.title = `${title} · warren`;
	});

	if (!s || s.role !== 'user') {
		if (path === '/redeem') return html`<${RedeemSignup} />`;
		return html`<${LoginPage} which="portal" accepts=${['user']}
			wrongSide=${() => t('login.not_user')} onSignedIn=${() => {}}
			below=${html`<p class="auth-alt">${t('voucher.have_one')} <${Link} href="/redeem">${t('voucher.have_one_link')}</${Link}></p>`} />`;
	}
	if (s.mustChange) {
		return html`<${PasswordPage} forced name=${s.name}
			onDone=${() => toast(t('password.changed'), { kind: 'ok' })} />`;
	}
	return html`<${SignedIn} s=${s} path=${path} />`;
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

Promise.all([initI18n().catch(() => {}), verifySession().then(primeMe)])
	.finally(() => render(html`<${App} />`, document.getElementById('app')));
