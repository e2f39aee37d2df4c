// Client routing on real paths (History API, no '#'): the current path, navigation
// that keeps the browser's back and forward working, links that open in a new tab
// when asked to, and route matching with :params.
import { html, useState, useEffect } from './html.js';

const listeners = new Set();

export function currentPath() {
	return location.pathname;
}

export function navigate(to, { replace = false } = {}) {
	if (to === location.pathname + location.search) return;
	if (replace) history.replaceState(null, '', to);
	else history.pushState(null, '', to);
	for (const f of listeners) f(location.pathname);
	window.scrollTo(0, 0);
}

addEventListener('popstate', () => {
	for (const f of listeners) f(location.pathname);
});

export function usePath() {
	const [path, set] = useState(location.pathname);
	useEffect(() => {
		listeners.add(set);
		return () => listeners.delete(set);
	}, []);
	return path;
}

// pattern "/admin/users/:name" against path: the params, or null.
export function match(pattern, path) {
	const p = pattern.split('/');
	const s = path.split('/');
	if (p.length !== s.length) return null;
	const params = {};
	for (let i = 0; i < p.length; i++) {
		if (p[i].startsWith(':')) {
			if (!s[i]) return null;
			try {
				params[p[i].slice(1)] = decodeURIComponent(s[i]);
			} catch {
				return null;
			}
		} else if (p[i] !== s[i]) {
			return null;
		}
	}
	return params;
}

// An <a> that navigates in the page; with a modifier key or another button the
// browser does what it always does.
export function Link({ href, children, onNavigate, ...rest }) {
	const onClick = (e) => {
		if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) {
			return;
		}
		e.preventDefault();
		navigate(href);
		if (onNavigate) onNavigate();
	};
	return html`<a href=${href} onClick=${onClick} ...${rest}>${children}</a>`;
}
