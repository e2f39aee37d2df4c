// Two-step sign-in for the signed-in admin: ask the server for a new secret (POST
// /api/v1/me/totp), show it and its otpauth:// URI to put in an authenticator app, and
// confirm it with the app's first code (POST /api/v1/me/totp/confirm).
import { html, useState } from '../lib/html.js';
import { t } from '../lib/i18n.js';
import { api, errorText } from '../lib/api.js';
import { TextField, Button, FormError } from '../lib/ui/form.js';
import { SecretBox } from '../lib/ui/dialogs.js';

const groups = (s) => s.replace(/(.{4})/g, '$1 ').trim();

export function TotpEnrol({ onDone }) {
	const [secret, setSecret] = useState(null);
	const [code, setCode] = useState('');
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState('');

	const begin = async () => {
		setBusy(true);
		setError('');
		try {
			setSecret(await api.post('/me/totp'));
		} catch (e) {
			setError(errorText(e));
		}
		setBusy(false);
	};
	const confirm = async (e) => {
		e.preventDefault();
		if (!/^[0-9]{6}$/.test(code.trim())) {
			setError(t('totp.need_code'));
			return;
		}
		setBusy(true);
		setError('');
		try {
			await api.post('/me/totp/confirm', { code: code.trim() });
			setSecret(null);
			setCode('');
			onDone();
		} catch (err) {
			setError(errorText(err));
		}
		setBusy(false);
	};

	if (!secret) {
		return html`<div class="form">
			<${FormError} message=${error} />
			<p class="muted">${t('totp.intro')}</p>
			<div><${Button} icon="key" busy=${busy} onClick=${begin}>${t('totp.begin')}</${Button}></div>
		</div>`;
	}
	return html`<form class="form" onSubmit=${confirm} novalidate>
		<${FormError} message=${error} />
		<ol class="steps">
			<li>${t('totp.step_add')}</li>
			<li>${t('totp.step_code')}</li>
		</ol>
		${secret.qr_svg && html`<img class="totp-qr" width="200" height="200" alt=${t('totp.qr')}
			src=${'data:image/svg+xml;base64,' + btoa(secret.qr_svg)} />`}
		<${SecretBox} value=${groups(secret.secret)} copyValue=${secret.secret} label=${t('totp.secret')} hint=${t('totp.secret_hint')} />
		<details class="totp-uri">
			<summary>${t('totp.uri')}</summary>
			<code class="mono wrap">${secret.uri}</code>
		</details>
		<${TextField} label=${t('totp.code')} value=${code} onInput=${setCode} inputmode="numeric"
			autocomplete="one-time-code" maxlength="6" pattern="[0-9]*" autofocus />
		<div class="form-actions">
			<${Button} kind="secondary" onClick=${() => { setSecret(null); setError(''); }}>${t('common.cancel')}</${Button}>
			<${Button} type="submit" busy=${busy}>${t('totp.confirm')}</${Button}>
		</div>
	</form>`;
}
