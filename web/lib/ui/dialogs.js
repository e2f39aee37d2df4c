// Dialogs the console uses again and again: a confirmation for what cannot be undone,
// and a secret shown once (a one-time password, an API token, an enrolment token) with
// a copy button and a warning that it will not be shown again.
import { html, useState } from '../html.js';
import { t } from '../i18n.js';
import { errorText } from '../api.js';
import { Modal } from './modal.js';
import { Button, FormError } from './form.js';
import { Icon } from './icons.js';

// action(): a promise; the dialog stays open with the error when it fails.
export function ConfirmDialog({ open, title, children, confirmLabel, danger = true, action, onClose, onDone }) {
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState('');
	const run = async () => {
		setBusy(true);
		setError('');
		try {
			const r = await action();
			setBusy(false);
			if (onDone) onDone(r);
		} catch (e) {
			setBusy(false);
			setError(errorText(e));
		}
	};
	const close = () => {
		setError('');
		onClose();
	};
	return html`<${Modal} open=${open} title=${title} onClose=${close}
			footer=${html`<${Button} kind="secondary" onClick=${close}>${t('common.cancel')}</${Button}>
				<${Button} kind=${danger ? 'danger' : 'primary'} busy=${busy} onClick=${run}>${confirmLabel}</${Button}>`}>
		<${FormError} message=${error} />
		<div class="confirm-text">${children}</div>
	</${Modal}>`;
}

async function copyText(text) {
	try {
		await navigator.clipboard.writeText(text);
		return true;
	} catch {
		return false;
	}
}

// value: the secret; label: what it is. The text can also be selected by hand.
export function SecretBox({ value, copyValue, label, hint }) {
	const [copied, setCopied] = useState(null);
	const copy = async () => setCopied(await copyText(copyValue || value));
	return html`<div class="secret">
		<div class="secret-warn" role="note"><${Icon} name="alert" size=${18} /><span>${t('secret.once')}</span></div>
		<div class="secret-label">${label}</div>
		<div class="secret-row">
			<output class="secret-value mono" aria-label=${label}>${value}</output>
			<${Button} kind="secondary" icon=${copied ? 'check' : 'copy'} onClick=${copy}>
				${copied ? t('secret.copied') : t('secret.copy')}
			</${Button}>
		</div>
		${copied === false && html`<p class="hint">${t('secret.copy_failed')}</p>`}
		${hint && html`<p class="hint">${hint}</p>`}
	</div>`;
}

// A dialog around a SecretBox, closed only by its button (a click outside could lose it).
export function SecretDialog({ open, title, label, value, hint, lead, onClose }) {
	return html`<${Modal} open=${open} title=${title} onClose=${onClose} sticky
			footer=${html`<${Button} onClick=${onClose}>${t('secret.done')}</${Button}>`}>
		${lead && html`<p>${lead}</p>`}
		${value && html`<${SecretBox} value=${value} label=${label} hint=${hint} />`}
	</${Modal}>`;
}
