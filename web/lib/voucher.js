// Voucher codes as the server makes them: 19 symbols of Crockford's base32 (95 bits)
// and one check symbol, the 95-bit number mod 37 in Crockford's check alphabet, shown
// in groups of four (XXXX-XXXX-XXXX-XXXX-XXXX). What a person types is forgiven as
// Crockford says: any case, O for 0, I and L for 1, dashes and spaces anywhere. The page
// says at once when the check symbol is wrong, before anything is sent.

export const SYMBOLS = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const CHECK_SYMBOLS = `${SYMBOLS}*~$=U`;
export const DATA_LEN = 19;
export const CODE_LEN = DATA_LEN + 1;

// The symbols typed, in the canonical alphabet; characters that are no symbol stay, so
// the check can name them.
export function normalizeCode(text) {
	return String(text || '')
		.toUpperCase()
		.replace(/[\s-]+/g, '')
		.replace(/O/g, '0')
		.replace(/[IL]/g, '1');
}

// The check symbol of 19 data symbols.
export function checkSymbol(data) {
	let v = 0n;
	for (const c of data) v = v * 32n + BigInt(SYMBOLS.indexOf(c));
	return CHECK_SYMBOLS[Number(v % 37n)];
}

// In groups of four, as printed.
export function formatCode(text) {
	const s = normalizeCode(text);
	return s.match(/.{1,4}/g)?.join('-') || '';
}

// What is typed so far: { state, code } with code the canonical form (no dashes) and
// state 'empty', 'partial' (fewer than 20 symbols, all good), 'bad_symbol' (with
// symbol: the first character that is none), 'too_long', 'wrong_check' or 'ok'.
export function checkCode(text) {
	const code = normalizeCode(text);
	if (!code) return { state: 'empty', code };
	for (let i = 0; i < code.length; i++) {
		const c = code[i];
		const ok = i < DATA_LEN ? SYMBOLS.includes(c) : CHECK_SYMBOLS.includes(c);
		if (!ok) return { state: 'bad_symbol', code, symbol: c };
	}
	if (code.length < CODE_LEN) return { state: 'partial', code };
	if (code.length > CODE_LEN) return { state: 'too_long', code };
	if (checkSymbol(code.slice(0, DATA_LEN)) !== code[DATA_LEN]) return { state: 'wrong_check', code };
	return { state: 'ok', code };
}
