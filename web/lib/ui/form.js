// Form parts with their labels: a field ties its label, hint and error to the control
// (for, aria-describedby, aria-invalid); buttons show when they are busy.
import { html, useState, useId } from '../html.js';
import { t } from '../i18n.js';
import { Icon } from './icons.js';

export function Field({ label, hint, error, children, id, optional }) {
	return html`<div class=${`field${error ? ' field-invalid' : ''}`}>
		<label for=${id}>${label}${optional && html` <span class="optional">${t('form.optional')}</span>`}</label>
		${children}
		${hint && !error && html`<p class="hint" id=${`${id}-hint`}>${hint}</p>`}
		${error && html`<p class="field-error" id=${`${id}-error`}>${error}</p>`}
	</div>`;
}

function describedBy(id, hint, error) {
	if (error) return `${id}-error`;
	return hint ? `${id}-hint` : undefined;
}

export function TextField({ label, hint, error, optional, value, onInput, type = 'text', inputRef, ...rest }) {
	const id = useId();
	return html`<${Field} label=${label} hint=${hint} error=${error} id=${id} optional=${optional}>
		<input id=${id} ref=${inputRef} class="input" type=${type} value=${value}
			onInput=${(e) => onInput(e.currentTarget.value)}
			aria-invalid=${error ? 'true' : undefined} aria-describedby=${describedBy(id, hint, error)}
			...${rest} />
	</${Field}>`;
}

export function PasswordField({ label, hint, error, value, onInput, ...rest }) {
	const id = useId();
	const [shown, setShown] = useState(false);
	return html`<${Field} label=${label} hint=${hint} error=${error} id=${id}>
		<div class="input-group">
			<input id=${id} class="input" type=${shown ? 'text' : 'password'} value=${value}
				onInput=${(e) => onInput(e.currentTarget.value)} spellcheck=${false} autocapitalize="none"
				aria-invalid=${error ? 'true' : undefined} aria-describedby=${describedBy(id, hint, error)}
				...${rest} />
			<button type="button" class="icon-button input-addon" aria-pressed=${shown ? 'true' : 'false'}
				aria-label=${shown ? t('form.hide_password') : t('form.show_password')}
				onClick=${() => setShown(!shown)}><${Icon} name=${shown ? 'eyeOff' : 'eye'} size=${18} /></button>
		</div>
	</${Field}>`;
}

export function SelectField({ label, hint, value, onChange, options, ...rest }) {
	const id = useId();
	return html`<${Field} label=${label} hint=${hint} id=${id}>
		<select id=${id} class="input select" value=${value} onChange=${(e) => onChange(e.currentTarget.value)}
			...${rest}>
			${options.map((o) => html`<option value=${o.value}>${o.label}</option>`)}
		</select>
	</${Field}>`;
}

export function Button({ kind = 'primary', busy = false, type = 'button', children, icon, iconEnd,
	class: cls = '', disabled = false, ...rest }) {
	return html`<button type=${type} class=${`button button-${kind} ${cls}`} aria-busy=${busy ? 'true' : undefined}
			disabled=${busy || disabled} ...${rest}>
		${busy ? html`<span class="spinner" aria-hidden="true"></span>` : icon && html`<${Icon} name=${icon} size=${18} />`}
		<span>${children}</span>
		${iconEnd && html`<${Icon} name=${iconEnd} size=${18} />`}
	</button>`;
}

// A form's error, announced when it appears.
export function FormError({ message }) {
	if (!message) return null;
	return html`<div class="form-error" role="alert"><${Icon} name="alert" size=${18} /><span>${message}</span></div>`;
}

// What the form needs next, which is not an error.
export function FormNotice({ message }) {
	if (!message) return null;
	return html`<div class="form-notice" role="status"><${Icon} name="info" size=${18} /><span>${message}</span></div>`;
}
