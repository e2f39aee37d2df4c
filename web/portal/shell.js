// The portal's frame, phone first: a slim bar with the mark, the language and sign-out;
// the pages' tabs at the bottom of a phone's screen (where a thumb reaches them) and down
// the side of a wide one; the unread announcements as a badge on their tab.
import { html } from '../lib/html.js';
import { t, formatNumber } from '../lib/i18n.js';
import { Link } from '../lib/router.js';
import { Icon, Logo } from '../lib/ui/icons.js';
import { LangSwitch } from '../lib/ui/langswitch.js';

export function Shell({ pages, current, session, unread, onSignOut, children }) {
	return html`<div class="pshell">
		<a class="skip-link" href="#main">${t('common.skip')}</a>
		<header class="pbar">
			<div class="pbar-inner">
				<${Link} href="/" class="pbar-brand" aria-label=${t('portal.home')}><${Logo} size=${28} /><span class="brand-name">warren</span></${Link}>
				<div class="pbar-end">
					<${LangSwitch} compact />
					<button type="button" class="button button-ghost signout" onClick=${onSignOut}
							aria-label=${t('common.sign_out')}>
						<${Icon} name="logout" size=${18} /><span class="signout-text">${t('common.sign_out')}</span>
					</button>
				</div>
			</div>
		</header>
		<div class="pbody">
			<nav class="ptabs" aria-label=${t('portal.nav')}>
				<ul>
					${pages.filter((p) => p.nav).map((p) => html`<li key=${p.id}>
						<${Link} href=${p.path} class="ptab" data-page=${p.id}
								aria-current=${current && (current.id === p.id || current.parent === p.id) ? 'page' : undefined}>
							<span class="ptab-icon"><${Icon} name=${p.icon} size=${22} />
								${p.badge && unread > 0 && html`<span class="nav-badge" aria-hidden="true">${unread > 99 ? '99+' : formatNumber(unread)}</span>`}
							</span>
							<span class="ptab-label">${t(p.nav)}</span>
							${p.badge && unread > 0 && html`<span class="visually-hidden">${t('announce.unread_count', { n: formatNumber(unread) })}</span>`}
						</${Link}>
					</li>`)}
				</ul>
			</nav>
			<div class="pcontent">
				<main class="pmain" id="main" tabindex="-1">${children}</main>
				<footer class="pfoot"><span>${t('portal.signed_in_as', { name: session.name })}</span></footer>
			</div>
		</div>
	</div>`;
}
