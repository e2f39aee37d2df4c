// The console's pages, in the order of the navigation. A page is there when it is
// listed here: each module says its path, title, icon and component.
import dashboard from './pages/dashboard.js';
import users from './pages/users.js';
import sessions from './pages/sessions.js';

export const pages = [dashboard, users, sessions];

// The page for path, with the params of its pattern.
export function pageFor(path, match) {
	for (const p of pages) {
		for (const pattern of [p.path, ...(p.routes || [])]) {
			const params = match(pattern, path);
			if (params) return { page: p, params };
		}
	}
	return null;
}
