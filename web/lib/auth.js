// Signing in and the password change, the same for the console and the portal: the
// login form (name, password, and the one-time code when the server asks for it) and
// the change form that a one-time password leads to.
import { html, useState, useRef, useEffect } from './html.js';
import { t } from './i18n.js';
import { login, logout, changePassword, errorText, ApiError, TOTP_REQUIRED } from './api.js';
import { TextField, PasswordField, Button, FormError, FormNotice } from './ui/form.js';
import { Logo } from './ui/icons.js';
import { LangSwitch } from './ui/langswitch.js';

const MIN_PASSWORD = 8;

export function AuthFrame({ title, lead, children, footer }) {
	return html`<div class="auth">
		<div class="auth-top"><${LangSwitch} compact /></div>
		<main class="auth-main" id="main">
			<div class="auth-card">
				<div class="auth-brand"><${Logo} size=${36} /><span class="brand-name">warren</span></div>
				<h1 class="auth-title">${title}</h1>
				${lead && html`<p class="auth-lead">${lead}</p>`}
				${children}
			</div>
			${footer && html`<p class="auth-footer">${footer}</p>`}
		</main>
	</div>`;
}

// which: 'console' | 'portal'; roles: the roles this side accepts; onSignedIn(answer).
// wrongSide(answer): a message when the account belongs to the other side, or ''.
// below: what follows the form (the portal's way to a voucher).
export function LoginPage({ which, accepts, wrongSide, onSignedIn, below }) {
	const [name, setName] = useState('');
	const [password, setPassword] = useState('');
	const [totp, setTotp] = useState('');
	const [needTotp, setNeedTotp] = useState(false);
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState('');
	const [notice, setNotice] = useState('');
	const totpRef = useRef(null);

	useEffect(() => {
		if (needTotp && totpRef.current) totpRef.current.focus();
	}, [needTotp]);

	const submit = async (e) => {
		e.preventDefault();
		if (busy) return;
		if (!name.trim() || !password) {
			setError(t('login.missing'));
			return;
		}
		setBusy(true);
		setError('');
		setNotice('');
		try {
			const answer = await login(name.trim(), password, needTotp ? totp.trim() : undefined);
			if (!accepts.includes(answer.role)) {
				await logout();
				setError(wrongSide(answer));
				setBusy(false);
				return;
			}
			setPassword('');
			onSignedIn(answer);
		} catch (err) {
			if (err instanceof ApiError && err.message === TOTP_REQUIRED && !needTotp) {
				setNeedTotp(true);
				setNotice(t('login.totp_needed'));
			} else if (err instanceof ApiError && (err.status === 404 || err.status === 405)) {
				setError(t('login.unavailable'));
			} else {
				setError(errorText(err));
			}
			setBusy(false);
		}
	};

	return html`<${AuthFrame} title=${t(`login.title.${which}`)} lead=${t(`login.lead.${which}`)}
			footer=${t(`login.footer.${which}`)}>
		<form class="form" onSubmit=${submit} novalidate>
			<${FormError} message=${error} />
			<${FormNotice} message=${notice} />
			<${TextField} label=${t('login.name')} value=${name} onInput=${setName} name="username"
				autocomplete="username" autocapitalize="none" spellcheck=${false} required autofocus />
			<${PasswordField} label=${t('login.password')} value=${password} onInput=${setPassword}
				name="password" autocomplete="current-password" required />
			${needTotp && html`<${TextField} label=${t('login.totp')} hint=${t('login.totp_hint')} value=${totp}
				onInput=${setTotp} name="totp" inputmode="numeric" autocomplete="one-time-code"
				pattern="[0-9]*" maxlength="8" inputRef=${totpRef} />`}
			<${Button} type="submit" busy=${busy} class="button-block">
				${busy ? t('login.signing_in') : t('login.submit')}
			</${Button}>
		</form>
		${below}
	</${AuthFrame}>`;
}

// The change itself: the current (or one-time) password, the new one twice.
export function PasswordChangeForm({ forced = false, name, onDone, children }) {
	const [old, setOld] = useState('');
	const [next, setNext] = useState('');
	const [again, setAgain] = useState('');
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState('');
	const [fieldErrors, setFieldErrors] = useState({});

	const submit = async (e) => {
		e.preventDefault();
		if (busy) return;
		const fe = {};
		if (!old) fe.old = t('password.need_old');
		if (next.length < MIN_PASSWORD) fe.next = t('password.too_short', { n: MIN_PASSWORD });
		else if (next === old) fe.next = t(forced ? 'password.same' : 'password.same_current');
		if (again !== next) fe.again = t('password.mismatch');
		setFieldErrors(fe);
		if (Object.keys(fe).length) return;
		setBusy(true);
		setError('');
		try {
			await changePassword(old, next);
			setOld('');
			setNext('');
			setAgain('');
			setBusy(false);
			onDone();
		} catch (err) {
			setError(errorText(err));
			setBusy(false);
		}
	};

	return html`<form class="form" onSubmit=${submit} novalidate>
		<${FormError} message=${error} />
		<input type="text" name="username" autocomplete="username" value=${name} class="visually-hidden"
			tabindex="-1" aria-hidden="true" readonly />
		<${PasswordField} label=${t(forced ? 'password.old_forced' : 'password.old')} value=${old} onInput=${setOld}
			autocomplete="current-password" error=${fieldErrors.old} autofocus=${forced} />
		<${PasswordField} label=${t('password.new')} value=${next} onInput=${setNext}
			autocomplete="new-password" hint=${t('password.hint', { n: MIN_PASSWORD })} error=${fieldErrors.next} />
		<${PasswordField} label=${t('password.again')} value=${again} onInput=${setAgain}
			autocomplete="new-password" error=${fieldErrors.again} />
		<${Button} type="submit" busy=${busy} class=${forced ? 'button-block' : ''}>
			${busy ? t('password.saving') : t('password.submit')}
		</${Button}>
		${children}
	</form>`;
}

// forced: the password was set by someone else and must change before anything else.
export function PasswordPage({ forced, name, onDone, onCancel }) {
	const signOut = async () => {
		await logout();
		if (onCancel) onCancel();
	};
	return html`<${AuthFrame} title=${t(forced ? 'password.title_forced' : 'password.title')}
			lead=${forced ? t('password.lead_forced', { name }) : t('password.lead')}>
		<${PasswordChangeForm} forced=${forced} name=${name} onDone=${onDone}>
			<button type="button" class="link-button" onClick=${signOut}>${t('common.sign_out')}</button>
		</${PasswordChangeForm}>
	</${AuthFrame}>`;
}
