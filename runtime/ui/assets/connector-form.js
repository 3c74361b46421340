import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from './api.js';
import { html } from './html.js';

/**
 * Create or edit a connector: the fields come from the plugin's ConfigDef
 * (GET /connector-plugins/{p}/config), every change is validated by the worker
 * (PUT …/config/validate) and each error shows next to its field. Editing starts from the
 * stored config as GET shows it: passwords stay `[hidden]`, and sending that back keeps them.
 */
const hiddenKeys = new Set(['connector.class', 'name']);

function Field({ def, value, error, onChange }) {
  const id = `field-${def.name}`;
  const common = { id, name: def.name, 'aria-invalid': error ? 'true' : 'false' };
  let input;
  if (def.type === 'BOOLEAN') {
    input = html`<select
      ...${common}
      value=${value ?? ''}
      onChange=${(e) => onChange(def.name, e.target.value)}
    >
      <option value="">default (${def.default_value ?? 'none'})</option>
      <option value="true">true</option>
      <option value="false">false</option>
    </select>`;
  } else if (def.recommended_values?.length > 0) {
    input = html`<select
      ...${common}
      value=${value ?? ''}
      onChange=${(e) => onChange(def.name, e.target.value)}
    >
      <option value="">default (${def.default_value ?? 'none'})</option>
      ${def.recommended_values.map((v) => html`<option value=${v}>${v}</option>`)}
    </select>`;
  } else {
    input = html`<input
      ...${common}
      type=${def.type === 'PASSWORD' ? 'password' : 'text'}
      inputmode=${['INT', 'LONG', 'DOUBLE'].includes(def.type) ? 'numeric' : undefined}
      autocomplete="off"
      placeholder=${def.default_value ?? (def.required ? 'required' : '')}
      value=${value ?? ''}
      onInput=${(e) => onChange(def.name, e.target.value)}
    />`;
  }
  return html`<div class=${`field ${error ? 'has-error' : ''}`} data-field=${def.name}>
    <label for=${id}>${def.name}${def.required ? html`<span class="required">*</span>` : null}</label>
    ${input} ${error ? html`<p class="field-error" role="alert">${error}</p>` : null}
    <p class="doc">${def.documentation}</p>
  </div>`;
}

export function ConnectorForm({ plugins, editing, onClose, onSaved }) {
  const [pluginClass, setPluginClass] = useState(
    editing?.config['connector.class'] ?? plugins[0]?.class ?? '',
  );
  const [name, setName] = useState(editing?.name ?? '');
  const [values, setValues] = useState(() => {
    const initial = { ...(editing?.config ?? {}) };
    delete initial['connector.class'];
    delete initial.name;
    return initial;
  });
  const [defs, setDefs] = useState([]);
  const [errors, setErrors] = useState({});
  const [touched, setTouched] = useState(() => new Set(Object.keys(editing?.config ?? {})));
  const [showAll, setShowAll] = useState(false);
  const [submitted, setSubmitted] = useState(false);
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState(null);
  const validation = useRef(0);

  useEffect(() => {
    if (!pluginClass) return;
    api('GET', `/connector-plugins/${encodeURIComponent(pluginClass)}/config`)
      .then((list) => setDefs(list.filter((d) => !hiddenKeys.has(d.name))))
      .catch((error) => setFailure(error.message));
  }, [pluginClass]);

  const config = useMemo(() => {
    const out = { 'connector.class': pluginClass, name };
    for (const [k, v] of Object.entries(values)) if (v !== '' && v !== undefined) out[k] = v;
    return out;
  }, [pluginClass, name, values]);

  // Live validation, debounced; only the latest answer counts.
  useEffect(() => {
    if (!pluginClass) return undefined;
    const ticket = ++validation.current;
    const timer = setTimeout(async () => {
      try {
        const result = await api(
          'PUT',
          `/connector-plugins/${encodeURIComponent(pluginClass)}/config/validate`,
          config,
        );
        if (ticket !== validation.current) return;
        const next = {};
        for (const c of result.configs)
          if (c.value.errors.length > 0) next[c.value.name] = c.value.errors.join('; ');
        setErrors(next);
      } catch (error) {
        if (ticket === validation.current) setFailure(error.message);
      }
    }, 350);
    return () => clearTimeout(timer);
  }, [config]);

  const change = (key, value) => {
    setValues((v) => ({ ...v, [key]: value }));
    setTouched((t) => new Set([...t, key]));
  };
  const shown = defs.filter(
    (d) => showAll || d.required || d.importance === 'HIGH' || values[d.name] !== undefined || errors[d.name],
  );
  const groups = [...new Set(shown.map((d) => d.group))];
  const visibleError = (key) => (submitted || touched.has(key) ? errors[key] : undefined);
  const otherErrors = Object.entries(errors).filter(
    ([k]) => !defs.some((d) => d.name === k) && !hiddenKeys.has(k),
  );

  const submit = async (event) => {
    event.preventDefault();
    setSubmitted(true);
    setFailure(null);
    // Editing validates on the worker, which knows the hidden passwords the form cannot send.
    if ((!editing && Object.keys(errors).length > 0) || !name) return;
    setSaving(true);
    try {
      if (editing) await api('PUT', `/connectors/${encodeURIComponent(name)}/config`, config);
      else await api('POST', '/connectors', { name, config });
      onSaved(name);
    } catch (error) {
      setFailure(error.message);
    } finally {
      setSaving(false);
    }
  };

  return html`<div class="modal-backdrop">
    <form class="modal form" onSubmit=${submit} aria-label=${editing ? `Edit ${name}` : 'New connector'}>
      <header>
        <h2>${editing ? `Edit ${name}` : 'New connector'}</h2>
        <button type="button" class="icon" aria-label="Close" onClick=${onClose}>×</button>
      </header>
      <div class="form-body">
        <div class="field">
          <label for="field-plugin">Plugin</label>
          <select
            id="field-plugin"
            value=${pluginClass}
            disabled=${!!editing}
            onChange=${(e) => setPluginClass(e.target.value)}
          >
            ${plugins.map((p) => html`<option value=${p.class}>${p.class} (${p.type})</option>`)}
          </select>
        </div>
        <div class=${`field ${submitted && !name ? 'has-error' : ''}`} data-field="name">
          <label for="field-name">name<span class="required">*</span></label>
          <input
            id="field-name"
            value=${name}
            disabled=${!!editing}
            onInput=${(e) => setName(e.target.value)}
          />
          ${submitted && !name ? html`<p class="field-error" role="alert">A connector needs a name</p>` : null}
        </div>
        ${groups.map(
          (group) =>
            html`<fieldset>
              <legend>${group}</legend>
              ${shown
                .filter((d) => d.group === group)
                .map(
                  (d) =>
                    html`<${Field}
                      def=${d}
                      value=${values[d.name]}
                      error=${visibleError(d.name)}
                      onChange=${change}
                    />`,
                )}
            </fieldset>`,
        )}
        ${
          otherErrors.length > 0
            ? html`<ul class="field-error">
                ${otherErrors.map(([k, m]) => html`<li>${k}: ${m}</li>`)}
              </ul>`
            : null
        }
        <button type="button" class="link" onClick=${() => setShowAll(!showAll)}>
          ${showAll ? 'Show only the main options' : `Show all ${defs.length} options`}
        </button>
      </div>
      <footer>
        ${failure ? html`<p class="form-failure" role="alert">${failure}</p>` : null}
        <span class="muted small"
          >${Object.keys(errors).length === 0 ? 'Valid' : `${Object.keys(errors).length} field(s) to fix`}</span
        >
        <button type="button" onClick=${onClose}>Cancel</button>
        <button type="submit" class="primary" disabled=${saving}>${editing ? 'Save' : 'Create'}</button>
      </footer>
    </form>
  </div>`;
}
