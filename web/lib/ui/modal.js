// A modal dialog on the native <dialog> (the page behind is inert), with focus kept
// inside it (Tab and Shift+Tab wrap), Escape and the close button to leave, and focus
// given back to what opened it.
import { html, useEffect, useRef, useId } from '../html.js';
import { t } from '../i18n.js';
import { Icon } from './icons.js';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), '
	+ 'textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

function focusables(root) {
	return [...root.querySelectorAll(FOCUSABLE)].filter((el) => el.offsetParent !== null || el === document.activeElement);
}

export function Modal({ open, title, onClose, children, footer, wide = false, sticky = false }) {
	const ref = useRef(null);
	const opener = useRef(null);
	const titleId = useId();

	useEffect(() => {
		const d = ref.current;
		if (!d) return;
		if (open && !d.open) {
			opener.current = document.activeElement;
			d.showModal();
			const first = d.querySelector('[autofocus]') || focusables(d.querySelector('.modal-body') || d)[0];
			if (first) first.focus();
		} else if (!open && d.open) {
			d.close();
			if (opener.current && opener.current.focus) opener.current.focus();
		}
	}, [open]);

	const onKeyDown = (e) => {
		if (e.key !== 'Tab') return;
		const list = focusables(ref.current);
		if (!list.length) return;
		const first = list[0];
		const last = list[list.length - 1];
		if (e.shiftKey && document.activeElement === first) {
			e.preventDefault();
			last.focus();
		} else if (!e.shiftKey && document.activeElement === last) {
			e.preventDefault();
			first.focus();
		}
	};
	const onCancel = (e) => {
		e.preventDefault();
		onClose();
	};
	// A click on the backdrop lands on the <dialog> itself; a sticky dialog (one that
	// shows a secret once) stays.
	const onClick = (e) => {
		if (e.target === ref.current && !sticky) onClose();
	};

	return html`<dialog ref=${ref} class=${`modal${wide ? ' modal-wide' : ''}`} aria-labelledby=${titleId}
			onKeyDown=${onKeyDown} onCancel=${onCancel} onClick=${onClick}>
		${open && html`<div class="modal-frame">
			<header class="modal-head">
				<h2 id=${titleId}>${title}</h2>
				<button type="button" class="icon-button" aria-label=${t('common.close')} onClick=${onClose}>
					<${Icon} name="close" />
				</button>
			</header>
			<div class="modal-body">${children}</div>
			${footer && html`<footer class="modal-foot">${footer}</footer>`}
		</div>`}
	</dialog>`;
}
