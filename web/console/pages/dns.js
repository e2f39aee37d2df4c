// What the console's DNS pages share (/api/v1/dns/...): the section's tabs (query log,
// statistics, block lists, rules, records), the server's refusal of one field read off
// either form it takes ("field: message" or {field, message}), the answer of a server
// without a resolver, times with seconds and the groups picker of lists and rules.
import { html } from '../../lib/html.js';
import { t, currentLang, toDate } from '../../lib/i18n.js';
import { ApiError, errorText } from '../../lib/api.js';
import { Link } from '../../lib/router.js';
import { Icon } from '../../lib/ui/icons.js';

export const DNS_TABS = [
	{ id: 'dns', path: '/admin/dns', title: 'dns.tab_log' },
	{ id: 'dnsstats', path: '/admin/dns/stats', title: 'dns.tab_stats' },
	{ id: 'dnslists', path: '/admin/dns/lists', title: 'dns.tab_lists' },
	{ id: 'dnsrules', path: '/admin/dns/rules', title: 'dns.tab_rules' },
	{ id: 'dnsrecords', path: '/admin/dns/records', title: 'dns.tab_records' },
];

// The section's pages as links; the one shown is the current page.
export function DnsTabs({ current }) {
	return html`<nav class="chips dns-tabs" aria-label=${t('dns.tabs')}>
		${DNS_TABS.map((p) => html`<${Link} key=${p.id} href=${p.path}
				class=${`button ${p.id === current ? 'button-secondary' : 'button-ghost'}`}
				aria-current=${p.id === current ? 'page' : undefined}>${t(p.title)}</${Link}>`)}
	</nav>`;
}

// The heading of a DNS page (PageHead's parts), the tabs under its lead.
export function DnsHead({ current, title, lead, children }) {
	return html`<div class="page-head">
		<div>
			<h1>${title}</h1>
			${lead && html`<p class="page-lead">${lead}</p>`}
			<${DnsTabs} current=${current} />
		</div>
		<div class="page-actions">${children}</div>
	</div>`;
}

// { field, message } when the server refused one field of a request, else null.
export function fieldError(err) {
	if (!(err instanceof ApiError)) return null;
	const e = err.data && typeof err.data === 'object' ? err.data.error : null;
	if (e && typeof e === 'object' && typeof e.field === 'string') {
		return { field: e.field, message: String(e.message || '') };
	}
	const m = /^([a-z_]+):\s*(.+)$/s.exec(err.message || '');
	return m ? { field: m[1], message: m[2] } : null;
}

// The form's words for an error; an object error (which api.js leaves without text)
// still reads as its message.
export function dnsErrorText(err) {
	if (err instanceof ApiError && !err.message && err.data && typeof err.data.error === 'object'
		&& err.data.error && err.data.error.message) {
		const e = err.data.error;
		return e.field ? `${e.field}: ${e.message}` : String(e.message);
	}
	if (err instanceof ApiError && err.status === 404) return t('dns.no_resolver');
	return errorText(err);
}

// A server without the resolver (or without its routes) answers 404.
export const noResolver = (err) => err instanceof ApiError && err.status === 404;

export function NoResolver() {
	return html`<div class="banner banner-warn" role="status"><${Icon} name="info" />
		<span>${t('dns.no_resolver')}</span></div>`;
}

// A query's time: the date when it is not today, and the seconds.
export function formatStamp(v) {
	const d = toDate(v);
	if (!d) return '—';
	const today = new Date().toDateString() === d.toDateString();
	const opt = today ? { hour: '2-digit', minute: '2-digit', second: '2-digit' }
		: { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' };
	return new Intl.DateTimeFormat(currentLang(), opt).format(d);
}

export const RCODES = { 0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED' };
export const rcodeName = (r) => (typeof r === 'number' ? RCODES[r] || `RCODE${r}` : r || '—');
export const QTYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'PTR', 'SRV', 'NS', 'SOA', 'HTTPS', 'SVCB', 'CAA', 'ANY'];

// The groups a list applies to: one box per group; none ticked is every group.
export function GroupPicker({ all, value, onChange, legend, hintNone, hintSome }) {
	const on = new Set(value);
	const flip = (g) => {
		const next = new Set(on);
		if (next.has(g)) next.delete(g);
		else next.add(g);
		onChange(all.filter((x) => next.has(x)));
	};
	return html`<fieldset class="fieldset">
		<legend>${legend}</legend>
		<div class="check-grid" role="group">
			${all.map((g) => html`<label class="check-label check-chip" key=${g}>
				<input type="checkbox" class="check" checked=${on.has(g)} onChange=${() => flip(g)} />
				<span>${g}</span>
			</label>`)}
		</div>
		<p class="hint" aria-live="polite">${value.length ? hintSome : hintNone}</p>
	</fieldset>`;
}

// The groups something applies to, or "every group".
export function GroupChips({ groups }) {
	const list = Array.isArray(groups) ? groups : groups ? [groups] : [];
	if (!list.length) return html`<span class="badge badge-accent">${t('dns.every_group')}</span>`;
	return html`<span class="chips">${list.map((g) => html`<span class="chip" key=${g}>${g}</span>`)}</span>`;
}
