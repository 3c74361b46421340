import { html } from './html.js';
import { formatBytes, formatSeconds, formatTime } from './format.js';

/** The latest events from GET /events, newest first; alerts stand out. */
function describe(event) {
  const d = event.data ?? {};
  switch (event.type) {
    case 'connector.state':
      return `connector ${d.state}`;
    case 'task.state':
      return `task ${d.task} ${d.state}${d.trace ? `: ${d.trace.split('\n')[0]}` : ''}`;
    case 'connector.config':
      return `config ${d.action}`;
    case 'lag':
      return `lag ${formatSeconds(d.seconds)}, ${formatBytes(d.bytes)} behind`;
    case 'retention':
      return `${d.holder} retains ${formatBytes(d.retainedBytes)} (${d.connectorState ?? '?'})`;
    case 'snapshot.progress':
      return `snapshot ${(d.tables ?? []).map((t) => `${t.table} ${t.rowsDone}`).join(', ')}`;
    case 'stream.gap':
      return event.message;
    default:
      return d.message ?? JSON.stringify(d);
  }
}

export function EventLog({ events, samples, hideSamples, onToggleSamples }) {
  const shown = hideSamples ? events : [...events, ...samples].sort((a, b) => (b.id ?? 0) - (a.id ?? 0));
  return html`<section class="event-log" aria-label="Events">
    <header>
      <h2>Events</h2>
      <label class="small muted">
        <input type="checkbox" checked=${!hideSamples} onChange=${onToggleSamples} />
        ${' samples'}
      </label>
    </header>
    <ol>
      ${shown.slice(0, 80).map(
        (e) =>
          html`<li
            class=${`event event-${e.type.replace('.', '-')} ${e.data?.status === 'firing' ? 'firing' : ''}`}
          >
            <time>${formatTime(e.time)}</time>
            <span class="event-type">${e.type}</span>
            <span class="event-connector">${e.connector ?? ''}</span>
            <span class="event-text">${describe(e)}</span>
          </li>`,
      )}
    </ol>
  </section>`;
}
