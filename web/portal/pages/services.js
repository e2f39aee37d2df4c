// Services and resources: what the gateway offers this user (GET /api/v1/me/services:
// name, address, description) and the destinations its policy lets it reach (GET
// /api/v1/me/resources). A server without these routes yet says so plainly.
import { html, useState, useEffect } from '../../lib/html.js';
import { t } from '../../lib/i18n.js';
import { api, errorText, ApiError } from '../../lib/api.js';
import { Icon } from '../../lib/ui/icons.js';
import { Button } from '../../lib/ui/form.js';

// GET path's list under key: { rows } | { missing } | { error }.
function useList(path, key) {
	const [v, set] = useState(null);
	const [attempt, setAttempt] = useState(0);
	useEffect(() => {
		const ctl = new AbortController();
		set(null);
		api.get(path, { signal: ctl.signal }).then((res) => set({ rows: Array.isArray(res && res[key]) ? res[key] : [] }), (e) => {
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

function Services() {
	const [services, retryS] = useList('/me/services', 'services');
	const [resources, retryR] = useList('/me/resources', 'resources');
	return html`<div class="page services-page">
		<div class="page-head">
			<div>
				<h1>${t('services.title')}</h1>
				<p class="page-lead">${t('services.lead')}</p>
			</div>
		</div>
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
			${resources && resources.rows && resources.rows.length > 0 && html`<ul class="resource-list">
				${resources.rows.map((r, i) => html`<li class="resource mono" key=${`${r.destination}-${i}`}>${r.destination}${r.description ? html` <span class="muted">${r.description}</span>` : ''}</li>`)}
			</ul>`}
		</section>
	</div>`;
}

export default { id: 'services', path: '/services', title: 'services.title', nav: 'portal.nav_services', icon: 'server', component: Services };
