// Notifications that come and go at the corner of the page: toast(text) from anywhere,
// <Toaster/> once in the page to show them. Errors stay longer and are announced at
// once; every one can be dismissed.
import { html, useState, useEffect } from '../html.js';
import { t } from '../i18n.js';
import { Icon } from './icons.js';

let push = null;
let nextId = 1;

export function toast(message, { kind = 'info', timeout } = {}) {
	const item = { id: nextId++, message, kind, timeout: timeout ?? (kind === 'error' ? 8000 : 4000) };
	if (push) push(item);
}

export function Toaster() {
	const [items, setItems] = useState([]);
	useEffect(() => {
		push = (item) => {
			setItems((list) => [...list.slice(-3), item]);
			setTimeout(() => setItems((list) => list.filter((x) => x.id !== item.id)), item.timeout);
		};
		return () => {
			push = null;
		};
	}, []);
	const dismiss = (id) => setItems((list) => list.filter((x) => x.id !== id));
	const icon = { error: 'alert', ok: 'check', info: 'info' };
	return html`<div class="toasts" role="region" aria-label=${t('toast.region')}>
		${items.map((i) => html`<div key=${i.id} class=${`toast toast-${i.kind}`}
				role=${i.kind === 'error' ? 'alert' : 'status'}>
			<${Icon} name=${icon[i.kind] || 'info'} />
			<span class="toast-text">${i.message}</span>
			<button type="button" class="icon-button" aria-label=${t('common.dismiss')}
				onClick=${() => dismiss(i.id)}><${Icon} name="close" size=${16} /></button>
		</div>`)}
	</div>`;
}
