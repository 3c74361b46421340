/**
 * What the console knows, and how each event from GET /events changes it. Pure functions:
 * a new state object per event (the charts keep at most `maxPoints` samples a series).
 */
export const maxPoints = 180;

function push(array, value) {
  const next = array.length >= maxPoints ? array.slice(1) : array.slice();
  next.push(value);
  return next;
}

export function emptyConnector(name) {
  return {
    name,
    status: null,
    info: null,
    lag: { times: [], rps: [], seconds: [], bytes: [], records: [], last: null },
    retention: { times: [], retained: [], behind: [], last: null },
    snapshot: null,
    verifications: [],
  };
}

function withConnector(state, name, change) {
  const current = state.connectors[name] ?? emptyConnector(name);
  return { ...state, connectors: { ...state.connectors, [name]: change(current) } };
}

function withState(connector, data, task) {
  const status = connector.status ?? {
    name: connector.name,
    connector: { state: 'UNASSIGNED', worker_id: '' },
    tasks: [],
    type: 'unknown',
  };
  const view = { state: data.state, worker_id: data.worker_id, ...(data.trace ? { trace: data.trace } : {}) };
  if (task === undefined) return { ...connector, status: { ...status, connector: view } };
  const tasks = status.tasks.filter((t) => t.id !== task);
  const previous = status.tasks.find((t) => t.id === task);
  tasks.push({ ...previous, id: task, ...view, ...(data.trace ? {} : { trace: undefined }) });
  tasks.sort((a, b) => a.id - b.id);
  return { ...connector, status: { ...status, tasks } };
}

function withSnapshot(connector, data, time) {
  const tables = data.tables ?? [];
  const done = tables.reduce((sum, t) => sum + t.rowsDone, 0);
  const total = tables.reduce((sum, t) => sum + Math.max(t.rowsTotal ?? 0, t.rowsDone), 0);
  const at = Date.parse(time) / 1000;
  const previous = connector.snapshot;
  let rate = previous?.rate ?? null;
  if (previous && at > previous.at && done >= previous.done) {
    const instant = (done - previous.done) / (at - previous.at);
    rate = rate === null ? instant : 0.7 * rate + 0.3 * instant;
  }
  const eta = rate && rate > 0 && total > done ? (total - done) / rate : null;
  return { ...connector, snapshot: { tables, progress: data.progress ?? {}, done, total, at, rate, eta } };
}

const samples = new Set(['lag', 'retention', 'snapshot.progress']);

export function applyEvent(state, event) {
  const name = event.connector;
  // Samples arrive every few seconds per connector: kept apart, so they never push the
  // state changes and alerts out of the log.
  const next = samples.has(event.type)
    ? { ...state, samples: [event, ...state.samples].slice(0, 100) }
    : { ...state, events: [event, ...state.events].slice(0, 200) };
  if (!name) return next;
  const data = event.data ?? {};
  const at = Date.parse(event.time) / 1000;
  switch (event.type) {
    case 'connector.state':
      return withConnector(next, name, (c) => withState(c, data, undefined));
    case 'task.state':
      return withConnector(next, name, (c) => withState(c, data, data.task));
    case 'lag':
      return withConnector(next, name, (c) => ({
        ...c,
        lag: {
          times: push(c.lag.times, at),
          rps: push(c.lag.rps, data.recordsPerSecond ?? null),
          seconds: push(c.lag.seconds, data.seconds ?? null),
          bytes: push(c.lag.bytes, data.bytes ?? null),
          records: push(c.lag.records, data.records ?? null),
          last: data,
        },
      }));
    case 'retention':
      if (data.deleted && !state.connectors[name]) return next;
      return withConnector(next, name, (c) => ({
        ...c,
        retention: {
          times: push(c.retention.times, at),
          retained: push(c.retention.retained, data.retainedBytes ?? null),
          behind: push(c.retention.behind, data.behindBytes ?? null),
          last: data,
        },
      }));
    case 'snapshot.progress':
      if (!data.tables || data.tables.length === 0) return next;
      return withConnector(next, name, (c) => withSnapshot(c, data, event.time));
    case 'verification':
      return withConnector(next, name, (c) => ({
        ...c,
        verifications: [{ ...data, time: event.time }, ...c.verifications].slice(0, 5),
      }));
    default:
      return next;
  }
}

/** Alerts still firing: the last alert event per connector and kind, if it fired. */
export function firingAlerts(events) {
  const seen = new Map();
  for (const event of events) {
    if (event.type !== 'alert') continue;
    const key = `${event.connector}\u0000${event.data?.kind}`;
    if (!seen.has(key)) seen.set(key, event);
  }
  return [...seen.values()].filter((e) => e.data?.status === 'firing');
}
