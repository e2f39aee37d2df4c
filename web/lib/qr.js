// QR codes (ISO/IEC 18004) made in the page, so a secret that exists only in the browser
// (a private key made by WebCrypto) can be shown as a code without leaving it: byte mode
// (the text as UTF-8), error correction L, M, Q or H, versions 1 to 40, Reed–Solomon
// over GF(256), the eight masks scored by the standard's four penalty rules, drawn as
// one SVG path with a quiet zone. No imports: node runs it as the browser does.

const ECC = {
	// bits in the format information, and the tables below by level
	L: { bits: 1, index: 0 },
	M: { bits: 0, index: 1 },
	Q: { bits: 3, index: 2 },
	H: { bits: 2, index: 3 },
};

// Error correction codewords per block, by level then version (index 0 unused).
const ECC_PER_BLOCK = [
	[0, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
	[0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28],
	[0, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
	[0, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
];

// Number of error correction blocks, by level then version.
const BLOCKS = [
	[0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25],
	[0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49],
	[0, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68],
	[0, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81],
];

export const MIN_VERSION = 1;
export const MAX_VERSION = 40;

// Modules left for data and error correction once the function patterns are drawn.
function rawModules(ver) {
	let n = (16 * ver + 128) * ver + 64;
	if (ver >= 2) {
		const align = Math.floor(ver / 7) + 2;
		n -= (25 * align - 10) * align - 55;
		if (ver >= 7) n -= 36;
	}
	return n;
}

// Data codewords a version holds at a level.
function dataCodewords(ver, level) {
	const i = ECC[level].index;
	return Math.floor(rawModules(ver) / 8) - ECC_PER_BLOCK[i][ver] * BLOCKS[i][ver];
}

// The most bytes of text a version holds at a level in byte mode.
export function capacity(ver, level = 'M') {
	const bits = dataCodewords(ver, level) * 8 - 4 - (ver < 10 ? 8 : 16);
	return Math.max(0, Math.floor(bits / 8));
}

// ---------------------------------------------------------------- Reed–Solomon

// GF(256) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d), by log tables.
const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
for (let i = 0, x = 1; i < 255; i++) {
	EXP[i] = x;
	LOG[x] = i;
	x <<= 1;
	if (x & 0x100) x ^= 0x11d;
}
for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255];

function gfMul(a, b) {
	return a && b ? EXP[LOG[a] + LOG[b]] : 0;
}

const generators = new Map();

// The generator polynomial of degree n, (x - a^0)(x - a^1)...(x - a^(n-1)), highest
// coefficient (always 1) left out.
function generator(n) {
	let g = generators.get(n);
	if (g) return g;
	g = new Uint8Array(n);
	g[n - 1] = 1;
	let root = 1;
	for (let i = 0; i < n; i++) {
		for (let j = 0; j < n; j++) {
			g[j] = gfMul(g[j], root);
			if (j + 1 < n) g[j] ^= g[j + 1];
		}
		root = gfMul(root, 2);
	}
	generators.set(n, g);
	return g;
}

// The n error correction codewords of data: the remainder of data·x^n by the generator.
function rsRemainder(data, n) {
	const g = generator(n);
	const r = new Uint8Array(n);
	for (const b of data) {
		const f = b ^ r[0];
		r.copyWithin(0, 1);
		r[n - 1] = 0;
		for (let j = 0; j < n; j++) r[j] ^= gfMul(g[j], f);
	}
	return r;
}

// ---------------------------------------------------------------- data

function utf8(text) {
	if (text instanceof Uint8Array) return text;
	return new TextEncoder().encode(String(text));
}

// The data codewords: mode, count, bytes, terminator, padding.
function dataBits(bytes, ver, level) {
	const cap = dataCodewords(ver, level);
	const out = [];
	let acc = 0;
	let nbits = 0;
	const put = (value, len) => {
		for (let i = len - 1; i >= 0; i--) {
			acc = (acc << 1) | ((value >>> i) & 1);
			if (++nbits === 8) {
				out.push(acc);
				acc = 0;
				nbits = 0;
			}
		}
	};
	put(0b0100, 4);
	put(bytes.length, ver < 10 ? 8 : 16);
	for (const b of bytes) put(b, 8);
	// Up to four zero bits of terminator, then zeros to the byte.
	const left = cap * 8 - (out.length * 8 + nbits);
	put(0, Math.min(4, left));
	if (nbits) put(0, 8 - nbits);
	for (let pad = 0xec; out.length < cap; pad ^= 0xec ^ 0x11) out.push(pad);
	return out;
}

// Split into blocks, add each block's error correction, interleave.
function codewords(data, ver, level) {
	const i = ECC[level].index;
	const nblocks = BLOCKS[i][ver];
	const necc = ECC_PER_BLOCK[i][ver];
	const raw = Math.floor(rawModules(ver) / 8);
	const nshort = nblocks - (raw % nblocks);
	const shortLen = Math.floor(raw / nblocks) - necc;
	const blocks = [];
	const eccs = [];
	for (let b = 0, k = 0; b < nblocks; b++) {
		const len = shortLen + (b < nshort ? 0 : 1);
		const block = data.slice(k, k + len);
		k += len;
		blocks.push(block);
		eccs.push(rsRemainder(block, necc));
	}
	const out = [];
	for (let j = 0; j <= shortLen; j++) {
		for (let b = 0; b < nblocks; b++) if (j < blocks[b].length) out.push(blocks[b][j]);
	}
	for (let j = 0; j < necc; j++) {
		for (let b = 0; b < nblocks; b++) out.push(eccs[b][j]);
	}
	return out;
}

// ---------------------------------------------------------------- the matrix

function alignmentPositions(ver) {
	if (ver === 1) return [];
	const n = Math.floor(ver / 7) + 2;
	const size = ver * 4 + 17;
	const step = Math.floor((ver * 8 + n * 3 + 5) / (n * 4 - 4)) * 2;
	const pos = [6];
	for (let p = size - 7; pos.length < n; p -= step) pos.splice(1, 0, p);
	return pos;
}

// BCH remainder of value·x^(deg) by poly (of degree deg).
function bch(value, poly, deg) {
	let r = value << deg;
	for (let i = 31 - Math.clz32(r); i >= deg; i--) if ((r >>> i) & 1) r ^= poly << (i - deg);
	return (value << deg) | r;
}

class Matrix {
	constructor(ver) {
		this.size = ver * 4 + 17;
		this.dark = new Uint8Array(this.size * this.size);
		this.func = new Uint8Array(this.size * this.size);
	}

	get(x, y) {
		return this.dark[y * this.size + x];
	}

	set(x, y, on) {
		this.dark[y * this.size + x] = on ? 1 : 0;
		this.func[y * this.size + x] = 1;
	}
}

function drawFunctions(m, ver) {
	const { size } = m;
	for (let i = 0; i < size; i++) {
		m.set(6, i, i % 2 === 0);
		m.set(i, 6, i % 2 === 0);
	}
	// Finders with their separators.
	for (const [cx, cy] of [[3, 3], [size - 4, 3], [3, size - 4]]) {
		for (let dy = -4; dy <= 4; dy++) {
			for (let dx = -4; dx <= 4; dx++) {
				const x = cx + dx;
				const y = cy + dy;
				if (x < 0 || y < 0 || x >= size || y >= size) continue;
				const d = Math.max(Math.abs(dx), Math.abs(dy));
				m.set(x, y, d !== 2 && d !== 4);
			}
		}
	}
	const pos = alignmentPositions(ver);
	const last = pos.length - 1;
	for (let a = 0; a <= last; a++) {
		for (let b = 0; b <= last; b++) {
			// the three corners the finders hold
			if ((a === 0 && b === 0) || (a === 0 && b === last) || (a === last && b === 0)) continue;
			for (let dy = -2; dy <= 2; dy++) {
				for (let dx = -2; dx <= 2; dx++) {
					m.set(pos[a] + dx, pos[b] + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
				}
			}
		}
	}
	// Reserve the format areas now (drawn for real once the mask is known).
	drawFormat(m, 0, 0);
	if (ver >= 7) {
		const bits = bch(ver, 0x1f25, 12);
		for (let i = 0; i < 18; i++) {
			const on = (bits >>> i) & 1;
			const a = size - 11 + (i % 3);
			const b = Math.floor(i / 3);
			m.set(a, b, on);
			m.set(b, a, on);
		}
	}
}

function drawFormat(m, levelBits, mask) {
	const { size } = m;
	const bits = bch((levelBits << 3) | mask, 0x537, 10) ^ 0x5412;
	const bit = (i) => (bits >>> i) & 1;
	for (let i = 0; i <= 5; i++) m.set(8, i, bit(i));
	m.set(8, 7, bit(6));
	m.set(8, 8, bit(7));
	m.set(7, 8, bit(8));
	for (let i = 9; i < 15; i++) m.set(14 - i, 8, bit(i));
	for (let i = 0; i < 8; i++) m.set(size - 1 - i, 8, bit(i));
	for (let i = 8; i < 15; i++) m.set(8, size - 15 + i, bit(i));
	m.set(8, size - 8, 1);
}

// The codewords in the two-column zigzag from the bottom right, around the functions.
function drawCodewords(m, words) {
	const { size } = m;
	const total = words.length * 8;
	let i = 0;
	for (let right = size - 1; right >= 1; right -= 2) {
		if (right === 6) right = 5;
		const up = ((right + 1) & 2) === 0;
		for (let v = 0; v < size; v++) {
			const y = up ? size - 1 - v : v;
			for (let j = 0; j < 2; j++) {
				const x = right - j;
				const k = y * size + x;
				if (m.func[k]) continue;
				// the remainder bits past the last codeword stay light
				m.dark[k] = i < total ? (words[i >>> 3] >>> (7 - (i & 7))) & 1 : 0;
				i++;
			}
		}
	}
}

const MASKS = [
	(x, y) => (x + y) % 2 === 0,
	(x, y) => y % 2 === 0,
	(x) => x % 3 === 0,
	(x, y) => (x + y) % 3 === 0,
	(x, y) => (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0,
	(x, y) => ((x * y) % 2) + ((x * y) % 3) === 0,
	(x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0,
	(x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
];

// XOR a mask over the data modules (twice undoes it).
function applyMask(m, mask) {
	const f = MASKS[mask];
	const { size } = m;
	for (let y = 0; y < size; y++) {
		for (let x = 0; x < size; x++) {
			const k = y * size + x;
			if (!m.func[k] && f(x, y)) m.dark[k] ^= 1;
		}
	}
}

// The four penalty rules: runs of five or more, 2×2 blocks, finder-like 1:1:3:1:1
// patterns with four light modules on a side (the quiet zone counts as light), and the
// share of dark modules away from half.
function penalty(m) {
	const { size } = m;
	let score = 0;
	const line = new Uint8Array(size);
	for (let pass = 0; pass < 2; pass++) {
		for (let a = 0; a < size; a++) {
			for (let b = 0; b < size; b++) line[b] = pass ? m.get(a, b) : m.get(b, a);
			let run = 1;
			for (let b = 1; b <= size; b++) {
				if (b < size && line[b] === line[b - 1]) {
					run++;
					continue;
				}
				if (run >= 5) score += 3 + (run - 5);
				run = 1;
			}
			const at = (b) => (b < 0 || b >= size ? 0 : line[b]);
			for (let b = -4; b < size; b++) {
				// dark light dark dark dark light dark starting at b
				if (!(at(b) && !at(b + 1) && at(b + 2) && at(b + 3) && at(b + 4) && !at(b + 5) && at(b + 6))) continue;
				let before = true;
				let after = true;
				for (let k = 1; k <= 4; k++) {
					if (at(b - k)) before = false;
					if (at(b + 6 + k)) after = false;
				}
				if (before) score += 40;
				if (after) score += 40;
			}
		}
	}
	for (let y = 0; y + 1 < size; y++) {
		for (let x = 0; x + 1 < size; x++) {
			const c = m.get(x, y);
			if (c === m.get(x + 1, y) && c === m.get(x, y + 1) && c === m.get(x + 1, y + 1)) score += 3;
		}
	}
	let dark = 0;
	for (const d of m.dark) dark += d;
	const total = size * size;
	score += (Math.ceil(Math.abs(dark * 20 - total * 10) / total) - 1) * 10;
	return score;
}

// The code for text (a string, as UTF-8, or bytes): { version, size, ecc, mask,
// get(x, y) } with get true for a dark module. Options: ecc 'L' | 'M' (default) | 'Q' |
// 'H'; boost raises the level while the version stays the same; minVersion, maxVersion;
// mask forces one of 0..7. Throws a RangeError when the text does not fit.
export function qrEncode(text, { ecc = 'M', boost = true, minVersion = 1, maxVersion = 40, mask = -1 } = {}) {
	if (!ECC[ecc]) throw new RangeError(`qr: no error correction level ${ecc}`);
	const bytes = utf8(text);
	let ver = Math.max(MIN_VERSION, minVersion);
	for (; ver <= Math.min(MAX_VERSION, maxVersion); ver++) if (capacity(ver, ecc) >= bytes.length) break;
	if (ver > Math.min(MAX_VERSION, maxVersion)) {
		throw new RangeError(`qr: ${bytes.length} bytes do not fit in version ${maxVersion} at level ${ecc}`);
	}
	let level = ecc;
	if (boost) {
		for (const l of ['M', 'Q', 'H']) {
			if (ECC[l].index > ECC[level].index && capacity(ver, l) >= bytes.length) level = l;
		}
	}
	const words = codewords(dataBits(bytes, ver, level), ver, level);
	const m = new Matrix(ver);
	drawFunctions(m, ver);
	drawCodewords(m, words);
	let best = mask;
	if (best < 0 || best > 7) {
		let min = Infinity;
		for (let k = 0; k < 8; k++) {
			applyMask(m, k);
			drawFormat(m, ECC[level].bits, k);
			const p = penalty(m);
			if (p < min) {
				min = p;
				best = k;
			}
			applyMask(m, k);
		}
	}
	applyMask(m, best);
	drawFormat(m, ECC[level].bits, best);
	return {
		version: ver,
		size: m.size,
		ecc: level,
		mask: best,
		get: (x, y) => x >= 0 && y >= 0 && x < m.size && y < m.size && m.get(x, y) === 1,
	};
}

// The dark modules as one path in module units, shifted by border: a rectangle for
// each run of dark modules in a row.
export function qrPath(qr, border = 4) {
	const parts = [];
	for (let y = 0; y < qr.size; y++) {
		for (let x = 0; x < qr.size; x++) {
			if (!qr.get(x, y)) continue;
			let end = x + 1;
			while (end < qr.size && qr.get(end, y)) end++;
			parts.push(`M${x + border} ${y + border}h${end - x}v1h${x - end}z`);
			x = end;
		}
	}
	return parts.join('');
}

function escapeXml(s) {
	return String(s).replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// The code as an SVG document: border modules of quiet zone (4, as the standard asks),
// size px wide (default 8 px a module), dark on light; title names the image for a
// screen reader. text may also be what qrEncode returned.
export function qrSvg(text, { border = 4, size, dark = '#000', light = '#fff', title, ...opts } = {}) {
	const qr = typeof text === 'object' && text && typeof text.get === 'function' ? text : qrEncode(text, opts);
	const n = qr.size + border * 2;
	const px = size || n * 8;
	const label = title ? ` role="img" aria-label="${escapeXml(title)}"` : '';
	return `<svg xmlns="http://www.w3.org/2000/svg" width="${px}" height="${px}" viewBox="0 0 ${n} ${n}"`
		+ ` shape-rendering="crispEdges"${label}>${title ? `<title>${escapeXml(title)}</title>` : ''}`
		+ `<rect width="${n}" height="${n}" fill="${escapeXml(light)}"/>`
		+ `<path fill="${escapeXml(dark)}" d="${qrPath(qr, border)}"/></svg>`;
}

// The same as an element of doc, to put in a page without parsing markup.
export function qrSvgElement(text, { border = 4, size, title, doc = globalThis.document, ...opts } = {}) {
	const qr = qrEncode(text, opts);
	const NS = 'http://www.w3.org/2000/svg';
	const n = qr.size + border * 2;
	const svg = doc.createElementNS(NS, 'svg');
	svg.setAttribute('viewBox', `0 0 ${n} ${n}`);
	if (size) {
		svg.setAttribute('width', String(size));
		svg.setAttribute('height', String(size));
	}
	svg.setAttribute('shape-rendering', 'crispEdges');
	svg.setAttribute('class', 'qr-svg');
	if (title) {
		svg.setAttribute('role', 'img');
		svg.setAttribute('aria-label', title);
	}
	const bg = doc.createElementNS(NS, 'rect');
	bg.setAttribute('width', String(n));
	bg.setAttribute('height', String(n));
	bg.setAttribute('class', 'qr-light');
	bg.setAttribute('fill', '#fff');
	const path = doc.createElementNS(NS, 'path');
	path.setAttribute('d', qrPath(qr, border));
	path.setAttribute('class', 'qr-dark');
	path.setAttribute('fill', '#000');
	svg.append(bg, path);
	return svg;
}
