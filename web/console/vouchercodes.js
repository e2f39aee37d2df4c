// Voucher batches as the console shows them (what a code gives, its state), and the one
// view of a new batch's codes: the server answers them once and keeps only their hashes,
// so the dialog that shows them offers, right then, to copy them, to download them as a
// CSV made in the browser, and to print a sheet of cards, each with its code, what it
// gives, the portal's address and a QR code that opens the portal's redemption with the code.
import { html, useState, useEffect, useRef } from '../lib/html.js';
import { t, tn, formatBytes, formatDate, formatDuration, formatNumber } from '../lib/i18n.js';
import { Modal } from '../lib/ui/modal.js';
import { Button } from '../lib/ui/form.js';
import { Icon, Logo } from '../lib/ui/icons.js';
import { isEndOfDay } from '../lib/ui/status.js';
import { sizeText } from './userform.js';

const DAY = 86400;
// Two across and five down an A4 page (console.css).
const CARDS_A_PAGE = 10;
const HOUR = 3600;

// The portal's page for vouchers (/redeem, signed in or out), and the link a card's QR
// code carries: that page with the code after '#', which never leaves the phone that
// scanned it (a fragment is not sent to the server) for the page to fill in.
export const portalUrl = () => `${location.origin}/redeem`;
export const redeemUrl = (code) => `${location.origin}/redeem#code=${encodeURIComponent(code)}`;

export function durationText(s) {
	if (s == null) return '';
	if (s % DAY === 0) return tn('vouchers.days', s / DAY);
	if (s % HOUR === 0) return tn('vouchers.hours', s / HOUR);
	return formatDuration(s);
}

// As the API takes it: 30d, 12h, or seconds.
function durationValue(s) {
	if (s == null) return '';
	if (s % DAY === 0) return `${s / DAY}d`;
	if (s % HOUR === 0) return `${s / HOUR}h`;
	return `${s}s`;
}

export function quotaText(bytes, period) {
	if (bytes == null) return '';
	return period === 'month' ? t('vouchers.quota_month', { size: formatBytes(bytes) }) : t('vouchers.quota_total', { size: formatBytes(bytes) });
}

// What one code gives: more time, traffic, both; or only an account.
export function givesText(b) {
	const parts = [durationText(b.duration), quotaText(b.quota, b.quota_period)].filter(Boolean);
	return parts.length ? parts.join(' · ') : t('vouchers.gives_account');
}

// The last day the codes redeem on, or "no end".
export function expiresText(v) {
	if (v == null) return t('vouchers.no_end');
	return isEndOfDay(v) ? formatDate(v - 1) : formatDate(v, true);
}

export function batchState(b, now = Date.now() / 1000) {
	if (b.revoked) return 'revoked';
	if (b.expires != null && b.expires <= now) return 'expired';
	if (b.codes > 0 && !b.unused) return 'used';
	return 'active';
}

const TONE = { active: 'ok', used: 'neutral', expired: 'warn', revoked: 'danger' };

export function BatchState({ batch }) {
	const s = batchState(batch);
	return html`<span class=${`badge badge-${TONE[s]}`}>${t(`vouchers.state_${s}`)}</span>`;
}

// How many of the batch's codes have been used, as a bar.
export function UsedBar({ batch }) {
	const total = batch.codes || 0;
	const used = total - (batch.unused || 0);
	const pct = total ? Math.round((used / total) * 100) : 0;
	return html`<div class="quota">
		<div class="quota-text">${t('vouchers.used_of', { used: formatNumber(used), total: formatNumber(total) })}</div>
		<progress class="meter" max="100" value=${pct} aria-label=${t('vouchers.used_pct', { pct })}>${pct}%</progress>
	</div>`;
}

// ---- CSV, made here: the server never sees the codes again

const csvCell = (v) => (/[",\n\r]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));

export function codesCsv(batch, codes) {
	const head = ['code', 'batch', 'duration', 'quota', 'group', 'redeem_until', 'url'];
	const quota = batch.quota == null ? '' : `${sizeText(batch.quota)}${batch.quota_period === 'month' ? '/month' : ''}`;
	const until = batch.expires == null ? '' : new Date((isEndOfDay(batch.expires) ? batch.expires - 1 : batch.expires) * 1000).toISOString();
	const lines = [head.join(',')];
	for (const c of codes) {
		lines.push([c, batch.name, durationValue(batch.duration), quota, batch.group || '', until, redeemUrl(c)].map(csvCell).join(','));
	}
	return `${lines.join('\r\n')}\r\n`;
}

function download(name, text, type) {
	const url = URL.createObjectURL(new Blob([text], { type }));
	const a = document.createElement('a');
	a.href = url;
	a.download = name;
	document.body.appendChild(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export const csvName = (batch) => `vouchers-${String(batch.name).replace(/[^A-Za-z0-9._-]+/g, '_')}.csv`;

// ---- the printable sheet

// A QR code as one SVG path of its dark modules, with the standard's quiet zone.
function QrCode({ qr, label }) {
	return html`<svg class="voucher-qr" viewBox=${`0 0 ${qr.n} ${qr.n}`} role="img" aria-label=${label}
			shape-rendering="crispEdges"><rect width=${qr.n} height=${qr.n} class="qr-light" /><path d=${qr.d} class="qr-dark" /></svg>`;
}

// The codes' QR codes (qr.js, loaded only for a sheet), a few at a time so that a batch
// of thousands (some 3 ms a code) keeps the page answering; progress(done) after each
// step. Resolves to [{ n, d }] in the codes' order, or null once cancelled() says so.
async function qrCodes(codes, progress, cancelled) {
	const qr = await import('../lib/qr.js');
	const out = [];
	while (out.length < codes.length) {
		const end = Math.min(codes.length, out.length + 40);
		for (let i = out.length; i < end; i++) {
			const code = qr.qrEncode(redeemUrl(codes[i]), { ecc: 'M' });
			out.push({ n: code.size + 8, d: qr.qrPath(code, 4) });
		}
		progress(out.length);
		await new Promise((r) => setTimeout(r, 0));
		if (cancelled()) return null;
	}
	return out;
}

// The sheet is part of the page, hidden on screen; printed, only it shows (console.css).
export function PrintSheet({ batch, codes, qrs }) {
	const gives = givesText(batch);
	const until = batch.expires != null ? t('vouchers.card_until', { date: expiresText(batch.expires) }) : '';
	return html`<section class="print-sheet" aria-label=${t('vouchers.sheet')}>
		${codes.map((c, i) => html`<article class="voucher-card" key=${c}>
			<header class="voucher-card-head"><${Logo} size=${16} /><span>${t('vouchers.card_title')}</span></header>
			<div class="voucher-code">${c}</div>
			<${QrCode} qr=${qrs[i]} label=${t('vouchers.card_qr', { code: c })} />
			<div class="voucher-info">
				<div class="voucher-gives">${gives}</div>
				${until && html`<div class="voucher-meta">${until}</div>`}
				<div class="voucher-meta voucher-how">${t('vouchers.card_redeem')}</div>
				<div class="voucher-url">${portalUrl()}</div>
			</div>
		</article>`)}
	</section>`;
}

// The dialog of a batch just made. It closes only by its button, after a reminder when
// nothing was saved yet.
export function CodesDialog({ result, onClose }) {
	const [copied, setCopied] = useState(null);
	const [saved, setSaved] = useState(false);
	const [sheet, setSheet] = useState(null);      // null | { done: N } while made | { qrs }
	const [sheetError, setSheetError] = useState('');
	const [leaving, setLeaving] = useState(false);
	const printWhenReady = useRef(false);
	const shown = useRef(null);                    // the result on screen: a sheet made for another stops
	const keep = () => {
		setSaved(true);
		setLeaving(false);
	};
	const open = !!result;
	useEffect(() => {
		shown.current = result;
		setCopied(null);
		setSaved(false);
		setSheet(null);
		setSheetError('');
		setLeaving(false);
	}, [result]);
	useEffect(() => {
		if (sheet && sheet.qrs && printWhenReady.current) {
			printWhenReady.current = false;
			// After the sheet is on the page; the print dialog blocks until it is closed.
			setTimeout(() => window.print(), 50);
		}
	}, [sheet]);
	if (!result) return html`<${Modal} open=${false} title="" onClose=${onClose} />`;
	const { batch, codes } = result;

	const copy = async () => {
		try {
			await navigator.clipboard.writeText(`${codes.join('\n')}\n`);
			setCopied(true);
			keep();
		} catch {
			setCopied(false);
		}
	};
	const csv = () => {
		download(csvName(batch), codesCsv(batch, codes), 'text/csv;charset=utf-8');
		keep();
	};
	const print = async () => {
		keep();
		setSheetError('');
		if (sheet && sheet.qrs) {
			window.print();
			return;
		}
		if (sheet) return;
		printWhenReady.current = true;
		setSheet({ done: 0 });
		const mine = result;
		try {
			const qrs = await qrCodes(codes, (done) => shown.current === mine && setSheet({ done }), () => shown.current !== mine);
			if (qrs) setSheet({ qrs });
		} catch {
			if (shown.current !== mine) return;
			setSheet(null);
			setSheetError(t('vouchers.sheet_failed'));
		}
	};
	const close = () => {
		if (!saved && !leaving) {
			setLeaving(true);
			return;
		}
		onClose();
	};
	const pages = Math.ceil(codes.length / CARDS_A_PAGE);

	// The sheet is the page's, beside the dialog: printed, it flows over as many pages
	// as it needs, which nothing inside a dialog does.
	return html`<${Modal} open=${open} wide sticky title=${tn('vouchers.made_title', codes.length)} onClose=${close}
			footer=${html`${leaving && html`<span class="leave-warn" role="alert">${t('vouchers.leave_warn')}</span>`}
				<${Button} kind=${leaving ? 'danger' : 'primary'} onClick=${close}>${leaving ? t('vouchers.leave_anyway') : t('vouchers.done')}</${Button}>`}>
		<div class="codes-view">
			<div class="secret-warn" role="note"><${Icon} name="alert" size=${18} />
				<span>${tn('vouchers.once', codes.length)}</span></div>
			<dl class="codes-facts">
				<div><dt>${t('vouchers.batch')}</dt><dd class="mono">${batch.name}</dd></div>
				<div><dt>${t('vouchers.each_gives')}</dt><dd>${givesText(batch)}</dd></div>
				${batch.group && html`<div><dt>${t('vouchers.group')}</dt><dd>${batch.group}</dd></div>`}
				<div><dt>${t('vouchers.redeem_until')}</dt><dd>${expiresText(batch.expires)}</dd></div>
				${batch.uses > 1 && html`<div><dt>${t('vouchers.uses')}</dt><dd>${formatNumber(batch.uses)}</dd></div>`}
			</dl>
			<div class="codes-actions">
				<${Button} kind="secondary" icon=${copied ? 'check' : 'copy'} onClick=${copy}>${copied ? t('vouchers.copied') : t('vouchers.copy')}</${Button}>
				<${Button} kind="secondary" icon="download" onClick=${csv}>${t('vouchers.csv')}</${Button}>
				<${Button} kind="secondary" icon="print" busy=${!!sheet && !sheet.qrs} onClick=${print}>
					${sheet && !sheet.qrs ? t('vouchers.preparing', { done: formatNumber(sheet.done), n: formatNumber(codes.length) }) : t('vouchers.print')}</${Button}>
			</div>
			${copied === false && html`<p class="hint">${t('secret.copy_failed')}</p>`}
			${sheetError && html`<p class="field-error" role="alert">${sheetError}</p>`}
			<p class="hint">${t('vouchers.print_hint', { pages: tn('vouchers.pages', pages), url: portalUrl() })}</p>
			<ol class="code-list" aria-label=${t('vouchers.codes')}>
				${codes.map((c) => html`<li key=${c}><span class="mono voucher-code-line">${c}</span></li>`)}
			</ol>
		</div>
	</${Modal}>
	${sheet && sheet.qrs && html`<${PrintSheet} batch=${batch} codes=${codes} qrs=${sheet.qrs} />`}`;
}
