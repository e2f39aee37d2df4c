// Times typed into the console mean the browser's time zone, as the times it shows do;
// the server reads a time without a zone in its own. So every typed time is sent with
// the browser's offset from UTC for that moment.

function pad(n) {
	return String(n).padStart(2, '0');
}

function offset(d) {
	const m = -d.getTimezoneOffset();
	const a = Math.abs(m);
	return `${m < 0 ? '-' : '+'}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

// "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS]" (as date and datetime-local inputs give them)
// -> "YYYY-MM-DDTHH:MM:SS+HH:MM". A bare date is its 00:00, or with endOfDay the midnight
// that closes it. Anything else goes as it is, for the server to say what is wrong.
export function zoned(local, endOfDay = false) {
	const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(local || '');
	if (!m) return local;
	const d = m[4] === undefined
		? new Date(+m[1], +m[2] - 1, +m[3] + (endOfDay ? 1 : 0))
		: new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T`
		+ `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${offset(d)}`;
}

// A query with these keys' times zoned.
export function zonedQuery(q, keys) {
	const out = { ...q };
	for (const k of keys) if (out[k]) out[k] = zoned(out[k]);
	return out;
}
