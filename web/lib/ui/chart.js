// Bar charts drawn by hand in SVG at the width they are shown at (no chart library):
// traffic per hour or day (download and upload stacked) and counts per day. Empty
// buckets the server leaves out are drawn as zero; each bar tells its values on hover
// and the chart as a whole has a text summary for screen readers.
import { html, useState, useEffect, useRef } from '../html.js';
import { t, formatBytes, formatNumber, currentLang } from '../i18n.js';

const HEIGHT = 190;
const PAD = { top: 12, right: 8, bottom: 26, left: 58 };

// Buckets from..to of step seconds, aligned as the server's are (its first bucket, else
// the browser's hour or midnight), with the server's rows filled in.
export function buckets(rows, from, to, step) {
	const byStart = new Map(rows.map((r) => [r.start, r]));
	let first;
	if (rows.length) {
		first = rows[0].start;
		while (first - step >= from) first -= step;
	} else {
		const d = new Date(from * 1000);
		if (step >= 86400) d.setHours(0, 0, 0, 0);
		else d.setMinutes(0, 0, 0);
		first = Math.floor(d.getTime() / 1000);
	}
	const out = [];
	for (let s = first; s < to && out.length < 1000; s += step) out.push(byStart.get(s) || { start: s });
	return out;
}

function niceMax(v, bytes) {
	if (v <= 0) return bytes ? 1024 : 4;
	const base = bytes ? 1024 : 10;
	let unit = 1;
	while (unit * base <= v) unit *= base;
	for (const m of bytes ? [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] : [1, 2, 2.5, 5, 10]) {
		if (unit * m >= v) return unit * m;
	}
	return unit * base;
}

function label(start, step) {
	const d = new Date(start * 1000);
	const opt = step >= 86400 ? { month: 'numeric', day: 'numeric' } : { hour: '2-digit', minute: '2-digit' };
	return new Intl.DateTimeFormat(currentLang(), opt).format(d);
}

function when(start, step) {
	const d = new Date(start * 1000);
	const opt = step >= 86400 ? { year: 'numeric', month: 'short', day: 'numeric', weekday: 'short' }
		: { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
	return new Intl.DateTimeFormat(currentLang(), opt).format(d);
}

// series: [{ key, label, class }] stacked bottom up; data: buckets; bytes: values are bytes.
export function BarChart({ data, series, step, bytes = true, title, summary }) {
	const box = useRef(null);
	const [width, setWidth] = useState(0);
	useEffect(() => {
		const el = box.current;
		if (!el) return undefined;
		setWidth(el.clientWidth);
		const ro = new ResizeObserver(() => setWidth(el.clientWidth));
		ro.observe(el);
		return () => ro.disconnect();
	}, []);
	const fmt = bytes ? formatBytes : formatNumber;
	const total = (r) => series.reduce((a, s) => a + (r[s.key] || 0), 0);
	const max = niceMax(Math.max(0, ...data.map(total)), bytes);
	const w = Math.max(width, 200);
	const plotW = w - PAD.left - PAD.right;
	const plotH = HEIGHT - PAD.top - PAD.bottom;
	const slot = data.length ? plotW / data.length : plotW;
	const barW = Math.max(1, Math.min(28, slot * 0.72));
	const y = (v) => PAD.top + plotH - (v / max) * plotH;
	// About one label per 64 px, on round buckets.
	const every = Math.max(1, Math.ceil(64 / slot));
	const grid = [0, 0.5, 1].map((f) => f * max);
	return html`<figure class="chart">
		${title && html`<figcaption class="chart-head"><span class="chart-title">${title}</span>
			<span class="chart-legend">${series.map((s) => html`<span class="legend-item"><span class=${`legend-swatch ${s.class}`}></span>${s.label}</span>`)}</span>
		</figcaption>`}
		<div class="chart-box" ref=${box}>
			${width > 0 && html`<svg width=${w} height=${HEIGHT} viewBox=${`0 0 ${w} ${HEIGHT}`} role="img"
					aria-label=${summary || title}>
				${grid.map((g) => html`<g class="chart-grid">
					<line x1=${PAD.left} x2=${w - PAD.right} y1=${y(g)} y2=${y(g)} />
					<text x=${PAD.left - 8} y=${y(g) + 4} text-anchor="end">${fmt(g)}</text>
				</g>`)}
				${data.map((r, i) => {
					let acc = 0;
					const x = PAD.left + i * slot + (slot - barW) / 2;
					const tip = `${when(r.start, step)}: ${series.map((s) => `${s.label} ${fmt(r[s.key] || 0)}`).join(', ')}`;
					return html`<g class="chart-bar">
						<title>${tip}</title>
						<rect class="chart-hit" x=${PAD.left + i * slot} y=${PAD.top} width=${slot} height=${plotH} />
						${series.map((s) => {
							const v = r[s.key] || 0;
							if (!v) return null;
							const top = y(acc + v);
							const h = Math.max(1, y(acc) - top);
							acc += v;
							return html`<rect class=${s.class} x=${x} y=${top} width=${barW} height=${h} rx=${barW > 6 ? 2 : 0} />`;
						})}
						${i % every === 0 && html`<text class="chart-x" x=${x + barW / 2} y=${HEIGHT - 8} text-anchor="middle">${label(r.start, step)}</text>`}
					</g>`;
				})}
			</svg>`}
		</div>
	</figure>`;
}

// The summary a screen reader hears: the total and the busiest bucket.
export function trafficSummary(data, step) {
	let sum = 0;
	let peak = null;
	for (const r of data) {
		const v = (r.rx_bytes || 0) + (r.tx_bytes || 0);
		sum += v;
		if (!peak || v > peak.v) peak = { v, start: r.start };
	}
	if (!sum) return t('chart.no_traffic');
	return t('chart.traffic_summary', { total: formatBytes(sum), peak: formatBytes(peak.v), when: when(peak.start, step) });
}
