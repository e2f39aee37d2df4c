// The devices page: the user's devices, each with its file and QR code; a new device up
// to the server's limit; new keys; revoke. Keys are made in the browser (WebCrypto
// X25519) wherever it can: the server gets the public key only, sends the file without
// a PrivateKey line, and the page completes it, offers it once as a download and as a QR
// code drawn here, and forgets it. Only a browser without X25519 lets the server make
// the keys (POST /api/v1/me/devices, .../{d}/rotate, DELETE .../{d}).
import { html, useState, useEffect, useMemo } from '../../lib/html.js';
import { t, formatBytes, formatDate, formatRelative } from '../../lib/i18n.js';
import { api, apiUrl, seg, errorText, ApiError } from '../../lib/api.js';
import { x25519Supported, makeKeyPair, withPrivateKey } from '../../lib/wgkeys.js';
import { qrEncode, qrPath } from '../../lib/qr.js';
import { Icon } from '../../lib/ui/icons.js';
import { Button, TextField, FormError } from '../../lib/ui/form.js';
import { Modal } from '../../lib/ui/modal.js';
import { ConfirmDialog } from '../../lib/ui/dialogs.js';
import { toast } from '../../lib/ui/toast.js';
import { refreshMe } from '../me.js';
import { DnsCard } from '../dnscard.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,31}$/;

// The server's answers that have words of their own here.
function deviceError(e) {
	if (e instanceof ApiError && e.status === 409) {
		if (/at most/.test(e.message)) return t('devices.at_limit_error');
		if (/already/.test(e.message)) return t('devices.name_taken');
	}
	return errorText(e);
}

// New keys for a device made by add or rotate (path, body): with X25519 here the
// private key never leaves the page. The answer: { device, conf, browser }.
async function provision(path, body) {
	const path2 = (name) => `/me/devices/${seg(name)}/config`;
	if (await x25519Supported()) {
		const kp = await makeKeyPair();
		const device = await api.post(path, { ...body, public_key: kp.publicKey });
		const conf = await api.get(path2(device.name || body.name));
		return { device, conf: withPrivateKey(conf, kp.privateKey), browser: true };
	}
	const device = await api.post(path, body);
	const conf = await api.get(path2(device.name || body.name));
	return { device, conf, browser: false };
}

// A QR code drawn here from text, as SVG elements (nothing parsed from markup).
export function QrCode({ text, label, size = 264 }) {
	const qr = useMemo(() => {
		try {
			return qrEncode(text, { ecc: 'M' });
		} catch {
			return null;
		}
	}, [text]);
	if (!qr) return html`<p class="muted">${t('devices.qr_too_long')}</p>`;
	const n = qr.size + 8;
	return html`<div class="qr"><svg class="qr-svg" viewBox=${`0 0 ${n} ${n}`} width=${size} height=${size}
			shape-rendering="crispEdges" role="img" aria-label=${label}>
		<rect width=${n} height=${n} fill="#fff" />
		<path d=${qrPath(qr, 4)} fill="#000" />
	</svg></div>`;
}

// The file and its QR code, right after the keys were made. A browser-made key is shown
// this once: the dialog closes only by its button.
function KeysDialog({ result, onClose }) {
	const { device, conf, browser } = result;
	const name = device.name;
	const url = useMemo(() => URL.createObjectURL(new Blob([conf], { type: 'text/plain' })), [conf]);
	useEffect(() => () => URL.revokeObjectURL(url), [url]);
	const [shown, setShown] = useState(false);
	return html`<${Modal} open sticky title=${t('devices.ready_title', { name })} onClose=${onClose}
			footer=${html`<${Button} onClick=${onClose}>${browser ? t('devices.done_saved') : t('common.close')}</${Button}>`}>
		${browser ? html`<div class="secret-warn keys-once" role="note"><${Icon} name="keyNew" size=${18} />
				<span>${t('devices.once')}</span></div>`
			: html`<p class="muted">${t('devices.server_keys')}</p>`}
		<div class="keys-actions">
			<a class="button button-primary" href=${url} download=${`${name}.conf`} data-conf="new">
				<${Icon} name="download" size=${18} /><span>${t('devices.download', { name })}</span></a>
		</div>
		<p class="muted small keys-qr-lead">${t('account.qr_lead')}</p>
		<${QrCode} text=${conf} label=${t('account.qr_alt', { name })} />
		<button type="button" class="link-button keys-show" aria-expanded=${shown ? 'true' : 'false'}
			onClick=${() => setShown(!shown)}>${shown ? t('devices.hide_file') : t('devices.show_file')}</button>
		${shown && html`<pre class="conf-text mono" tabindex="0" aria-label=${t('devices.file_label', { name })}>${conf}</pre>`}
	</${Modal}>`;
}

function AddDialog({ open, browserKeys, onClose, onDone }) {
	const [name, setName] = useState('');
	const [error, setError] = useState('');
	const [fieldError, setFieldError] = useState('');
	const [busy, setBusy] = useState(false);
	useEffect(() => {
		if (open) {
			setName('');
			setError('');
			setFieldError('');
		}
	}, [open]);
	const submit = async (e) => {
		e.preventDefault();
		if (busy) return;
		const n = name.trim();
		if (!n) return setFieldError(t('device.need_name'));
		if (!NAME.test(n)) return setFieldError(t('devices.name_rule'));
		setFieldError('');
		setError('');
		setBusy(true);
		try {
			const r = await provision('/me/devices', { name: n });
			setBusy(false);
			onDone(r);
		} catch (err) {
			setBusy(false);
			setError(deviceError(err));
		}
	};
	return html`<${Modal} open=${open} title=${t('devices.add_title')} onClose=${onClose}>
		<form class="form" onSubmit=${submit} novalidate>
			<${FormError} message=${error} />
			<${TextField} label=${t('device.name')} value=${name} error=${fieldError}
				onInput=${(v) => { setName(v); setFieldError(''); }}
				hint=${t('devices.name_hint')} autocomplete="off" autocapitalize="none" spellcheck=${false}
				maxlength="32" autofocus />
			${browserKeys !== false && html`<p class="muted small">${t('devices.add_keys_note')}</p>`}
			<div class="form-actions">
				<${Button} kind="secondary" onClick=${onClose}>${t('common.cancel')}</${Button}>
				<${Button} type="submit" busy=${busy} icon="plus">${t('device.add')}</${Button}>
			</div>
		</form>
	</${Modal}>`;
}

function ServerQr({ device, onClose }) {
	const path = `/me/devices/${seg(device.name)}`;
	return html`<${Modal} open title=${t('account.qr_title', { name: device.name })} onClose=${onClose}
			footer=${html`<${Button} kind="secondary" onClick=${onClose}>${t('common.close')}</${Button}>`}>
		<p class="muted">${t('account.qr_lead')}</p>
		<div class="qr"><img src=${apiUrl(`${path}/qr.svg`)} alt=${t('account.qr_alt', { name: device.name })} width="264" height="264" /></div>
	</${Modal}>`;
}

function DeviceCard({ d, onQr, onRotate, onRevoke }) {
	const path = `/me/devices/${seg(d.name)}`;
	const agent = d.kind === 'agent';
	const held = d.server_holds_private_key !== false;
	return html`<li class="card device-card" data-device=${d.name}>
		<div class="device">
			<div class="device-icon"><${Icon} name=${agent ? 'server' : 'device'} /></div>
			<div class="device-main">
				<div class="device-name"><span class="strong">${d.name}</span>
					${d.online ? html`<span class="presence presence-on"><span class="dot" aria-hidden="true"></span>${t('presence.online')}</span>`
						: html`<span class="presence"><span class="dot" aria-hidden="true"></span>${d.latest_handshake ? t('account.last_seen', { when: formatRelative(d.latest_handshake) }) : t('presence.never')}</span>`}
				</div>
				<div class="muted small mono">${(d.addresses || []).join(' · ') || t(`device.kind.${agent ? 'agent' : 'config'}`)}</div>
				<div class="muted small">${t('devices.meta', { created: formatDate(d.created), down: formatBytes(d.tx_bytes || 0), up: formatBytes(d.rx_bytes || 0) })}</div>
				${!agent && !held && html`<p class="small device-note"><${Icon} name="keyNew" size=${14} /><span>${t('devices.key_on_device')}</span></p>`}
				${agent && html`<p class="small muted">${t('devices.agent_note')}</p>`}
			</div>
		</div>
		<div class="device-actions">
			${!agent && held && html`<a class="button button-secondary" href=${apiUrl(`${path}/config`)} download=${`${d.name}.conf`}>
				<${Icon} name="download" size=${18} /><span>${t('account.config')}</span></a>
				<${Button} kind="secondary" icon="qr" onClick=${() => onQr(d)}>${t('account.qr')}</${Button}>`}
			${!agent && html`<${Button} kind="secondary" icon="keyNew" onClick=${() => onRotate(d)}>${t('device.rotate')}</${Button}>`}
			<${Button} kind="ghost" icon="trash" class="button-danger-text" onClick=${() => onRevoke(d)}>${t('device.revoke')}</${Button}>
		</div>
	</li>`;
}

function Devices({ me }) {
	const [dialog, setDialog] = useState(null);   // { kind, device } | { kind: 'keys', result }
	const [browserKeys, setBrowserKeys] = useState(null);
	useEffect(() => {
		x25519Supported().then(setBrowserKeys);
		if (!me) refreshMe().catch(() => {});
	}, []);
	if (!me) return html`<div class="page"><p class="muted" aria-busy="true">${t('common.loading')}</p></div>`;
	const devices = Array.isArray(me.devices) ? me.devices : [];
	const max = me.max_devices || 0;
	const full = max > 0 && devices.length >= max;
	const close = () => setDialog(null);
	const made = (result, verb) => {
		refreshMe().catch(() => {});
		toast(t(verb === 'add' ? 'device.added' : 'device.rotate_done', { name: result.device.name }), { kind: 'ok' });
		setDialog({ kind: 'keys', result });
	};
	const d = dialog && dialog.device;
	return html`<div class="page devices-page">
		<div class="page-head">
			<div>
				<h1>${t('account.devices')}</h1>
				<p class="page-lead">${max ? t('devices.count_of', { n: devices.length, max }) : t('devices.lead')}</p>
			</div>
			<div class="page-actions">
				<${Button} icon="plus" onClick=${() => setDialog({ kind: 'add' })} disabled=${full}
					aria-describedby=${full ? 'limit-note' : undefined}>${t('device.add')}</${Button}>
			</div>
		</div>
		${full && html`<p class="banner banner-neutral" id="limit-note"><${Icon} name="info" /><span>${t('devices.at_limit', { max })}</span></p>`}
		${devices.some((x) => x.kind !== 'agent' && x.server_holds_private_key === false) && html`<p class="muted small devices-hint">${t('devices.key_elsewhere')}</p>`}
		${browserKeys === false && html`<p class="banner banner-neutral"><${Icon} name="info" /><span>${t('devices.no_x25519')}</span></p>`}
		${devices.length ? html`<ul class="device-cards">
			${devices.map((x) => html`<${DeviceCard} key=${x.name} d=${x}
				onQr=${(y) => setDialog({ kind: 'qr', device: y })}
				onRotate=${(y) => setDialog({ kind: 'rotate', device: y })}
				onRevoke=${(y) => setDialog({ kind: 'revoke', device: y })} />`)}
		</ul>` : html`<div class="card empty-state">
			<${Icon} name="device" size=${32} />
			<p>${t('devices.none')}</p>
		</div>`}
		<${DnsCard} version=${devices.map((x) => x.name).join(' ')} />
		<${AddDialog} open=${!!dialog && dialog.kind === 'add'} browserKeys=${browserKeys} onClose=${close} onDone=${(r) => made(r, 'add')} />
		${dialog && dialog.kind === 'qr' && html`<${ServerQr} device=${d} onClose=${close} />`}
		${dialog && dialog.kind === 'keys' && html`<${KeysDialog} result=${dialog.result} onClose=${close} />`}
		<${ConfirmDialog} open=${!!dialog && dialog.kind === 'rotate'} title=${d ? t('device.rotate_title', { name: d.name }) : ''}
			confirmLabel=${t('device.rotate')} danger=${false} onClose=${close}
			action=${() => provision(`/me/devices/${seg(d.name)}/rotate`, {})} onDone=${(r) => made(r, 'rotate')}>
			<p>${t('device.rotate_text')}</p>
			${browserKeys && html`<p class="muted small">${t('devices.rotate_browser')}</p>`}
		</${ConfirmDialog}>
		<${ConfirmDialog} open=${!!dialog && dialog.kind === 'revoke'} title=${d ? t('device.revoke_title', { name: d.name }) : ''}
			confirmLabel=${t('device.revoke')} onClose=${close}
			action=${() => api.del(`/me/devices/${seg(d.name)}`)}
			onDone=${() => { const n = d.name; close(); refreshMe().catch(() => {}); toast(t('device.revoke_done', { name: n }), { kind: 'ok' }); }}>
			<p>${t('device.revoke_text')}</p>
		</${ConfirmDialog}>
	</div>`;
}

export default { id: 'devices', path: '/devices', title: 'account.devices', nav: 'portal.nav_devices', icon: 'device', component: Devices };
