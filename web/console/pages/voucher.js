// One voucher batch (GET /api/v1/vouchers/{name}): what its codes give, how many are
// used, and who redeemed which (a new account, or an existing one extended), from where
// and when, a page at a time; revoking it (its unused codes stop working) or allowing it
// again, and deleting it with its history.
// Its codes are not shown: the server keeps only their hashes.
import { html, useState, useEffect } from '../../lib/html.js';
import { t, formatDate, formatNumber, formatRelative } from '../../lib/i18n.js';
import { api, seg, errorText, ApiError } from '../../lib/api.js';
import { Link, navigate } from '../../lib/router.js';
import { Button } from '../../lib/ui/form.js';
import { ConfirmDialog } from '../../lib/ui/dialogs.js';
import { Icon } from '../../lib/ui/icons.js';
import { toast } from '../../lib/ui/toast.js';
import { BatchState, UsedBar, givesText, expiresText, durationText, quotaText } from '../vouchercodes.js';

const PAGE = 100;

function Details({ b }) {
	const rows = [
		b.duration == null && b.quota == null && [t('vouchers.each_gives'), givesText(b)],
		b.duration != null && [t('vouchers.duration'), durationText(b.duration)],
		b.quota != null && [t('vouchers.quota'), quotaText(b.quota, b.quota_period)],
		[t('vouchers.group'), b.group || html`<span class="muted">${t('vouchers.group_none')}</span>`],
		[t('vouchers.used'), html`<${UsedBar} batch=${b} />`],
		[t('vouchers.uses'), formatNumber(b.uses || 1)],
		[t('vouchers.redeemed'), formatNumber(b.redeemed || 0)],
		[t('vouchers.redeem_until'), expiresText(b.expires)],
		b.revoked && [t('vouchers.revoked_at'), formatDate(b.revoked, true)],
		[t('vouchers.created'), t('vouchers.created_by', { when: formatDate(b.created, true), who: b.created_by })],
	].filter(Boolean);
	return html`<section class="card panel" aria-labelledby="batch-details">
		<div class="panel-title"><h2 id="batch-details">${t('vouchers.details')}</h2></div>
		<dl class="details">${rows.map(([k, v]) => html`<div class="details-row"><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>
		<p class="hint batch-note"><${Icon} name="info" size=${16} /><span>${t('vouchers.codes_hidden')}</span></p>
	</section>`;
}

function Redemptions({ list, total, more, busy, onMore }) {
	return html`<section class="section" aria-labelledby="batch-redemptions">
		<div class="section-head">
			<h2 id="batch-redemptions" class="section-title">${t('vouchers.redemptions')}
				<span class="muted count">${formatNumber(total)}</span></h2>
		</div>
		${!list.length ? html`<div class="card panel"><p class="muted">${t('vouchers.no_redemptions')}</p></div>`
			: html`<div class="table-wrap"><table class="table">
				<thead><tr>
					<th scope="col">${t('vouchers.r_user')}</th><th scope="col">${t('vouchers.r_at')}</th>
					<th scope="col">${t('vouchers.r_what')}</th><th scope="col">${t('vouchers.r_source')}</th>
				</tr></thead>
				<tbody>${list.map((r, i) => html`<tr key=${`${r.user}-${r.at}-${i}`}>
					<td class="col-main" data-label=${t('vouchers.r_user')}>
						<${Link} href=${`/admin/users/${encodeURIComponent(r.user)}`} class="strong row-link">${r.user}</${Link}></td>
					<td data-label=${t('vouchers.r_at')}><span class="nowrap" title=${formatDate(r.at, true)}>${formatRelative(r.at)}</span></td>
					<td data-label=${t('vouchers.r_what')}>${r.created_account
						? html`<span class="badge badge-accent">${t('vouchers.r_new')}</span>`
						: html`<span class="badge badge-neutral">${t('vouchers.r_extended')}</span>`}</td>
					<td data-label=${t('vouchers.r_source')}><span class="mono">${r.source || '—'}</span></td>
				</tr>`)}</tbody>
			</table></div>`}
		${more && html`<div class="more-row"><${Button} kind="secondary" busy=${busy} onClick=${onMore}>${t('vouchers.more_redemptions')}</${Button}></div>`}
	</section>`;
}

function Voucher({ params, session }) {
	const name = params.name;
	const canEdit = session.role === 'admin';
	const [b, setB] = useState(null);
	const [error, setError] = useState(null);
	const [attempt, setAttempt] = useState(0);
	const [confirm, setConfirm] = useState(null);
	const [more, setMore] = useState(false);
	// The redemptions come a page at a time.
	useEffect(() => {
		const ctl = new AbortController();
		setError(null);
		api.get(`/vouchers/${seg(name)}`, { query: { limit: PAGE }, signal: ctl.signal }).then(setB, (e) => {
			if (!e || e.name !== 'AbortError') setError(e);
		});
		return () => ctl.abort();
	}, [name, attempt]);
	const loadMore = async () => {
		setMore(true);
		try {
			const r = await api.get(`/vouchers/${seg(name)}`, { query: { limit: PAGE, cursor: b.next } });
			setB((old) => ({ ...r, redemptions: [...(old.redemptions || []), ...(r.redemptions || [])] }));
		} catch (e) {
			toast(errorText(e), { kind: 'error' });
		}
		setMore(false);
	};

	const back = html`<${Link} href="/admin/vouchers" class="back-link"><${Icon} name="back" size=${16} />${t('vouchers.back')}</${Link}>`;
	if (error) {
		const missing = error instanceof ApiError && error.status === 404;
		return html`<div class="page"><div class="empty-state">
			<h1>${missing ? t('vouchers.not_found', { name }) : t('vouchers.error')}</h1>
			<p class="muted">${missing ? t('vouchers.not_found_lead') : errorText(error)}</p>
			<div class="empty-actions">
				${!missing && html`<${Button} kind="secondary" icon="refresh" onClick=${() => setAttempt((a) => a + 1)}>${t('common.retry')}</${Button}>`}
				<${Link} href="/admin/vouchers" class="button button-primary">${t('vouchers.back')}</${Link}>
			</div>
		</div></div>`;
	}
	if (!b) return html`<div class="page">${back}<p class="muted" aria-busy="true">${t('common.loading')}</p></div>`;

	return html`<div class="page">
		${back}
		<div class="page-head">
			<div>
				<div class="title-row"><h1 class="mono-title">${b.name}</h1><${BatchState} batch=${b} /></div>
				<p class="page-lead">${t('vouchers.batch_lead', { n: formatNumber(b.codes || 0), gives: givesText(b) })}</p>
			</div>
			<div class="page-actions">
				${canEdit && !b.revoked && html`<${Button} kind="secondary" icon="ban" onClick=${() => setConfirm('revoke')}>${t('vouchers.revoke')}</${Button}>`}
				${canEdit && b.revoked && html`<${Button} kind="secondary" icon="play" onClick=${() => setConfirm('restore')}>${t('vouchers.restore')}</${Button}>`}
				${canEdit && html`<${Button} kind="ghost" icon="trash" class="button-danger-text" onClick=${() => setConfirm('delete')}>${t('vouchers.delete')}</${Button}>`}
			</div>
		</div>
		${b.revoked && html`<div class="banner banner-warn" role="status"><${Icon} name="ban" />
			<span>${t('vouchers.revoked_banner', { when: formatDate(b.revoked, true) })}</span></div>`}
		<div class="batch-grid">
			<${Details} b=${b} />
			<${Redemptions} list=${b.redemptions || []} total=${Math.max(b.redeemed || 0, (b.redemptions || []).length)}
				more=${!!b.next} busy=${more} onMore=${loadMore} />
		</div>
		${canEdit && html`<${ConfirmDialog} open=${confirm === 'revoke'} title=${t('vouchers.revoke_title', { name })}
			confirmLabel=${t('vouchers.revoke')} onClose=${() => setConfirm(null)}
			action=${() => api.patch(`/vouchers/${seg(name)}`, { revoked: true })}
			onDone=${(r) => {
				setConfirm(null);
				toast(t('vouchers.revoked_done', { name }), { kind: 'ok' });
				if (r && typeof r === 'object' && r.name) setB((old) => ({ ...old, ...r }));
				setAttempt((a) => a + 1);
			}}>
			<p>${t('vouchers.revoke_text', { n: formatNumber(b.unused || 0) })}</p>
		</${ConfirmDialog}>
		<${ConfirmDialog} open=${confirm === 'restore'} danger=${false} title=${t('vouchers.restore_title', { name })}
			confirmLabel=${t('vouchers.restore')} onClose=${() => setConfirm(null)}
			action=${() => api.patch(`/vouchers/${seg(name)}`, { revoked: false })}
			onDone=${() => { setConfirm(null); toast(t('vouchers.restored', { name }), { kind: 'ok' }); setAttempt((a) => a + 1); }}>
			<p>${t('vouchers.restore_text', { n: formatNumber(b.unused || 0) })}</p>
		</${ConfirmDialog}>
		<${ConfirmDialog} open=${confirm === 'delete'} title=${t('vouchers.delete_title', { name })}
			confirmLabel=${t('vouchers.delete')} onClose=${() => setConfirm(null)}
			action=${() => api.del(`/vouchers/${seg(name)}`)}
			onDone=${() => { setConfirm(null); toast(t('vouchers.deleted', { name }), { kind: 'ok' }); navigate('/admin/vouchers'); }}>
			<p>${t('vouchers.delete_text')}</p>
		</${ConfirmDialog}>`}
	</div>`;
}

export default {
	id: 'voucher', path: '/admin/vouchers/:name', nav: 'vouchers', hidden: true, title: 'vouchers.title', icon: 'ticket', component: Voucher,
};
