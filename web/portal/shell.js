// The portal's frame, phone first: a bar with the mark, the language and sign-out over
// one column; on a wide screen the column stays readable.
import { html } from '../lib/html.js';
import { t } from '../lib/i18n.js';
import { Icon, Logo } from '../lib/ui/icons.js';
import { LangSwitch } from '../lib/ui/langswitch.js';

export function Shell({ session, onSignOut, children }) {
	return html`<div class="pshell">
		<a class="skip-link" href="#main">${t('common.skip')}</a>
		<header class="pbar">
			<div class="pbar-inner">
				<div class="pbar-brand"><${Logo} size=${28} /><span class="brand-name">warren</span></div>
				<div class="pbar-end">
					<${LangSwitch} compact />
					<button type="button" class="button button-ghost signout" onClick=${onSignOut}
							aria-label=${t('common.sign_out')}>
						<${Icon} name="logout" size=${18} /><span class="signout-text">${t('common.sign_out')}</span>
					</button>
				</div>
			</div>
		</header>
		<main class="pmain" id="main" tabindex="-1">${children}</main>
		<footer class="pfoot"><span>${t('portal.signed_in_as', { name: session.name })}</span></footer>
	</div>`;
}
