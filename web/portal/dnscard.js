// The portal's DNS card (GET /api/v1/me/dns): each of the user's devices' names inside
// the VPN (DEVICE.USER.DOMAIN) with a button that copies it, the user's queries and the
// blocked ones over the last 24 hours, and the latest queries. A server without its
// resolver answers 404 and the card is not shown.
import { html, useState, useEffect } from '../lib/html.js';
import { t, formatNumber, currentLang, toDate } from '../lib/i18n.js';
import { api, ApiError } from '../lib/api.js';
import { Icon } from '../lib/ui/icons.js';

const RECENT = 10;
const RCODES = { 0: 'NOERROR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 5: 'REFUSED' };

function stamp(v) {
	const d = toDate(v);
	if (!d) return '—';
	return new Intl.DateTimeFormat(currentLang(), { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(d);
}

// A long name wraps after a dot, not inside a label.
function breakable(name) {
	return name.split('.').map((label, i, all) => (i < all.length - 1 ? html`${label}.<wbr />` : label));
}

function CopyName({ name }) {
	const [copied, setCopied] = useState(null);
	const copy = async () => {
		try {
			await navigator.clipboard.writeText(name);
			setCopied(true);
		} catch {
			setCopied(false);
		}
		setTimeout(() => setCopied(null), 2000);
	};
	return html`<button type="button" class="icon-button dns-copy" onClick=${copy}
			aria-label=${copied ? t('dns.copied') : t('dns.copy_name', { name })} title=${copied ? t('dns.copied') : t('dns.copy')}>
		<${Icon} name=${copied ? 'check' : 'copy'} size=${18} />
	</button>
	<span class="visually-hidden" aria-live="polite">${copied ? t('dns.copied') : copied === false ? t('dns.copy_failed') : ''}</span>`;
}

export function DnsCard({ version = 0 }) {
	const [d, setD] = useState(null);
	useEffect(() => {
		const ctl = new AbortController();
		api.get('/me/dns', { signal: ctl.signal }).then(setD, (e) => {
			if (e && e.name === 'AbortError') return;
			setD(e instanceof ApiError && e.status === 404 ? false : { error: true });
		});
		return () => ctl.abort();
	}, [version]);
	if (!d || d.error) return null;
	const names = d.names || [];
	const recent = (d.recent || []).slice(0, RECENT);
	return html`<section class="card panel dns-card" aria-labelledby="dns-card-h">
		<h2 id="dns-card-h" class="panel-title">${t('dns.card_title')}</h2>
		<p class="muted small">${t('dns.card_lead', { domain: d.domain || '' })}</p>
		${names.length ? html`<dl class="details details-compact dns-names">
			${names.map((n) => html`<div class="details-row" key=${n.name}>
				<dt>${n.device}</dt>
				<dd><div class="session-head"><span class="mono strong dns-name">${breakable(n.name)}</span><${CopyName} name=${n.name} /></div>
					${n.addresses && n.addresses.length > 0 && html`<div class="muted small mono">${n.addresses.join(' · ')}</div>`}</dd>
			</div>`)}
		</dl>` : html`<p class="muted">${t('dns.card_no_names')}</p>`}
		<dl class="details details-compact dns-counts">
			<div class="details-row"><dt>${t('dns.card_queries')}</dt><dd class="dns-queries">${formatNumber(d.queries_24h || 0)}</dd></div>
			<div class="details-row"><dt>${t('dns.card_blocked')}</dt><dd class="dns-blocked">${formatNumber(d.blocked_24h || 0)}</dd></div>
		</dl>
	</section>
	<section class="card panel dns-card-recent" aria-labelledby="dns-recent-h">
		<h2 id="dns-recent-h" class="panel-title">${t('dns.card_recent')}</h2>
		${recent.length ? html`<ul class="session-list dns-recent">
			${recent.map((e) => html`<li class="session" key=${e.id}>
				<div class="session-head">
					${e.blocked ? html`<span class="badge badge-danger">${t('dns.blocked')}</span>`
						: html`<span class=${`badge badge-${e.rcode === 0 || e.rcode === 'NOERROR' ? 'ok' : 'neutral'}`}>${typeof e.rcode === 'number' ? RCODES[e.rcode] || e.rcode : e.rcode}</span>`}
					<span class="mono strong dns-qname">${e.name}</span>
				</div>
				<div class="muted small">${stamp(e.at)} · <span class="mono">${e.type}</span>${e.device ? ` · ${e.device}` : ''}</div>
			</li>`)}
		</ul>` : html`<p class="muted small">${t('dns.card_no_recent')}</p>`}
	</section>`;
}
