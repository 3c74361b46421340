import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, followEvents, setCredentials } from './api.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { ConnectorCard } from './connector-card.js';
import { ConnectorForm } from './connector-form.js';
import { applyEvent, emptyConnector, firingAlerts } from './console-state.js';
import { EventLog } from './event-log.js';
import { html } from './html.js';

/**
 * The Siphon console: every connector of the worker (any worker of a cluster answers for
 * all) with live state, lag, throughput and retention from GET /events, and the actions of
 * the REST API behind a confirmation.
 */
const actions = {
  pause: { label: 'Pause', says: 'Its tasks stop; the replication slot keeps WAL for it until it resumes.' },
  resume: { label: 'Resume', says: 'Its tasks start again from their committed offsets.' },
  stop: { label: 'Stop', says: 'Its tasks stop and their configs are dropped; offsets can then be reset.' },
  restart: {
    label: 'Restart',
    says: 'The connector and all its tasks restart from their committed offsets.',
  },
  reset: {
    label: 'Reset offsets',
    danger: true,
    says: 'Its committed offsets are deleted: at the next start it begins anew (a source takes a new snapshot).',
  },
  delete: {
    label: 'Delete',
    danger: true,
    says: 'The connector and its config are removed. Its offsets stay, and a replication slot stays on the server (the console keeps showing it).',
  },
};

const request = {
  pause: (n) => api('PUT', `/connectors/${n}/pause`),
  resume: (n) => api('PUT', `/connectors/${n}/resume`),
  stop: (n) => api('PUT', `/connectors/${n}/stop`),
  restart: (n) => api('POST', `/connectors/${n}/restart?includeTasks=true&onlyFailed=false`),
  reset: (n) => api('DELETE', `/connectors/${n}/offsets`),
  delete: (n) => api('DELETE', `/connectors/${n}`),
};

function Login({ onLogin, message }) {
  const [kind, setKind] = useState('bearer');
  const [value, setValue] = useState('');
  return html`<div class="modal-backdrop">
    <form
      class="modal confirm"
      onSubmit=${(e) => {
        e.preventDefault();
        setCredentials(kind, value);
        onLogin();
      }}
    >
      <header><h2>Sign in to this worker</h2></header>
      <p class="muted">${message}</p>
      <div class="field">
        <label for="login-kind">Credentials</label>
        <select id="login-kind" value=${kind} onChange=${(e) => setKind(e.target.value)}>
          <option value="bearer">Bearer token (rest.auth.bearer.token)</option>
          <option value="basic">user:password (rest.auth.basic.*)</option>
        </select>
      </div>
      <div class="field">
        <input
          type="password"
          aria-label="secret"
          value=${value}
          onInput=${(e) => setValue(e.target.value)}
        />
      </div>
      <footer><button class="primary" type="submit">Sign in</button></footer>
    </form>
  </div>`;
}

function App() {
  const [state, setState] = useState({ connectors: {}, events: [], samples: [] });
  const [worker, setWorker] = useState(null);
  const [plugins, setPlugins] = useState([]);
  const [stream, setStream] = useState('connecting');
  const [needsLogin, setNeedsLogin] = useState(null);
  const [form, setForm] = useState(null);
  const [confirm, setConfirm] = useState(null);
  const [toast, setToast] = useState(null);
  const [hideSamples, setHideSamples] = useState(true);
  const [session, setSession] = useState(0);
  const loaded = useRef(new Set());

  const fail = (error) => {
    if (error instanceof ApiError && error.status === 401) setNeedsLogin(error.message);
    else setToast({ kind: 'bad', text: error.message });
  };

  const refresh = useCallback(async (name) => {
    try {
      const [status, info] = await Promise.all([
        api('GET', `/connectors/${encodeURIComponent(name)}/status`),
        api('GET', `/connectors/${encodeURIComponent(name)}`),
      ]);
      setState((s) => ({
        ...s,
        connectors: {
          ...s.connectors,
          [name]: { ...(s.connectors[name] ?? emptyConnector(name)), status, info },
        },
      }));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        setState((s) => {
          const connectors = { ...s.connectors };
          delete connectors[name];
          return { ...s, connectors };
        });
      } else fail(error);
    }
  }, []);

  const loadAll = useCallback(async () => {
    try {
      const [root, all, list] = await Promise.all([
        api('GET', '/'),
        api('GET', '/connectors?expand=status&expand=info'),
        api('GET', '/connector-plugins'),
      ]);
      setWorker(root);
      setPlugins(list);
      loaded.current = new Set(Object.keys(all));
      setState((s) => {
        const connectors = {};
        for (const [name, { status, info }] of Object.entries(all)) {
          connectors[name] = { ...(s.connectors[name] ?? emptyConnector(name)), status, info };
        }
        return { ...s, connectors };
      });
      setNeedsLogin(null);
    } catch (error) {
      fail(error);
    }
  }, []);

  useEffect(() => {
    void loadAll();
    const abort = new AbortController();
    void followEvents({
      signal: abort.signal,
      onStatus: (status) => {
        setStream(status);
        if (status === 'live') void loadAll();
        if (status === 'unauthorized') setNeedsLogin('The worker asks for credentials.');
      },
      onEvent: (event) => {
        if (event.type === 'stream.gap') void loadAll();
        if (event.type === 'connector.config') {
          if (event.data?.action === 'deleted') loaded.current.delete(event.connector);
          void refresh(event.connector);
        } else if (event.connector && !loaded.current.has(event.connector) && event.type.endsWith('.state')) {
          loaded.current.add(event.connector);
          void refresh(event.connector);
        }
        setState((s) => applyEvent(s, event));
      },
    });
    return () => abort.abort();
  }, [session]);

  useEffect(() => {
    if (!toast) return undefined;
    const timer = setTimeout(() => setToast(null), 6000);
    return () => clearTimeout(timer);
  }, [toast]);

  const onAction = async (name, connector) => {
    if (name === 'edit') {
      try {
        setForm({ editing: await api('GET', `/connectors/${encodeURIComponent(connector.name)}`) });
      } catch (error) {
        fail(error);
      }
      return;
    }
    const action = actions[name];
    setConfirm({
      title: `${action.label} ${connector.name}?`,
      message: action.says,
      confirmLabel: action.label,
      danger: action.danger,
      run: async () => {
        setConfirm(null);
        try {
          await request[name](encodeURIComponent(connector.name));
          setToast({ kind: 'ok', text: `${action.label}: requested for ${connector.name}` });
        } catch (error) {
          fail(error);
        }
      },
    });
  };

  const connectors = Object.values(state.connectors)
    .filter((c) => c.status)
    .sort((a, b) => a.name.localeCompare(b.name));
  const alerts = firingAlerts(state.events);
  return html`<div class="layout">
    <header class="top">
      <div class="brand">
        <img src="/ui/logo.svg" alt="" width="28" height="28" />
        <h1>Siphon</h1>
      </div>
      <div class="worker muted small">
        ${worker ? `worker ${worker.version} · Kafka cluster ${worker.kafka_cluster_id ?? '?'}` : 'connecting…'}
      </div>
      <span class=${`stream stream-${stream}`} data-role="stream"
        >${stream === 'live' ? '● live' : stream}</span
      >
      <button
        class="primary"
        data-action="create"
        onClick=${() => setForm({ editing: null })}
        disabled=${plugins.length === 0}
      >
        New connector
      </button>
    </header>
    ${
      alerts.length > 0
        ? html`<section class="alerts" role="status">
            ${alerts.map((a) => html`<p><strong>${a.connector}</strong> ${a.data.message}</p>`)}
          </section>`
        : null
    }
    <main>
      ${
        connectors.length === 0
          ? html`<p class="empty">
              No connectors yet.
              <button class="link" onClick=${() => setForm({ editing: null })}>Create one</button>
            </p>`
          : connectors.map(
              (c) => html`<${ConnectorCard} key=${c.name} connector=${c} onAction=${onAction} />`,
            )
      }
    </main>
    <${EventLog}
      events=${state.events}
      hideSamples=${hideSamples}
      onToggleSamples=${() => setHideSamples(!hideSamples)}
    />
    ${
      form
        ? html`<${ConnectorForm}
            plugins=${plugins}
            editing=${form.editing}
            onClose=${() => setForm(null)}
            onSaved=${(name) => {
              setForm(null);
              setToast({ kind: 'ok', text: `Saved ${name}` });
              void refresh(name);
            }}
          />`
        : null
    }
    ${
      confirm
        ? html`<${ConfirmDialog} ...${confirm} onConfirm=${confirm.run} onCancel=${() => setConfirm(null)} />`
        : null
    }
    ${
      needsLogin !== null
        ? html`<${Login}
            message=${needsLogin}
            onLogin=${() => {
              setNeedsLogin(null);
              setSession((n) => n + 1);
            }}
          />`
        : null
    }
    ${toast ? html`<div class=${`toast ${toast.kind}`} role="status">${toast.text}</div>` : null}
  </div>`;
}

render(html`<${App} />`, document.getElementById('app'));
