// One group's page: its access policy (GET /api/v1/groups/{name}), each field with where
// it comes from (set on the group, or inherited from the server's configuration file),
// edited in one form (PATCH: the fields that changed; null puts a field back to the
// file's value); the server's refusal is shown at the field it names; and whether the
// schedule is open now and when that changes, in the browser's time.
import { html, useState, useEffect, useId } from '../../lib/html.js';
import { t, tn, formatDate, formatNumber } from '../../lib/i18n.js';
import { api, seg, errorText, ApiError } from '../../lib/api.js';
import { Link } from '../../lib/router.js';
import { Button, FormError } from '../../lib/ui/form.js';
import { Icon } from '../../lib/ui/icons.js';
import { toast } from '../../lib/ui/toast.js';
import { formatWhen, splitRate, rateText, scheduleText, listItems } from '../../lib/ui/policy.js';

export const FIELDS = ['destinations', 'sources', 'schedule', 'rate', 'isolate', 'portal_login', 'idle', 'max_maps'];
const RATE_UNITS = ['kbit', 'Mbit', 'Gbit'];
const IDLE_UNITS = [['s', 1], ['min', 60], ['h', 3600]];
const EXAMPLES = ['Mon-Fri 08:00-18:00', 'Mon-Fri 08:00-18:00, Sat 09:00-13:00', 'Sat 22:00-02:00', 'always', 'never'];

// A field of the group's policy: { value, from }; a plain value reads as set on the group.
function pf(policy, k) {
	const x = policy && policy[k];
	if (x && typeof x === 'object' && !Array.isArray(x) && 'value' in x) return { value: x.value, from: x.from || 'group' };
	return { value: x, from: 'group' };
}

function rateSide(s) {
	const m = /^(\d+(?:\.\d+)?)\s*(bit|kbit|mbit|gbit)$/i.exec(s || '');
	if (!m) return { n: s || '', u: 'Mbit' };
	const u = RATE_UNITS.find((x) => x.toLowerCase() === m[2].toLowerCase());
	return u ? { n: m[1], u } : { n: `${m[1]}${m[2]}`, u: 'Mbit' };
}

function idleParts(sec) {
	const s = Number(sec) || 0;
	if (s && s % 3600 === 0) return { n: String(s / 3600), u: 'h' };
	if (s && s % 60 === 0) return { n: String(s / 60), u: 'min' };
	return { n: String(s), u: 's' };
}

// The form's value of each field from the API's.
function formOf(policy) {
	const f = {};
	for (const k of FIELDS) {
		const { value, from } = pf(policy, k);
		let v;
		if (k === 'destinations' || k === 'sources') v = listItems(value).join('\n');
		else if (k === 'rate') {
			const r = splitRate(value);
			v = { down: rateSide(r.down), up: rateSide(r.up) };
		} else if (k === 'isolate' || k === 'portal_login') v = !!value;
		else if (k === 'idle') v = idleParts(value);
		else if (k === 'max_maps') v = value == null ? '' : String(value);
		else v = value == null ? '' : String(value);
		f[k] = { v, def: from === 'file' };
	}
	return f;
}

// The API's value of a form field, or { error } when it cannot be one.
function apiOf(k, v) {
	if (k === 'destinations' || k === 'sources') return { value: v.split('\n').map((x) => x.trim()).filter(Boolean).join(', ') };
	if (k === 'schedule') return { value: v.trim() };
	if (k === 'rate') {
		const side = (x) => (x.n.trim() ? (/^\d/.test(x.n.trim()) && /^[\d.]+$/.test(x.n.trim()) ? `${x.n.trim()}${x.u}` : x.n.trim()) : 'unlimited');
		const d = side(v.down);
		const u = side(v.up);
		return { value: d === 'unlimited' && u === 'unlimited' ? 'unlimited' : `${d}/${u}` };
	}
	if (k === 'isolate' || k === 'portal_login') return { value: !!v };
	if (k === 'idle') {
		if (!/^\s*\d+\s*$/.test(v.n)) return { error: t('group.need_whole') };
		return { value: parseInt(v.n, 10) * IDLE_UNITS.find((x) => x[0] === v.u)[1] };
	}
	if (k === 'max_maps') {
		if (!/^\s*\d+\s*$/.test(v)) return { error: t('group.need_whole') };
		return { value: parseInt(v, 10) };
	}
	return { value: v };
}

const same = (k, a, b) => {
	if (k === 'destinations' || k === 'sources') return listItems(a).join(', ') === listItems(b).join(', ');
	if (k === 'rate') return rateText(a || 'unlimited') === rateText(b || 'unlimited');
	return String(a ?? '') === String(b ?? '');
};

// A field's value as words, for where it is read rather than edited.
export function valueText(k, v) {
	if (k === 'destinations') return listItems(v).length ? listItems(v).join(', ') : t('group.dest_all');
	if (k === 'sources') return listItems(v).length ? listItems(v).join(', ') : t('group.sources_any');
	if (k === 'schedule') return scheduleText(v);
	if (k === 'rate') return rateText(v);
	if (k === 'isolate' || k === 'portal_login') return v ? t('settings.on') : t('settings.off');
	if (k === 'idle') {
		const p = idleParts(v);
		return Number(v) ? t(`group.idle_${p.u}`, { n: formatNumber(Number(p.n)) }) : t('group.idle_never');
	}
	if (k === 'max_maps') return formatNumber(Number(v) || 0);
	return String(v ?? '');
}

function Origin({ from }) {
	return from === 'file'
		? html`<span class="badge badge-neutral origin" data-from="file">${t('group.from_file')}</span>`
		: html`<span class="badge badge-accent origin" data-from="group">${t('group.from_group')}</span>`;
}

// One field of the form: its label and origin, the control, "use the file's value",
// the hint, the server's error.
function PolicyField({ k, from, f, set, error, canEdit, children, group: isGroup }) {
	const id = `pf-${k}`;
	const describedBy = error ? `${id}-error` : `${id}-hint`;
	const head = html`<div class="policy-field-head">
		${isGroup ? html`<legend class="policy-label" id=${`${id}-label`}>${t(`group.f.${k}`)}</legend>`
			: html`<label class="policy-label" for=${id} id=${`${id}-label`}>${t(`group.f.${k}`)}</label>`}
		<${Origin} from=${from} />
	</div>`;
	const body = html`
		${children({ id, describedBy, disabled: !canEdit || f.def })}
		${canEdit && html`<label class="check-label default-toggle">
			<input type="checkbox" class="check" checked=${f.def} onChange=${(e) => set({ ...f, def: e.currentTarget.checked })}
				aria-describedby=${f.def && from === 'group' ? `${id}-def-hint` : undefined} />
			<span>${t('group.use_default')}</span>
		</label>`}
		${canEdit && f.def && from === 'group' && html`<p class="hint" id=${`${id}-def-hint`}>${t('group.default_after_save')}</p>`}
		${!error && html`<p class="hint" id=${`${id}-hint`}>${t(`group.hint.${k}`)}</p>`}
		${error && html`<p class="field-error" id=${`${id}-error`} role="alert">${error}</p>`}`;
	const cls = `policy-field${error ? ' field-invalid' : ''}${f.def ? ' is-default' : ''}`;
	if (isGroup) {
		return html`<fieldset class=${cls} data-field=${k} aria-describedby=${describedBy}>${head}${body}</fieldset>`;
	}
	return html`<div class=${cls} data-field=${k}>${head}${body}</div>`;
}

function RateSide({ which, v, set, disabled, describedBy }) {
	const id = useId();
	return html`<div class="rate-side">
		<label for=${id} class="sub-label">${t(`group.rate_${which}`)}</label>
		<div class="unit-input">
			<input id=${id} class="input mono" inputmode="decimal" value=${v.n} disabled=${disabled} placeholder=${t('policy.unlimited')}
				aria-describedby=${describedBy} onInput=${(e) => set({ ...v, n: e.currentTarget.value })} autocomplete="off" />
			<select class="input select unit-select" value=${v.u} disabled=${disabled} aria-label=${t('group.rate_unit', { which: t(`group.rate_${which}`) })}
				onChange=${(e) => set({ ...v, u: e.currentTarget.value })}>
				${RATE_UNITS.map((u) => html`<option value=${u}>${u}/s</option>`)}
			</select>
		</div>
	</div>`;
}

function ScheduleState({ state }) {
	if (!state) return null;
	const open = !!state.open;
	let when;
	if (state.next) when = t(open ? 'group.closes_at' : 'group.opens_at', { when: formatWhen(state.next) });
	else when = t(open ? 'group.open_always' : 'group.closed_always');
	return html`<div class=${`schedule-state ${open ? 'is-open' : 'is-closed'}`} role="status" data-open=${open ? 'true' : 'false'}>
		<span class=${`badge ${open ? 'badge-ok' : 'badge-warn'}`}>${open ? t('group.open_now') : t('group.closed_now')}</span>
		<span class="schedule-next">${when}</span>
	</div>`;
}

function PolicyForm({ group, canEdit, onSaved }) {
	const [f, setF] = useState(() => formOf(group.policy));
	const [errors, setErrors] = useState({});
	const [error, setError] = useState('');
	const [busy, setBusy] = useState(false);
	useEffect(() => {
		setF(formOf(group.policy));
		setErrors({});
		setError('');
	}, [group]);
	const set = (k) => (x) => setF((o) => ({ ...o, [k]: x }));
	const setV = (k) => (v) => setF((o) => ({ ...o, [k]: { ...o[k], v } }));

	const submit = async (e) => {
		e.preventDefault();
		const body = {};
		const errs = {};
		for (const k of FIELDS) {
			const { value, from } = pf(group.policy, k);
			if (f[k].def) {
				if (from === 'group') body[k] = null;
				continue;
			}
			const a = apiOf(k, f[k].v);
			if (a.error) {
				errs[k] = a.error;
				continue;
			}
			if (from === 'file' || !same(k, a.value, value)) body[k] = a.value;
		}
		setErrors(errs);
		setError('');
		if (Object.keys(errs).length) return;
		if (!Object.keys(body).length) {
			toast(t('group.nothing'), { kind: 'info' });
			return;
		}
		setBusy(true);
		try {
			const g = await api.patch(`/groups/${seg(group.name)}`, body);
			toast(t('group.saved', { name: group.name }), { kind: 'ok' });
			onSaved(g && g.policy ? g : null);
		} catch (err) {
			// "schedule: ...": the error belongs to that field.
			const m = err instanceof ApiError && /^([a-z_]+):\s*(.*)$/s.exec(err.message || '');
			if (m && FIELDS.includes(m[1])) {
				setErrors({ [m[1]]: m[2] });
				const el = document.getElementById(`pf-${m[1]}`) || document.querySelector(`[data-field="${m[1]}"] input`);
				if (el) el.focus();
			} else setError(errorText(err));
		}
		setBusy(false);
	};

	const field = (k, control, opts = {}) => {
		const { from } = pf(group.policy, k);
		return html`<${PolicyField} k=${k} from=${from} f=${f[k]} set=${set(k)} error=${errors[k]}
			canEdit=${canEdit} group=${opts.group}>${control}</${PolicyField}>`;
	};
	const text = (k, extra = {}) => field(k, ({ id, describedBy, disabled }) => html`<input id=${id} class="input mono"
		value=${f[k].v} disabled=${disabled} aria-describedby=${describedBy} aria-invalid=${errors[k] ? 'true' : undefined}
		onInput=${(e) => setV(k)(e.currentTarget.value)} autocomplete="off" spellcheck=${false} ...${extra} />`);
	const lines = (k, placeholder) => field(k, ({ id, describedBy, disabled }) => html`<textarea id=${id} class="input textarea mono"
		rows="4" value=${f[k].v} disabled=${disabled} aria-describedby=${describedBy} aria-invalid=${errors[k] ? 'true' : undefined}
		placeholder=${placeholder} spellcheck=${false} onInput=${(e) => setV(k)(e.currentTarget.value)}></textarea>`);
	const toggle = (k) => field(k, ({ id, describedBy, disabled }) => html`<label class="check-label switch-label switch-row">
		<input id=${id} type="checkbox" class="check switch" role="switch" checked=${f[k].v} disabled=${disabled}
			aria-describedby=${describedBy} aria-labelledby=${`pf-${k}-label`} onChange=${(e) => setV(k)(e.currentTarget.checked)} />
		<span aria-hidden="true">${f[k].v ? t('settings.on') : t('settings.off')}</span>
	</label>`);

	return html`<form class="policy-form" onSubmit=${submit} novalidate aria-labelledby="policy-title">
		<${FormError} message=${error} />
		<div class="policy-grid">
			${lines('destinations', '10.0.0.0/8\n10.1.2.3:443/tcp')}
			${lines('sources', '198.51.100.0/24')}
			${field('schedule', ({ id, describedBy, disabled }) => html`<input id=${id} class="input mono" value=${f.schedule.v}
					disabled=${disabled} aria-describedby=${`${describedBy} pf-schedule-examples`} aria-invalid=${errors.schedule ? 'true' : undefined}
					onInput=${(e) => setV('schedule')(e.currentTarget.value)} autocomplete="off" spellcheck=${false} placeholder="Mon-Fri 08:00-18:00" />
				<div class="examples" id="pf-schedule-examples">
					<span class="muted small">${t('group.examples')}</span>
					${EXAMPLES.map((x) => html`<button type="button" class="chip chip-button mono" disabled=${disabled}
						aria-label=${t('group.use_example', { example: x })} onClick=${() => setV('schedule')(x)}>${x}</button>`)}
				</div>`)}
			${field('rate', ({ describedBy, disabled }) => html`<div class="rate-sides">
				<${RateSide} which="down" v=${f.rate.v.down} disabled=${disabled} describedBy=${describedBy}
					set=${(x) => setV('rate')({ ...f.rate.v, down: x })} />
				<${RateSide} which="up" v=${f.rate.v.up} disabled=${disabled} describedBy=${describedBy}
					set=${(x) => setV('rate')({ ...f.rate.v, up: x })} />
			</div>`, { group: true })}
			${toggle('isolate')}
			${toggle('portal_login')}
			${field('idle', ({ id, describedBy, disabled }) => html`<div class="unit-input">
				<input id=${id} class="input mono" inputmode="numeric" value=${f.idle.v.n} disabled=${disabled}
					aria-describedby=${describedBy} aria-invalid=${errors.idle ? 'true' : undefined}
					onInput=${(e) => setV('idle')({ ...f.idle.v, n: e.currentTarget.value })} autocomplete="off" />
				<select class="input select unit-select" value=${f.idle.v.u} disabled=${disabled} aria-label=${t('group.idle_unit')}
					onChange=${(e) => setV('idle')({ ...f.idle.v, u: e.currentTarget.value })}>
					${IDLE_UNITS.map(([u]) => html`<option value=${u}>${t(`group.unit_${u}`)}</option>`)}
				</select>
			</div>`)}
			${text('max_maps', { inputmode: 'numeric' })}
		</div>
		${canEdit && html`<div class="form-actions policy-actions">
			<${Button} kind="secondary" onClick=${() => { setF(formOf(group.policy)); setErrors({}); setError(''); }}>${t('group.revert')}</${Button}>
			<${Button} type="submit" busy=${busy}>${t('group.save')}</${Button}>
		</div>`}
	</form>`;
}

function Group({ params, session }) {
	const name = params.name;
	const [group, setGroup] = useState(null);
	const [error, setError] = useState(null);
	const [attempt, setAttempt] = useState(0);
	const canEdit = session.role === 'admin';
	useEffect(() => {
		const ctl = new AbortController();
		setError(null);
		api.get(`/groups/${seg(name)}`, { signal: ctl.signal }).then(setGroup, (e) => {
			if (!e || e.name !== 'AbortError') setError(e);
		});
		return () => ctl.abort();
	}, [name, attempt]);
	const refresh = () => setAttempt((a) => a + 1);

	if (error) {
		const missing = error instanceof ApiError && error.status === 404;
		return html`<div class="page"><div class="empty-state">
			<h1>${missing ? t('group.not_found', { name }) : t('group.error')}</h1>
			<p class="muted">${missing ? t('group.not_found_lead') : errorText(error)}</p>
			<div class="empty-actions">
				${!missing && html`<${Button} kind="secondary" icon="refresh" onClick=${refresh}>${t('common.retry')}</${Button}>`}
				<${Link} href="/admin/groups" class="button button-primary">${t('group.back')}</${Link}>
			</div>
		</div></div>`;
	}
	if (!group) return html`<div class="page"><p class="muted" aria-busy="true">${t('common.loading')}</p></div>`;
	const users = typeof group.users === 'number' && group.users >= 0 ? group.users : Array.isArray(group.users) ? group.users.length : null;
	return html`<div class="page group-page">
		<${Link} href="/admin/groups" class="back-link"><${Icon} name="back" size=${16} />${t('group.back')}</${Link}>
		<div class="page-head">
			<div>
				<div class="title-row">
					<h1>${group.name}</h1>
					${group.name === 'default' && html`<span class="badge badge-neutral">${t('groups.default')}</span>`}
				</div>
				<p class="page-lead">${t('group.lead')}${group.created ? ` · ${t('group.created', { when: formatDate(group.created) })}` : ''}</p>
			</div>
			<div class="page-actions">
				<${Link} href=${`/admin/users?group=${encodeURIComponent(group.name)}`} class="button button-secondary">
					<${Icon} name="users" size=${18} /><span>${users == null ? t('groups.users') : tn('group.users', users)}</span></${Link}>
			</div>
		</div>
		<section class="card panel schedule-panel" aria-labelledby="state-title">
			<div class="panel-title"><h2 id="state-title">${t('group.schedule_state')}</h2></div>
			<${ScheduleState} state=${group.state} />
			<p class="muted small">${t('group.schedule_now', { schedule: scheduleText(pf(group.policy, 'schedule').value) })} · ${t('group.local_time')}</p>
		</section>
		<section class="card panel" aria-labelledby="policy-title">
			<div class="panel-title">
				<div>
					<h2 id="policy-title">${t('group.policy')}</h2>
					<p class="muted small">${t('group.policy_lead')}</p>
				</div>
			</div>
			<${PolicyForm} group=${group} canEdit=${canEdit} onSaved=${(g) => (g ? setGroup(g) : refresh())} />
		</section>
	</div>`;
}

export default { id: 'group', path: '/admin/groups/:name', nav: 'groups', hidden: true, title: 'nav.groups', icon: 'group', component: Group };
