// Whether the page's live updates are flowing: "Live" while the event stream is open,
// "Reconnecting" while it is away; nothing before it first opened.
import { html } from '../lib/html.js';
import { t } from '../lib/i18n.js';

export function LiveBadge({ state }) {
	if (!state) return null;
	return html`<span class=${`live live-${state}`} role="status"><span class="dot" aria-hidden="true"></span>
		${t(state === 'open' ? 'live.open' : 'live.retrying')}</span>`;
}
