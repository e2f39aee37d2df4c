// The console's frame: the navigation on the left (a drawer on small screens), the
// header with the language, the signed-in name and sign-out, and the page's main area.
import { html, useState, useEffect, useRef } from '../lib/html.js';
import { t } from '../lib/i18n.js';
import { Link } from '../lib/router.js';
import { Icon, Logo } from '../lib/ui/icons.js';
import { LangSwitch } from '../lib/ui/langswitch.js';

export function Shell({ pages, current, session, onSignOut, children }) {
	const [open, setOpen] = useState(false);
	const menuButton = useRef(null);

	useEffect(() => {
		if (!open) return undefined;
		const onKey = (e) => {
			if (e.key === 'Escape') {
				setOpen(false);
				if (menuButton.current) menuButton.current.focus();
			}
		};
		addEventListener('keydown', onKey);
		return () => removeEventListener('keydown', onKey);
	}, [open]);

	return html`<div class=${`shell${open ? ' nav-open' : ''}`}>
		<a class="skip-link" href="#main">${t('common.skip')}</a>
		<aside class="sidebar" id="sidebar">
			<div class="sidebar-brand">
				<${Logo} size=${30} />
				<div class="brand-text"><span class="brand-name">warren</span><span class="brand-sub">${t('console.name')}</span></div>
			</div>
			<nav class="nav" aria-label=${t('nav.label')}>
				<ul>
					${pages.filter((p) => !p.hidden).map((p) => html`<li key=${p.id}>
						<${Link} href=${p.path} class="nav-link" aria-current=${current && (current === p || current.nav === p.id) ? 'page' : undefined}
								onNavigate=${() => setOpen(false)}>
							<${Icon} name=${p.icon} /><span>${t(p.title)}</span>
						</${Link}>
					</li>`)}
				</ul>
			</nav>
			<${Link} href="/admin/account" class="sidebar-foot" onNavigate=${() => setOpen(false)}
					aria-label=${t('account.link', { name: session.name })}>
				<span class="avatar" aria-hidden="true">${session.name.slice(0, 1).toUpperCase()}</span>
				<span class="whoami-text">
					<span class="whoami-name">${session.name}</span>
					<span class="whoami-role">${t(`role.${session.role}`)}</span>
				</span>
			</${Link}>
		</aside>
		<div class="scrim" onClick=${() => setOpen(false)} aria-hidden="true"></div>
		<div class="main-column">
			<header class="topbar">
				<button type="button" class="icon-button menu-button" ref=${menuButton}
					aria-label=${t('nav.menu')} aria-expanded=${open ? 'true' : 'false'} aria-controls="sidebar"
					onClick=${() => setOpen(!open)}><${Icon} name="menu" /></button>
				<div class="topbar-title">${current ? t(current.title) : ''}</div>
				<div class="topbar-end">
					<${LangSwitch} />
					<${Link} href="/admin/account" class="whoami" title=${session.name}
							aria-label=${t('account.link', { name: session.name })}>
						<span class="avatar" aria-hidden="true">${session.name.slice(0, 1).toUpperCase()}</span>
						<span class="whoami-text">
							<span class="whoami-name">${session.name}</span>
							<span class="whoami-role">${t(`role.${session.role}`)}</span>
						</span>
					</${Link}>
					<button type="button" class="button button-ghost signout" onClick=${onSignOut}>
						<${Icon} name="logout" size=${18} /><span class="signout-text">${t('common.sign_out')}</span>
					</button>
				</div>
			</header>
			<main class="main" id="main" tabindex="-1">${children}</main>
		</div>
	</div>`;
}
