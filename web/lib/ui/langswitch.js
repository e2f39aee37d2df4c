// The language switch: each language named in itself; the choice is remembered.
import { html, useId } from '../html.js';
import { t, LANGS, setLang, useLang } from '../i18n.js';
import { toast } from './toast.js';
import { Icon } from './icons.js';

export function LangSwitch({ compact = false }) {
	const lang = useLang();
	const id = useId();
	const change = (code) => setLang(code).catch(() => toast(t('error.network'), { kind: 'error' }));
	return html`<div class=${`langswitch${compact ? ' langswitch-compact' : ''}`}>
		<label for=${id} class="visually-hidden">${t('lang.label')}</label>
		<${Icon} name="globe" size=${18} class="langswitch-icon" />
		<select id=${id} class="langswitch-select" value=${lang} onChange=${(e) => change(e.currentTarget.value)}>
			${LANGS.map((code) => html`<option value=${code} lang=${code}>${t(`lang.${code}`)}</option>`)}
		</select>
	</div>`;
}
