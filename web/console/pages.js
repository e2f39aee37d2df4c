// The console's pages, in the order of the navigation. A page is there when it is
// listed here: each module says its path, title, icon and component; a hidden page (a
// user's own page, the signed-in admin's account) is reached from another and lights
// up its parent (nav) in the navigation.
import dashboard from './pages/dashboard.js';
import users from './pages/users.js';
import user from './pages/user.js';
import status from './pages/status.js';
import sessions from './pages/sessions.js';
import groups from './pages/groups.js';
import group from './pages/group.js';
import announcements from './pages/announcements.js';
import services from './pages/services.js';
import vouchers from './pages/vouchers.js';
import voucher from './pages/voucher.js';
import dns from './pages/dnslog.js';
import dnsstats from './pages/dnsstats.js';
import dnslists from './pages/dnslists.js';
import dnsrules from './pages/dnsrules.js';
import dnsrecords from './pages/dnsrecords.js';
import settings from './pages/settings.js';
import admins from './pages/admins.js';
import audit from './pages/audit.js';
import account from './pages/account.js';

export const pages = [
	dashboard, users, user, status, sessions, groups, group, announcements, services, vouchers, voucher,
	dns, dnsstats, dnslists, dnsrules, dnsrecords, settings, admins, audit, account,
];

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
