// DNS statistics (GET /api/v1/dns/stats) over the last 24 hours or 7 days: queries,
// blocked and their share, NXDOMAIN and SERVFAIL answers, the upstream's mean time; the
// most asked names, the most blocked and the users asking most, each leading to the
// log narrowed to it; and the resolver's own counters now (GET /api/v1/dns/status).
import { html, useState, useEffect } from '../../lib/html.js';
import { t, formatNumber, currentLang } from '../../lib/i18n.js';
import { api } from '../../lib/api.js';
import { Link } from '../../lib/router.js';
import { Icon } from '../../lib/ui/icons.js';
import { zoned } from '../../lib/time.js';
import { DnsHead, dnsErrorText, noResolver, NoResolver } from './dns.js';

const PERIODS = { day: 86400, week: 7 * 86400 };
const TOP = 10;

function local(d) {
	const p = (n) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

const pct = (v) => new Intl.NumberFormat(currentLang(), { maximumFractionDigits: 1 }).format(v || 0);

function Figure({ label, value, note, icon, tone }) {
	return html`<div class="card stat">
		<div class="stat-top">
			<span class=${`stat-icon tone-${tone || 'accent'}`}><${Icon} name=${icon} /></span>
			<span class="stat-label">${label}</span>
		</div>
		<div class="stat-value">${value == null ? html`<span class="skeleton" aria-label=${t('common.loading')}></span>` : value}</div>
		<div class="stat-note">${note || ' '}</div>
	</div>`;
}

// One of the top lists: rows { label, href, value, part } with a bar of value.
function TopList({ id, title, rows, empty }) {
	const max = rows && rows.length ? Math.max(...rows.map((r) => r.value), 1) : 1;
	return html`<section class="card panel" aria-labelledby=${id}>
		<div class="panel-title"><h2 id=${id}>${title}</h2></div>
		${rows && !rows.length && html`<p class="muted">${empty}</p>`}
		${!rows && html`<div class="chart-skeleton skeleton"></div>`}
		${rows && rows.length > 0 && html`<ol class="toplist">
			${rows.map((r) => html`<li key=${r.label}>
				<div class="toplist-row"><${Link} href=${r.href} class="mono">${r.label}</${Link}>
					<span class="num">${r.text}</span></div>
				<progress class=${`meter${r.tone ? ` meter-${r.tone}` : ''}`} max="100" value=${Math.round((r.value / max) * 100)}
					aria-label=${`${r.label}: ${r.text}`}></progress>
			</li>`)}
		</ol>`}
	</section>`;
}

function Status() {
	const [s, setS] = useState(null);
	useEffect(() => {
		const ctl = new AbortController();
		api.get('/dns/status', { signal: ctl.signal }).then(setS, () => setS(false));
		return () => ctl.abort();
	}, []);
	if (s === false) return null;
	const n = (v) => (v == null ? '—' : formatNumber(v));
	const rows = s && s.running ? [
		['dns.st_queries', n(s.queries)], ['dns.st_cached', n(s.cached)], ['dns.st_forwarded', n(s.forwarded)],
		['dns.st_blocked', n(s.blocked)], ['dns.st_rate_limited', n(s.rate_limited)], ['dns.st_servfail', n(s.servfail)],
		['dns.st_bogus', n(s.bogus)], ['dns.st_cache_entries', n(s.cache_entries)],
		['dns.st_filter', t('dns.st_filter_value', { n: n(s.filter_names), ms: n(s.filter_build_ms) })],
		['dns.st_log', s.log ? t('dns.st_log_value', { queued: n(s.log.queued), written: n(s.log.written),
			collapsed: n(s.log.collapsed), dropped: n(s.log.dropped) }) : '—'],
	] : [];
	return html`<section class="card panel section" aria-labelledby="dns-status-title">
		<div class="panel-title"><h2 id="dns-status-title">${t('dns.status_title')}</h2>
			${s && html`<span class=${`badge badge-${s.running ? 'ok' : 'neutral'}`}>${s.running ? t('dns.running') : t('dns.stopped')}</span>`}</div>
		${!s && html`<p class="muted">${t('common.loading')}</p>`}
		${s && !s.running && html`<p class="muted">${t('dns.stopped_lead')}</p>`}
		${rows.length > 0 && html`<dl class="details">
			${rows.map(([k, v]) => html`<div class="details-row" key=${k}><dt>${t(k)}</dt><dd>${v}</dd></div>`)}
		</dl>`}
	</section>`;
}

function DnsStats() {
	const [period, setPeriod] = useState('day');
	const [data, setData] = useState(null);
	const [error, setError] = useState(null);
	useEffect(() => {
		const ctl = new AbortController();
		setData(null);
		setError(null);
		const now = new Date();
		const since = new Date(now.getTime() - PERIODS[period] * 1000);
		api.get('/dns/stats', { query: { since: zoned(local(since)), until: zoned(local(now)), top: TOP }, signal: ctl.signal })
			.then(setData, (e) => {
				if (!e || e.name !== 'AbortError') setError(e);
			});
		return () => ctl.abort();
	}, [period]);

	const log = (q) => `/admin/dns?${new URLSearchParams(q)}`;
	const names = data && (data.top_names || []).map((r) => ({ label: r.name, href: log({ q: r.name }), value: r.queries,
		text: r.blocked ? t('dns.top_value_blocked', { n: formatNumber(r.queries), b: formatNumber(r.blocked) }) : formatNumber(r.queries) }));
	const blocked = data && (data.top_blocked || []).map((r) => ({ label: r.name, href: log({ q: r.name, result: 'blocked' }),
		value: r.blocked ?? r.queries, text: formatNumber(r.blocked ?? r.queries), tone: 'danger' }));
	const users = data && (data.top_users || []).map((r) => ({ label: r.user, href: log({ user: r.user }), value: r.queries,
		text: r.blocked ? t('dns.top_value_blocked', { n: formatNumber(r.queries), b: formatNumber(r.blocked) }) : formatNumber(r.queries) }));
	const v = (k) => (data ? formatNumber(data[k] || 0) : null);

	return html`<div class="page">
		<${DnsHead} current="dnsstats" title=${t('dns.stats_title')} lead=${t('dns.stats_lead')}>
			<div class="segmented" role="group" aria-label=${t('dns.period')}>
				<button type="button" aria-pressed=${period === 'day' ? 'true' : 'false'} onClick=${() => setPeriod('day')}>${t('dns.last_24h')}</button>
				<button type="button" aria-pressed=${period === 'week' ? 'true' : 'false'} onClick=${() => setPeriod('week')}>${t('dns.last_7d')}</button>
			</div>
		</${DnsHead}>
		${error && (noResolver(error) ? html`<${NoResolver} />`
			: html`<div class="banner banner-error" role="alert"><${Icon} name="alert" /><span>${dnsErrorText(error)}</span></div>`)}
		${!error && html`<div class="cards">
			<${Figure} label=${t('dns.queries')} value=${v('queries')} icon="globe"
				note=${period === 'day' ? t('dns.last_24h') : t('dns.last_7d')} />
			<${Figure} label=${t('dns.blocked_count')} value=${v('blocked')} icon="shield" tone="danger"
				note=${data ? t('dns.blocked_pct', { pct: pct(data.blocked_pct) }) : ''} />
			<${Figure} label="NXDOMAIN" value=${v('nxdomain')} icon="search" tone="neutral" note=${t('dns.nxdomain_note')} />
			<${Figure} label="SERVFAIL" value=${v('servfail')} icon="alert" tone="warn" note=${t('dns.servfail_note')} />
			<${Figure} label=${t('dns.upstream_avg')} icon="gauge" tone="ok"
				value=${data ? (data.upstream_ms_avg == null ? '—' : t('dns.ms', { n: formatNumber(Math.round(data.upstream_ms_avg)) })) : null}
				note=${t('dns.upstream_note')} />
		</div>
		<div class="stats-grid section dns-top">
			<${TopList} id="dns-top-names" title=${t('dns.top_names')} rows=${names} empty=${t('dns.top_empty')} />
			<div>
				<${TopList} id="dns-top-blocked" title=${t('dns.top_blocked')} rows=${blocked} empty=${t('dns.top_blocked_empty')} />
				<${TopList} id="dns-top-users" title=${t('dns.top_users')} rows=${users} empty=${t('dns.top_empty')} />
			</div>
		</div>`}
		<${Status} />
	</div>`;
}

export default { id: 'dnsstats', path: '/admin/dns/stats', title: 'dns.stats_title', icon: 'globe', hidden: true, nav: 'dns', component: DnsStats };
