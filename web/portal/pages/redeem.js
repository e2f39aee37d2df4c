// Vouchers (POST /api/v1/vouchers/redeem): signed out, a code, a name and a password
// make an account, which then signs in as the login form does; signed in, a code
// extends the account and the page shows the new expiry and quota. The code is checked
// as it is typed (its check symbol), so a typo is caught before anything is sent.
import { html, useState, useId } from '../../lib/html.js';
import { t, formatBytes, formatNumber } from '../../lib/i18n.js';
import { request, login, errorText, ApiError } from '../../lib/api.js';
import { navigate, Link } from '../../lib/router.js';
import { checkCode, formatCode, CODE_LEN } from '../../lib/voucher.js';
import { AuthFrame } from '../../lib/auth.js';
import { Icon } from '../../lib/ui/icons.js';
import { Button, TextField, PasswordField, FormError } from '../../lib/ui/form.js';
import { expiryText } from '../../lib/ui/status.js';
import { toast } from '../../lib/ui/toast.js';
import { refreshMe, currentMe } from '../me.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,31}$/;
const MIN_PASSWORD = 8;

export function voucherError(e) {
	if (e instanceof ApiError && e.status !== 429 && e.status < 500) {
		const m = e.message || '';
		if (/^code: wrong check/.test(m)) return t('voucher.wrong_check');
		if (/^code: unknown/.test(m) || (e.status === 404 && !m)) return t('voucher.unknown');
		if (/^code: revoked/.test(m)) return t('voucher.revoked');
		if (/^code: expired/.test(m)) return t('voucher.expired');
		if (/^code: already used/.test(m)) return t('voucher.used');
		if (/^code: its quota is counted a month/.test(m)) return t('voucher.period_month');
		if (/^code: its quota is counted in all/.test(m)) return t('voucher.period_total');
		if (/^name: taken/.test(m)) return t('voucher.name_taken');
	}
	return errorText(e);
}

// What the check says of the code so far, as { error } or { hint, good }.
function codeStatus(c) {
	switch (c.state) {
	case 'empty': return { hint: t('voucher.code_hint') };
	case 'partial': return { hint: t('voucher.code_partial', { n: formatNumber(c.code.length), of: CODE_LEN }) };
	case 'bad_symbol': return { error: t('voucher.bad_symbol', { symbol: c.symbol }) };
	case 'too_long': return { error: t('voucher.too_long', { n: formatNumber(c.code.length), of: CODE_LEN }) };
	case 'wrong_check': return { error: t('voucher.wrong_check') };
	default: return { hint: t('voucher.code_ok'), good: true };
	}
}

// The code's field: checked at each key, put in groups of four when it is left.
export function CodeField({ value, onInput, forced, inputRef, autofocus }) {
	const id = useId();
	const c = checkCode(value);
	const st = codeStatus(c);
	// A code still being typed is not wrong yet; one that can only be wrong says so.
	const error = st.error || (forced && c.state !== 'ok' ? t('voucher.need_code') : '');
	// One line under the field, announced as it changes: the hint, the good news or the error.
	return html`<div class=${`field${error ? ' field-invalid' : ''}`}>
		<label for=${id}>${t('voucher.code')}</label>
		<input id=${id} ref=${inputRef} class=${`input mono code-input${st.good ? ' code-ok' : ''}`} value=${value}
			onInput=${(e) => onInput(e.currentTarget.value)} onBlur=${() => c.state === 'ok' && onInput(formatCode(value))}
			autocomplete="off" autocapitalize="characters" spellcheck=${false} inputmode="text"
			placeholder="XXXX-XXXX-XXXX-XXXX-XXXX" maxlength="40" autofocus=${autofocus}
			aria-invalid=${error ? 'true' : undefined} aria-describedby=${`${id}-status`} />
		<p class=${error ? 'field-error code-status' : `hint code-status${st.good ? ' hint-ok' : ''}`} id=${`${id}-status`}
				aria-live="polite" data-state=${c.state}>
			${!error && st.good && html`<${Icon} name="check" size=${14} />`}<span>${error || st.hint}</span></p>
	</div>`;
}

// Signed out: a new account from a voucher.
export function RedeemSignup() {
	const [code, setCode] = useState(codeFromLink);
	const [name, setName] = useState('');
	const [pw, setPw] = useState('');
	const [again, setAgain] = useState('');
	const [fe, setFe] = useState({});
	const [tried, setTried] = useState(false);
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState('');

	const submit = async (e) => {
		e.preventDefault();
		if (busy) return;
		setTried(true);
		const f = {};
		const n = name.trim();
		if (!n) f.name = t('voucher.need_name');
		else if (!NAME.test(n)) f.name = t('voucher.name_rule');
		if (pw.length < MIN_PASSWORD) f.pw = t('password.too_short', { n: MIN_PASSWORD });
		if (again !== pw) f.again = t('password.mismatch');
		setFe(f);
		if (checkCode(code).state !== 'ok' || Object.keys(f).length) return;
		setBusy(true);
		setError('');
		let made;
		try {
			made = await request('POST', '/vouchers/redeem', { body: { code: formatCode(code), name: n, password: pw }, auth: false });
		} catch (err) {
			setBusy(false);
			setError(voucherError(err));
			return;
		}
		try {
			await login((made && made.user) || n, pw);
			navigate('/', { replace: true });
			toast(t('voucher.created', { name: (made && made.user) || n, until: expiryText(made && made.expires) }), { kind: 'ok', timeout: 8000 });
		} catch (err) {
			setBusy(false);
			setError(t('voucher.created_signin_failed', { error: errorText(err) }));
		}
	};

	return html`<${AuthFrame} title=${t('voucher.signup_title')} lead=${t('voucher.signup_lead')}
			footer=${html`${t('voucher.have_account')} <${Link} href="/">${t('voucher.sign_in')}</${Link}>`}>
		<form class="form" onSubmit=${submit} novalidate>
			<${FormError} message=${error} />
			<${CodeField} value=${code} onInput=${setCode} forced=${tried} autofocus />
			<${TextField} label=${t('voucher.name')} hint=${t('voucher.name_hint')} value=${name} onInput=${setName}
				error=${fe.name} name="username" autocomplete="username" autocapitalize="none" spellcheck=${false} maxlength="32" />
			<${PasswordField} label=${t('password.new')} hint=${t('password.hint', { n: MIN_PASSWORD })} value=${pw} onInput=${setPw}
				error=${fe.pw} autocomplete="new-password" />
			<${PasswordField} label=${t('password.again')} value=${again} onInput=${setAgain} error=${fe.again}
				autocomplete="new-password" />
			<${Button} type="submit" busy=${busy} class="button-block">${busy ? t('voucher.creating') : t('voucher.create')}</${Button}>
		</form>
	</${AuthFrame}>`;
}

function quotaText(q, period) {
	if (q == null) return t('quota.unlimited');
	if (typeof q !== 'number') return String(q);
	return period === 'month' ? t('vouchers.quota_month', { size: formatBytes(q) }) : formatBytes(q);
}

// A card's QR code opens /redeem#code=CODE (a fragment no server sees): the code goes
// into the field once, and out of the address bar and the history.
function codeFromLink() {
	const m = /^#code=([^&]*)/.exec(location.hash);
	if (!m) return '';
	history.replaceState(history.state, '', location.pathname + location.search);
	try {
		return formatCode(decodeURIComponent(m[1]));
	} catch {
		return '';
	}
}

// Signed in: a code extends the account.
function Redeem() {
	const [code, setCode] = useState(codeFromLink);
	const [tried, setTried] = useState(false);
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState('');
	const [done, setDone] = useState(null);
	const submit = async (e) => {
		e.preventDefault();
		if (busy) return;
		setTried(true);
		if (checkCode(code).state !== 'ok') return;
		setBusy(true);
		setError('');
		try {
			const before = currentMe();
			const r = await request('POST', '/vouchers/redeem', { body: { code: formatCode(code) } });
			setDone({ ...(r || {}), was: before ? { expires: before.expires, quota: before.quota ?? before.quota_bytes ?? null, quota_period: before.quota_period } : null });
			setCode('');
			setTried(false);
			refreshMe().catch(() => {});
		} catch (err) {
			setError(voucherError(err));
		}
		setBusy(false);
	};
	return html`<div class="page redeem-page">
		<div class="page-head">
			<div>
				<h1>${t('voucher.title')}</h1>
				<p class="page-lead">${t('voucher.lead')}</p>
			</div>
		</div>
		${done && html`<section class="card panel redeem-done" role="status" aria-labelledby="done-h">
			<h2 id="done-h" class="panel-title"><span class="done-title"><${Icon} name="check" />${t('voucher.extended')}</span></h2>
			<dl class="details">
				<div class="details-row"><dt>${t('users.expires')}</dt><dd class="redeem-value"><span class="strong" data-field="expires">${expiryText(done.expires)}</span>
					${done.was && done.was.expires !== done.expires && html`<span class="muted small">${t('voucher.was', { value: expiryText(done.was.expires) })}</span>`}</dd></div>
				<div class="details-row"><dt>${t('voucher.quota')}</dt><dd class="redeem-value"><span class="strong" data-field="quota">${quotaText(done.quota, done.quota_period)}</span>
					${done.was && done.was.quota !== done.quota && html`<span class="muted small">${t('voucher.was', { value: quotaText(done.was.quota, done.was.quota_period) })}</span>`}</dd></div>
			</dl>
		</section>`}
		<section class="card panel" aria-labelledby="redeem-h">
			<h2 id="redeem-h" class="panel-title">${t('voucher.form_title')}</h2>
			<form class="form redeem-form" onSubmit=${submit} novalidate>
				<${FormError} message=${error} />
				<${CodeField} value=${code} onInput=${setCode} forced=${tried} />
				<div class="form-actions">
					<${Button} type="submit" busy=${busy} icon="ticket">${busy ? t('voucher.redeeming') : t('voucher.redeem')}</${Button}>
				</div>
			</form>
		</section>
	</div>`;
}

export default { id: 'redeem', path: '/redeem', title: 'voucher.title', nav: 'portal.nav_redeem', icon: 'ticket', component: Redeem };
