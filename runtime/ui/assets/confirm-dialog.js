import { html } from './html.js';

/** Asks before an action changes a connector; says what the action does. */
export function ConfirmDialog({ title, message, confirmLabel, danger, onConfirm, onCancel }) {
  return html`<div class="modal-backdrop">
    <div class="modal confirm" role="dialog" aria-modal="true" aria-label=${title}>
      <header><h2>${title}</h2></header>
      <p>${message}</p>
      <footer>
        <button type="button" onClick=${onCancel}>Cancel</button>
        <button
          type="button"
          class=${danger ? 'danger primary' : 'primary'}
          data-role="confirm"
          onClick=${onConfirm}
        >
          ${confirmLabel}
        </button>
      </footer>
    </div>
  </div>`;
}
