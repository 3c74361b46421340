import { html } from './html.js';
import { formatBytes, formatRate, formatSeconds, formatTime } from './format.js';
import { LiveChart } from './live-chart.js';

/** One connector: state, tasks, worker, live numbers and charts, snapshot, traces, actions. */
const stateClass = (state) => `state state-${(state ?? 'unknown').toLowerCase()}`;

function Stat({ label, value, hint }) {
  return html`<div class="stat" title=${hint ?? ''}>
    <span class="stat-value">${value}</span><span class="stat-label">${label}</span>
  </div>`;
}

function SnapshotProgress({ snapshot }) {
  if (!snapshot || snapshot.tables.length === 0) return null;
  const finished = snapshot.done >= snapshot.total;
  const percent = finished ? 100 : Math.min(100, (100 * snapshot.done) / snapshot.total);
  return html`<section class="snapshot">
    <h4>
      Snapshot ${finished ? 'completed' : 'in progress'}
      <span class="muted">
        ${snapshot.done.toLocaleString()} / ${snapshot.total.toLocaleString()} rows
        ${!finished && snapshot.eta !== null ? ` · ETA ${formatSeconds(snapshot.eta)}` : ''}
        ${!finished && snapshot.rate ? ` · ${formatRate(snapshot.rate)} rows/s` : ''}
      </span>
    </h4>
    <div
      class="bar"
      role="progressbar"
      aria-valuenow=${percent.toFixed(0)}
      aria-valuemin="0"
      aria-valuemax="100"
    >
      <div style=${`width:${percent}%`}></div>
    </div>
    <ul class="tables">
      ${snapshot.tables.map((t) => {
        const total = Math.max(t.rowsTotal ?? 0, t.rowsDone);
        const p = total > 0 ? (100 * t.rowsDone) / total : 100;
        return html`<li>
          <span class="table-name">${t.table}</span>
          <div class="bar small"><div style=${`width:${p}%`}></div></div>
          <span class="muted">${t.rowsDone.toLocaleString()} / ${total.toLocaleString()}</span>
        </li>`;
      })}
    </ul>
  </section>`;
}

function Retention({ retention }) {
  const last = retention.last;
  if (!last) return null;
  const details = Object.entries(last.details ?? {}).filter(([, v]) => v !== null);
  return html`<section class=${`retention ${last.overLimit ? 'over' : ''}`}>
    <h4>
      Source retention <span class="muted">${last.holder}</span>
      ${last.active === false ? html`<span class="pill warn">not read</span>` : null}
      ${last.active === true ? html`<span class="pill ok">read</span>` : null}
      ${last.overLimit ? html`<span class="pill bad">over limit</span>` : null}
    </h4>
    <p class="muted small">
      ${[
        `retains ${formatBytes(last.retainedBytes)}${last.limitBytes ? ` of ${formatBytes(last.limitBytes)} allowed` : ''}`,
        `${formatBytes(last.behindBytes)} behind confirmed`,
        ...details
          .filter(([k]) => k !== 'slot')
          .map(
            ([k, v]) =>
              `${k.replaceAll('_', ' ')} ${typeof v === 'number' && k.includes('size') ? formatBytes(v) : String(v)}`,
          ),
      ].join(' · ')}
    </p>
  </section>`;
}

function Traces({ status }) {
  const failed = [status.connector, ...status.tasks].filter((s) => s.trace);
  if (failed.length === 0) return null;
  return html`<section class="traces">
    ${failed.map(
      (s) =>
        html`<details>
          <summary>
            ${s.id === undefined ? 'Connector' : `Task ${s.id}`} ${s.state}: ${s.trace.split('\n')[0]}
          </summary>
          <pre>${s.trace}</pre>
        </details>`,
    )}
  </section>`;
}

function Verifications({ verifications }) {
  if (verifications.length === 0) return null;
  return html`<section class="verifications">
    <h4>Verification</h4>
    <ul>
      ${verifications.map(
        (v) =>
          html`<li
            class=${v.differences > 0 || v.status === 'DIFFERENT' || v.status === 'FAILED' ? 'bad' : 'ok'}
          >
            <span class="muted">${formatTime(v.time)}</span>
            ${v.summary ?? v.message ?? `${v.status ?? 'done'}${v.differences === undefined ? '' : `, ${v.differences} difference(s)`}`}
          </li>`,
      )}
    </ul>
  </section>`;
}

export function ConnectorCard({ connector, onAction }) {
  const { status, info, lag, retention } = connector;
  if (!status) return null;
  const state = status.connector.state;
  const type = status.type;
  const last = lag.last ?? {};
  const workers = [
    ...new Set([status.connector.worker_id, ...status.tasks.map((t) => t.worker_id)].filter(Boolean)),
  ];
  const action = (name, label, kind = '') =>
    html`<button class=${`action ${kind}`} data-action=${name} onClick=${() => onAction(name, connector)}>
      ${label}
    </button>`;
  return html`<article class="card" data-connector=${connector.name} data-state=${state}>
    <header>
      <div class="title">
        <h3>${connector.name}</h3>
        <span class=${`type type-${type}`}>${type}</span>
        <span class=${stateClass(state)} data-role="state">${state}</span>
      </div>
      <div class="actions">
        ${action('edit', 'Edit')}
        ${state === 'PAUSED' || state === 'STOPPED' ? action('resume', 'Resume') : action('pause', 'Pause')}
        ${state !== 'STOPPED' ? action('stop', 'Stop') : action('reset', 'Reset offsets', 'danger')}
        ${action('restart', 'Restart')} ${action('delete', 'Delete', 'danger')}
      </div>
    </header>
    <p class="meta muted">
      ${info?.config?.['connector.class'] ?? ''} · worker ${workers.join(', ') || '–'} · tasks
      ${
        status.tasks.length === 0
          ? ' none'
          : status.tasks.map(
              (t) =>
                html` <span class=${stateClass(t.state)} title=${t.worker_id}>${t.id}: ${t.state}</span>`,
            )
      }
    </p>
    <div class="stats">
      <${Stat} label="records/s" value=${formatRate(last.recordsPerSecond)} />
      <${Stat}
        label="lag"
        value=${formatSeconds(last.seconds)}
        hint="source: behind the commit; sink: end to end"
      />
      ${
        type === 'source'
          ? html`<${Stat}
                label="behind"
                value=${formatBytes(last.bytes)}
                hint="WAL/binlog bytes after the confirmed position"
              />
              <${Stat}
                label="retained"
                value=${formatBytes(retention.last?.retainedBytes)}
                hint="what the source server keeps"
              />`
          : html`<${Stat} label="records behind" value=${last.records ?? '–'} />`
      }
    </div>
    <div class="charts">
      <${LiveChart}
        title="Throughput"
        times=${lag.times}
        series=${[{ label: 'records/s', color: '#0f766e', values: lag.rps, format: formatRate }]}
      />
      <${LiveChart}
        title="Lag (seconds)"
        times=${lag.times}
        series=${[{ label: 'lag', color: '#7c3aed', values: lag.seconds, format: formatSeconds }]}
      />
      ${
        type === 'source'
          ? html`<${LiveChart}
              title="Slot retention (bytes)"
              times=${retention.times}
              series=${[
                { label: 'retained', color: '#d97706', values: retention.retained, format: formatBytes },
                { label: 'behind', color: '#2563eb', values: retention.behind, format: formatBytes },
              ]}
            />`
          : null
      }
    </div>
    <${SnapshotProgress} snapshot=${connector.snapshot} />
    <${Retention} retention=${retention} />
    <${Traces} status=${status} />
    <${Verifications} verifications=${connector.verifications} />
  </article>`;
}
