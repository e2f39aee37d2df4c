// The announcements: the feed of the user (GET /api/v1/me/announcements), pinned ones
// first, then the newest; unread ones marked. Opening one shows its text and marks it
// read (POST .../{id}/read), and the count on the navigation drops; the event stream
// brings new ones without a reload.
import { html, useState, useEffect } from '../../lib/html.js';
import { t, tn, formatDate, formatRelative } from '../../lib/i18n.js';
import { api, errorText, ApiError } from '../../lib/api.js';
import { Icon } from '../../lib/ui/icons.js';
import { Button } from '../../lib/ui/form.js';
import { useMe, setUnread } from '../me.js';

export function sortFeed(list) {
	return [...list].sort((a, b) => (!!b.pinned - !!a.pinned) || ((b.created || 0) - (a.created || 0)) || (b.id - a.id));
}

function Item({ a, open, onToggle }) {
	const id = `ann-${a.id}`;
	return html`<li class=${`card announcement${a.read ? '' : ' is-unread'}${a.pinned ? ' is-pinned' : ''}`} data-id=${a.id}>
		<h2 class="announcement-head">
			<button type="button" class="announcement-toggle" aria-expanded=${open ? 'true' : 'false'} aria-controls=${id}
					onClick=${() => onToggle(a)}>
				<span class="announcement-title">${a.title}</span>
				<span class="announcement-meta">
					${a.pinned && html`<span class="pin"><${Icon} name="pin" size=${14} /><span>${t('announce.pinned')}</span></span>`}
					${!a.read && html`<span class="badge badge-ok">${t('announce.new')}</span>`}
					<time class="muted small" datetime=${a.created ? new Date(a.created * 1000).toISOString() : undefined}
						title=${formatDate(a.created, true)}>${formatRelative(a.created)}</time>
				</span>
				<${Icon} name=${open ? 'chevronUp' : 'chevronDown'} size=${16} class="announcement-chevron" />
			</button>
		</h2>
		${open && html`<div class="announcement-body" id=${id}>
			<p class="announcement-text">${a.text}</p>
			${a.until && html`<p class="muted small">${t('announce.until', { when: formatDate(a.until, true) })}</p>`}
		</div>`}
	</li>`;
}

function Announcements() {
	const { news } = useMe();
	const [feed, setFeed] = useState(null);
	const [error, setError] = useState('');
	const [missing, setMissing] = useState(false);
	const [open, setOpen] = useState(() => new Set());
	const [attempt, setAttempt] = useState(0);

	useEffect(() => {
		const ctl = new AbortController();
		setError('');
		api.get('/me/announcements', { signal: ctl.signal }).then((res) => {
			const list = Array.isArray(res && res.announcements) ? res.announcements : [];
			// What was opened here stays read even if the answer crossed the mark.
			setFeed((old) => sortFeed(list.map((a) => (old && old.some((o) => o.id === a.id && o.read) ? { ...a, read: true } : a))));
			if (typeof res.unread === 'number') setUnread(res.unread);
		}, (e) => {
			if (e && e.name === 'AbortError') return;
			if (e instanceof ApiError && (e.status === 404 || e.status === 405)) setMissing(true);
			else setError(errorText(e));
		});
		return () => ctl.abort();
	}, [news, attempt]);

	const toggle = (a) => {
		const next = new Set(open);
		if (next.has(a.id)) next.delete(a.id);
		else next.add(a.id);
		setOpen(next);
		if (a.read) return;
		setFeed((list) => list.map((x) => (x.id === a.id ? { ...x, read: true } : x)));
		const left = feed.filter((x) => !x.read && x.id !== a.id).length;
		setUnread(left);
		api.post(`/me/announcements/${a.id}/read`, {}).catch(() => {
			// the mark did not reach the server: it shows as unread at the next visit
		});
	};

	const unread = feed ? feed.filter((a) => !a.read).length : 0;
	return html`<div class="page announcements-page">
		<div class="page-head">
			<div>
				<h1>${t('announce.title')}</h1>
				<p class="page-lead">${feed && feed.length ? (unread ? tn('announce.lead_unread', unread) : t('announce.lead_read')) : t('announce.lead')}</p>
			</div>
		</div>
		${missing ? html`<p class="muted">${t('announce.unavailable')}</p>`
			: error ? html`<div class="banner banner-error" role="alert"><${Icon} name="alert" /><span>${error}</span>
				<${Button} kind="secondary" icon="refresh" onClick=${() => setAttempt(attempt + 1)}>${t('common.retry')}</${Button}></div>`
			: !feed ? html`<p class="muted" aria-busy="true">${t('common.loading')}</p>`
			: !feed.length ? html`<div class="card empty-state"><${Icon} name="bell" size=${32} /><p>${t('announce.none')}</p></div>`
			: html`<ul class="announcement-list">
				${feed.map((a) => html`<${Item} key=${a.id} a=${a} open=${open.has(a.id)} onToggle=${toggle} />`)}
			</ul>`}
	</div>`;
}

export default {
	id: 'announcements', path: '/announcements', title: 'announce.title', nav: 'portal.nav_announcements', icon: 'bell',
	badge: true, component: Announcements,
};
