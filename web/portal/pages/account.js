// The account page: the user's state, expiry and quota, and the devices with their
// configuration file and QR code (GET /api/v1/me).
import { html, useState, useEffect } from '../../lib/html.js';
import { t, tn, formatBytes, formatDate, formatRelative } from '../../lib/i18n.js';
import { api, errorText } from '../../lib/api.js';
import { Icon } from '../../lib/ui/icons.js';
import { Button } from '../../lib/ui/form.js';
import { Modal } from '../../lib/ui/modal.js';
import { StateBadge, QuotaBar } from '../../lib/ui/status.js';

function DeviceQr({ device, onClose }) {
	const path = `/api/v1/me/devices/${encodeURIComponent(device.name)}`;
	return html`<${Modal} open title=${t('account.qr_title', { name: device.name })} onClose=${onClose}
			footer=${html`<${Button} kind="secondary" onClick=${onClose}>${t('common.close')}</${Button}>`}>
		<p class="muted">${t('account.qr_lead')}</p>
		<div class="qr"><img src=${`${path}/qr.svg`} alt=${t('account.qr_alt', { name: device.name })} width="240" height="240" /></div>
	</${Modal}>`;
}

function Devices({ devices }) {
	const [qr, setQr] = useState(null);
	if (!devices.length) return html`<p class="muted">${t('account.no_devices')}</p>`;
	return html`<ul class="device-list">
		${devices.map((d) => {
			const path = `/api/v1/me/devices/${encodeURIComponent(d.name)}`;
			return html`<li class="device" key=${d.name}>
				<div class="device-icon"><${Icon} name="device" /></div>
				<div class="device-main">
					<div class="strong">${d.name}</div>
					<div class="muted small">${(d.addresses || []).join(' · ') || t(`device.kind.${d.kind === 'agent' ? 'agent' : 'config'}`)}</div>
					${d.latest_handshake && html`<div class="muted small">${t('account.last_seen', { when: formatRelative(d.latest_handshake) })}</div>`}
				</div>
				${d.kind !== 'agent' && html`<div class="device-actions">
					<a class="button button-secondary" href=${`${path}/config`} download=${`${d.name}.conf`}>
						<${Icon} name="download" size=${18} /><span>${t('account.config')}</span></a>
					<${Button} kind="secondary" icon="qr" onClick=${() => setQr(d)}>${t('account.qr')}</${Button}>
				</div>`}
			</li>`;
		})}
		${qr && html`<${DeviceQr} device=${qr} onClose=${() => setQr(null)} />`}
	</ul>`;
}

function Account({ session }) {
	const [me, setMe] = useState(null);
	const [error, setError] = useState('');
	const [attempt, setAttempt] = useState(0);

	useEffect(() => {
		const ctl = new AbortController();
		setError('');
		api.get('/me', { signal: ctl.signal }).then(setMe, (e) => {
			if (!e || e.name !== 'AbortError') setError(errorText(e));
		});
		return () => ctl.abort();
	}, [attempt]);

	if (error) {
		return html`<div class="page"><div class="banner banner-error" role="alert"><${Icon} name="alert" />
			<span>${t('account.error', { error })}</span>
			<${Button} kind="secondary" icon="refresh" onClick=${() => setAttempt(attempt + 1)}>${t('common.retry')}</${Button}>
		</div></div>`;
	}
	if (!me) return html`<div class="page"><p class="muted" aria-busy="true">${t('common.loading')}</p></div>`;
	const devices = Array.isArray(me.devices) ? me.devices : [];
	const quota = me.quota ?? me.quota_bytes ?? null;
	const used = me.used ?? me.quota_used ?? 0;
	return html`<div class="page">
		<div class="page-head">
			<div>
				<h1>${t('account.hello', { name: me.name || session.name })}</h1>
				<p class="page-lead">${t('account.lead')}</p>
			</div>
		</div>
		<section class="card panel" aria-labelledby="acct-h">
			<h2 id="acct-h" class="panel-title">${t('account.title')}</h2>
			<dl class="details">
				<div class="details-row"><dt>${t('users.state')}</dt><dd><${StateBadge} state=${me.state} /></dd></div>
				<div class="details-row"><dt>${t('users.expires')}</dt><dd>${me.expires ? formatDate(me.expires) : t('users.never')}</dd></div>
				${me.group && html`<div class="details-row"><dt>${t('users.group')}</dt><dd>${me.group}</dd></div>`}
			</dl>
			<div class="quota-block">
				<div class="quota-head"><span>${t('account.usage')}</span>
					${quota == null && html`<span class="muted">${formatBytes(used)}</span>`}</div>
				<${QuotaBar} used=${used} quota=${quota} period=${me.quota_period} />
			</div>
		</section>
		<section class="card panel" aria-labelledby="dev-h">
			<h2 id="dev-h" class="panel-title">${t('account.devices')}
				<span class="muted small">${tn('account.device_count', devices.length)}</span></h2>
			<${Devices} devices=${devices} />
		</section>
	</div>`;
}

export default { id: 'account', path: '/', title: 'portal.account', component: Account };
