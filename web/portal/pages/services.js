// Services and resources: what the gateway offers this user (GET /api/v1/me/services:
// name, address, description), the destinations its group's policy lets it reach and
// the hours it may (GET /api/v1/me/resources: network, protocol, ports; the schedule,
// open now or not, its next change, the server's time zone). A server without these
// routes yet says so plainly.
import { html, useState, useEffect } from '../../lib/html.js';
import { t } from '../../lib/i18n.js';
import { api, errorText, ApiError } from '../../lib/api.js';
import { Icon } from '../../lib/ui/icons.js';
import { Button } from '../../lib/ui/form.js';
import { formatWhen, scheduleText } from '../../lib/ui/policy.js';

// GET path's list under key: { rows } | { missing } | { error }.
function useList(path, key) {
	const [v, set] = useState(null);
	const [attempt, setAttempt] = useState(0);
	useEffect(() => {
		const ctl = new AbortController();
		set(null);
		api.get(path, { signal: ctl.signal }).then((res) => set({ rows: Array.isArray(res && res[key]) ? res[key] : [], answer: res }), (e) => {
			if (e && e.name === 'AbortError') return;
			if (e instanceof ApiError && (e.status === 404 || e.status === 405)) set({ missing: true });
			else set({ error: errorText(e) });
		});
		return () => ctl.abort();
	}, [attempt]);
	return [v, () => setAttempt(attempt + 1)];
}

function State({ v, retry, empty }) {
	if (!v) return html`<p class="muted" aria-busy="true">${t('common.loading')}</p>`;
	if (v.missing) return html`<p class="muted">${t('services.unavailable')}</p>`;
	if (v.error) {
		return html`<div class="banner banner-error" role="alert"><${Icon} name="alert" /><span>${v.error}</span>
			<${Button} kind="secondary" icon="refresh" onClick=${retry}>${t('common.retry')}</${Button}></div>`;
	}
	if (!v.rows.length) return html`<p class="muted">${empty}</p>`;
	return null;
}

// An address that is a web address opens; anything else is shown to copy.
function Address({ value }) {
	if (/^https?:\/\/[^\s]+$/i.test(value || '')) {
		return html`<a href=${value} class="mono service-address" rel="noreferrer noopener" target="_blank">${value}</a>`;
	}
	return html`<span class="mono service-address">${value || '—'}</span>`;
}

// One destination: its network, and its protocol and ports in words.
function Resource({ r }) {
	const net = r.network || r.destination;
	const proto = r.protocol && r.protocol !== 'any' ? r.protocol.toUpperCase() : '';
	const ports = r.ports == null || r.ports === '' ? '' : String(r.ports);
	let what;
	if (!proto && !ports) what = t('resources.everything');
	else if (!ports) what = t('resources.proto_all_ports', { proto });
	else if (!proto) what = t(ports.includes('-') ? 'resources.ports_any' : 'resources.port_any', { ports });
	else what = t(ports.includes('-') ? 'resources.proto_ports' : 'resources.proto_port', { proto, ports });
	return html`<tr class="resource-row" data-destination=${r.destination || net}>
		<td class="mono resource-net" data-label=${t('resources.network')}>${net}</td>
		<td class="resource-what" data-label=${t('resources.what')}>${what}</td>
	</tr>`;
}

// When the tunnel carries traffic: always, or the group's weekly hours, open now or not.
function Schedule({ s }) {
	if (!s || typeof s !== 'object') return null;
	const always = !s.value || s.value === 'always';
	const open = s.open !== false;
	let next = '';
	if (s.next) next = t(open ? 'resources.closes' : 'resources.opens', { when: formatWhen(s.next) });
	return html`<section class="card panel schedule-card" aria-labelledby="sched-h" data-open=${open ? 'true' : 'false'}>
		<h2 id="sched-h" class="panel-title">${t('resources.hours')}</h2>
		<div class=${`schedule-now ${open ? 'is-open' : 'is-closed'}`} role="status">
			<${Icon} name=${open ? 'check' : 'clock'} />
			<div>
				<div class="strong schedule-now-text">${open ? t('resources.open_now') : t('resources.closed_now')}</div>
				${next && html`<div class="schedule-next-text">${next}</div>`}
			</div>
		</div>
		<dl class="details details-compact">
			<div class="details-row"><dt>${t('resources.schedule')}</dt><dd class=${always ? '' : 'mono'}>${always ? t('resources.always') : scheduleText(s.value)}</dd></div>
			${s.timezone && html`<div class="details-row"><dt>${t('resources.timezone')}</dt><dd class="mono">${s.timezone}</dd></div>`}
		</dl>
		${!always && s.timezone && html`<p class="muted small">${t('resources.tz_note', { tz: s.timezone })}</p>`}
	</section>`;
}

function Services() {
	const [services, retryS] = useList('/me/services', 'services');
	const [answer, retryR] = useList('/me/resources', 'resources');
	// "destinations" carries network, protocol and ports; "resources" is the older form.
	const resources = answer && answer.answer && Array.isArray(answer.answer.destinations)
		? { ...answer, rows: answer.answer.destinations } : answer;
	return html`<div class="page services-page">
		<div class="page-head">
			<div>
				<h1>${t('services.title')}</h1>
				<p class="page-lead">${t('services.lead')}</p>
			</div>
		</div>
		${resources && resources.answer && html`<${Schedule} s=${resources.answer.schedule} />`}
		<section class="card panel" aria-labelledby="svc-h">
			<h2 id="svc-h" class="panel-title">${t('services.services')}</h2>
			<${State} v=${services} retry=${retryS} empty=${t('services.none')} />
			${services && services.rows && services.rows.length > 0 && html`<ul class="service-list">
				${services.rows.map((s) => html`<li class="service" key=${s.name}>
					<div class="service-icon"><${Icon} name="server" /></div>
					<div class="service-main">
						<div class="strong">${s.name}</div>
						<${Address} value=${s.address} />
						${s.description && html`<p class="muted small">${s.description}</p>`}
					</div>
				</li>`)}
			</ul>`}
		</section>
		<section class="card panel" aria-labelledby="res-h">
			<h2 id="res-h" class="panel-title">${t('services.resources')}</h2>
			<p class="muted small resources-lead">${t('services.resources_lead')}</p>
			<${State} v=${resources} retry=${retryR} empty=${t('services.no_resources')} />
			${resources && resources.rows && resources.rows.length > 0 && html`<table class="resource-table">
				<caption class="visually-hidden">${t('services.resources')}</caption>
				<thead><tr><th scope="col">${t('resources.network')}</th><th scope="col">${t('resources.what')}</th></tr></thead>
				<tbody>${resources.rows.map((r, i) => html`<${Resource} key=${`${r.destination}-${i}`} r=${r} />`)}</tbody>
			</table>`}
		</section>
	</div>`;
}

export default { id: 'services', path: '/services', title: 'services.title', nav: 'portal.nav_services', icon: 'server', component: Services };
