// What the console's list pages share: the heading with its lead and actions, and the
// last column of a table whose rows can be edited and deleted.
import { html } from '../html.js';
import { t } from '../i18n.js';
import { Button } from './form.js';

export function PageHead({ title, lead, children }) {
	return html`<div class="page-head">
		<div>
			<h1>${title}</h1>
			${lead && html`<p class="page-lead">${lead}</p>`}
		</div>
		<div class="page-actions">${children}</div>
	</div>`;
}

// A DataTable column with Edit and Delete for each row; labels(row) gives the buttons'
// texts and accessible names: { edit, editNamed, del, delNamed }.
export function editDeleteColumn({ onEdit, onDelete, labels }) {
	return {
		key: 'actions', label: t('common.actions'), class: 'actions',
		render: (row) => {
			const l = labels(row);
			return html`<${Button} kind="ghost" icon="edit" onClick=${() => onEdit(row)}
					aria-label=${l.editNamed}>${l.edit}</${Button}>
				<${Button} kind="ghost" icon="trash" class="button-danger-text" onClick=${() => onDelete(row)}
					aria-label=${l.delNamed}>${l.del}</${Button}>`;
		},
	};
}
