// A table whose rows the server pages, searches, filters and sorts (DESIGN §10): the
// page asks fetchPage for one page at a time and follows the server's "next" cursor.
// Search waits for a pause in typing, an older answer never overwrites a newer one,
// headers sort by keyboard, rows open with Enter and move with the arrow keys, live
// updates patch rows on screen, and on a phone each row becomes a card.
import { html, useState, useEffect, useRef, useId } from '../html.js';
import { t, tn, formatNumber } from '../i18n.js';
import { errorText } from '../api.js';
import { Icon } from './icons.js';
import { Button } from './form.js';

const SEARCH_DELAY = 300;

// columns: [{ key, label, sort: 'KEY'?, render(row)?, class? }]
// fetchPage({ q, sort, limit, cursor, ...filters }, signal) -> { rows, total, next }
// filters: [{ key, label, options: [{ value, label }] }] are selects; with type 'text',
//   'date' or 'datetime-local' an input (text waits for a pause in typing)
// patch: { current: null } filled with a function(key, fields) that updates a row on
//   screen (fields may be a function of the row); rows not on screen are left alone
// initial: the filters' first values, such as a link's ?state=expired
// selected, onSelect: a Set of row keys and its setter: a checkbox on every row and one
//   for the page in the header
// rowClass(row): more classes for a row; a column's empty(row) says its cell is empty
//   (a phone's card leaves it out); searchFull: the search takes a line of its own
export function DataTable({
	label, columns, fetchPage, filters = [], rowKey, onOpen, limit = 50, defaultSort = '',
	emptyText, searchLabel, patch, toolbar, reload = 0, initial = {}, selected, onSelect,
	rowClass, search = true, onPage, searchFull = false,
}) {
	const searchId = useId();
	const [q, setQ] = useState('');
	const [query, setQuery] = useState('');
	const [values, setValues] = useState(initial);
	const [sort, setSort] = useState(defaultSort);
	const [cursors, setCursors] = useState([null]);      // the cursor of each page seen
	const [page, setPage] = useState({ rows: [], total: null, next: null });
	const [state, setState] = useState('loading');       // loading | ready | error
	const [error, setError] = useState('');
	const [attempt, setAttempt] = useState(0);
	const seq = useRef(0);
	const body = useRef(null);
	const top = useRef(null);
	const paged = useRef(false);

	// A new question starts at the first page.
	useEffect(() => {
		const id = setTimeout(() => {
			const v = q.trim();
			if (v !== query) {
				setQuery(v);
				setCursors([null]);
			}
		}, SEARCH_DELAY);
		return () => clearTimeout(id);
	}, [q]);
	const [typed, setTyped] = useState({});
	useEffect(() => {
		const id = setTimeout(() => {
			const changed = Object.entries(typed).filter(([k, v]) => (values[k] || '') !== v.trim());
			if (changed.length) {
				setValues((old) => ({ ...old, ...Object.fromEntries(changed.map(([k, v]) => [k, v.trim()])) }));
				setCursors([null]);
			}
		}, SEARCH_DELAY);
		return () => clearTimeout(id);
	}, [typed]);
	const filterBy = (key, v) => {
		setValues({ ...values, [key]: v });
		setCursors([null]);
	};
	const sortBy = (v) => {
		setSort(v);
		setCursors([null]);
	};

	const cursor = cursors[cursors.length - 1];
	useEffect(() => {
		const ctl = new AbortController();
		const mine = ++seq.current;
		setState('loading');
		fetchPage({ q: query, sort, limit, cursor, ...values }, ctl.signal).then((res) => {
			if (mine !== seq.current) return;
			setPage({ rows: res.rows || [], total: res.total ?? null, next: res.next ?? null });
			setState('ready');
			if (onPage) onPage(res.rows || []);
			// A new page starts at its first row, not where the pager was.
			if (paged.current && top.current && top.current.getBoundingClientRect().top < 64) {
				top.current.scrollIntoView({ block: 'start' });
			}
			paged.current = false;
		}, (e) => {
			if (mine !== seq.current || (e && e.name === 'AbortError')) return;
			setError(errorText(e));
			setState('error');
		});
		return () => ctl.abort();
	}, [query, values, sort, cursors, attempt, reload]);

	if (patch) {
		patch.current = (key, fields) => setPage((p) => {
			if (!p.rows.some((r) => rowKey(r) === key)) return p;
			return {
				...p,
				rows: p.rows.map((r) => (rowKey(r) === key
					? (typeof fields === 'function' ? fields(r) : { ...r, ...fields }) : r)),
			};
		});
	}
	const keys = page.rows.map(rowKey);
	const allOn = !!selected && keys.length > 0 && keys.every((k) => selected.has(k));
	const someOn = !!selected && keys.some((k) => selected.has(k));
	const toggleAll = () => {
		const next = new Set(selected);
		for (const k of keys) {
			if (allOn) next.delete(k);
			else next.add(k);
		}
		onSelect(next);
	};
	const toggle = (k) => {
		const next = new Set(selected);
		if (next.has(k)) next.delete(k);
		else next.add(k);
		onSelect(next);
	};
	const ncols = columns.length + (selected ? 1 : 0);

	const toggleSort = (key) => {
		if (sort === key) sortBy(`-${key}`);
		else if (sort === `-${key}`) sortBy(defaultSort === key || defaultSort === `-${key}` ? key : '');
		else sortBy(key);
	};
	const sortState = (key) => {
		if (sort === key) return 'ascending';
		if (sort === `-${key}`) return 'descending';
		return 'none';
	};

	const focusRow = (i) => {
		const rows = body.current ? body.current.querySelectorAll('tr[tabindex]') : [];
		if (rows[i]) rows[i].focus();
	};
	const onRowKey = (e, row, i) => {
		if (e.key === 'Enter' && onOpen) {
			e.preventDefault();
			onOpen(row);
		} else if (e.key === 'ArrowDown') {
			e.preventDefault();
			focusRow(i + 1);
		} else if (e.key === 'ArrowUp') {
			e.preventDefault();
			focusRow(i - 1);
		} else if (e.key === 'Home') {
			e.preventDefault();
			focusRow(0);
		} else if (e.key === 'End') {
			e.preventDefault();
			focusRow(page.rows.length - 1);
		}
	};

	const first = (cursors.length - 1) * limit + 1;
	const last = (cursors.length - 1) * limit + page.rows.length;
	const range = page.rows.length
		? (page.total != null
			? t('table.range_total', { from: formatNumber(first), to: formatNumber(last), total: formatNumber(page.total) })
			: t('table.range', { from: formatNumber(first), to: formatNumber(last) }))
		: '';

	return html`<section class="datatable" aria-label=${label} ref=${top}>
		<div class=${`table-tools${searchFull ? ' tools-search-full' : ''}`}>
			${search && html`<div class="search">
				<label for=${searchId} class="visually-hidden">${searchLabel || t('table.search')}</label>
				<${Icon} name="search" size=${18} class="search-icon" />
				<input id=${searchId} class="input search-input" type="search" value=${q}
					placeholder=${searchLabel || t('table.search')} autocomplete="off" spellcheck=${false}
					onInput=${(e) => setQ(e.currentTarget.value)} />
			</div>`}
			${filters.map((f) => (f.type
				? html`<label class=${`filter filter-${f.type}`} key=${f.key}>
					<span class=${f.type === 'text' ? 'visually-hidden' : 'filter-label'}>${f.label}</span>
					<input class="input" type=${f.type === 'text' ? 'search' : f.type} placeholder=${f.placeholder || ''} aria-label=${f.label}
						value=${f.type === 'text' ? (typed[f.key] ?? values[f.key] ?? '') : (values[f.key] || '')}
						autocomplete="off" spellcheck=${false}
						onInput=${f.type === 'text' ? (e) => setTyped({ ...typed, [f.key]: e.currentTarget.value }) : undefined}
						onChange=${f.type !== 'text' ? (e) => filterBy(f.key, e.currentTarget.value) : undefined} />
				</label>`
				: html`<label class="filter" key=${f.key}>
					<span class="visually-hidden">${f.label}</span>
					<select class="input select" value=${values[f.key] || ''} aria-label=${f.label}
						onChange=${(e) => filterBy(f.key, e.currentTarget.value)}>
						${f.options.map((o) => html`<option value=${o.value}>${o.label}</option>`)}
					</select>
				</label>`))}
			${columns.some((c) => c.sort) && html`<label class="filter sort-select">
				<span class="visually-hidden">${t('table.sort')}</span>
				<select class="input select" value=${sort} aria-label=${t('table.sort')} onChange=${(e) => sortBy(e.currentTarget.value)}>
					${!columns.some((c) => c.sort && (sort === c.sort || sort === `-${c.sort}`)) && html`<option value="">${t('table.sort')}</option>`}
					${columns.filter((c) => c.sort).map((c) => html`
						<option value=${c.sort}>${t('table.sort_asc', { column: c.label })}</option>
						<option value=${`-${c.sort}`}>${t('table.sort_desc', { column: c.label })}</option>`)}
				</select>
			</label>`}
			<div class="table-tools-end">
				${page.total != null && html`<span class="table-count">${tn('table.count', page.total)}</span>`}
				${toolbar}
			</div>
		</div>
		<div class=${`table-wrap${state === 'loading' ? ' is-loading' : ''}`} aria-busy=${state === 'loading' ? 'true' : 'false'}>
			<table class="table">
				<thead><tr>
					${selected && html`<th scope="col" class="col-check">
						<input type="checkbox" class="check" checked=${allOn} indeterminate=${someOn && !allOn}
							aria-label=${t('table.select_page')} onChange=${toggleAll} disabled=${!keys.length} />
					</th>`}
					${columns.map((c) => html`<th scope="col" key=${c.key} class=${c.class || ''}
							aria-sort=${c.sort ? sortState(c.sort) : undefined}>
						${c.sort ? html`<button type="button" class="th-sort" onClick=${() => toggleSort(c.sort)}>
							<span>${c.label}</span>
							<${Icon} size=${14} name=${{ ascending: 'sortAsc', descending: 'sortDesc', none: 'sortNone' }[sortState(c.sort)]} />
						</button>` : c.label}
					</th>`)}
				</tr></thead>
				<tbody ref=${body}>
					${state === 'error' && html`<tr class="table-message"><td colspan=${ncols}>
						<div class="table-error" role="alert">
							<${Icon} name="alert" />
							<span>${error}</span>
							<${Button} kind="secondary" icon="refresh" onClick=${() => setAttempt(attempt + 1)}>${t('common.retry')}</${Button}>
						</div>
					</td></tr>`}
					${state !== 'error' && page.rows.length === 0 && html`<tr class="table-message"><td colspan=${ncols}>
						${state === 'loading' ? html`<span class="muted">${t('common.loading')}</span>`
							: html`<span class="muted">${query || Object.values(values).some(Boolean) ? t('table.no_match') : emptyText || t('table.empty')}</span>`}
					</td></tr>`}
					${state !== 'error' && page.rows.map((row, i) => html`<tr key=${rowKey(row)}
							tabindex=${onOpen ? '0' : undefined}
							class=${`${onOpen ? 'row-action' : ''}${selected && selected.has(rowKey(row)) ? ' row-selected' : ''} ${rowClass ? rowClass(row) : ''}`}
							onKeyDown=${(e) => e.target === e.currentTarget && onRowKey(e, row, i)}
							onClick=${onOpen ? (e) => { if (!e.target.closest('a, button, input, label')) onOpen(row); } : undefined}>
						${selected && html`<td class="col-check">
							<input type="checkbox" class="check" checked=${selected.has(rowKey(row))}
								aria-label=${t('table.select_row', { name: String(rowKey(row)) })}
								onChange=${() => toggle(rowKey(row))} />
						</td>`}
						${columns.map((c) => html`<td key=${c.key} class=${`${c.class || ''}${c.empty && c.empty(row) ? ' cell-empty' : ''}`} data-label=${c.label}>
							${c.render ? c.render(row) : row[c.key] ?? '—'}
						</td>`)}
					</tr>`)}
				</tbody>
			</table>
		</div>
		<nav class="pager" aria-label=${t('table.pages')}>
			<span class="pager-range" aria-live="polite">${range}</span>
			<div class="pager-buttons">
				<${Button} kind="secondary" icon="chevronLeft" disabled=${cursors.length === 1 || state === 'loading'}
					onClick=${() => { paged.current = true; setCursors(cursors.slice(0, -1)); }}>${t('table.previous')}</${Button}>
				<${Button} kind="secondary" iconEnd="chevronRight" disabled=${!page.next || state === 'loading'}
					onClick=${() => { paged.current = true; setCursors([...cursors, page.next]); }}>${t('table.next')}</${Button}>
			</div>
		</nav>
	</section>`;
}
