/**
 * The console's access to the worker: the REST API and the live event stream, both with
 * the credentials the user gave (kept in sessionStorage, never in the page's URL). The
 * stream is read with fetch rather than EventSource, because EventSource cannot send an
 * Authorization header; it reconnects with Last-Event-ID, so no buffered event is missed.
 */
const credentialKey = 'siphon.authorization';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function setCredentials(kind, value) {
  if (!value) sessionStorage.removeItem(credentialKey);
  else if (kind === 'basic') sessionStorage.setItem(credentialKey, `Basic ${btoa(value)}`);
  else sessionStorage.setItem(credentialKey, `Bearer ${value}`);
}

function headers(extra = {}) {
  const authorization = sessionStorage.getItem(credentialKey);
  return { ...(authorization ? { authorization } : {}), ...extra };
}

export async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null; // not JSON: the status says enough
  }
  if (!response.ok) throw new ApiError(response.status, json?.message ?? `HTTP ${response.status}`);
  return json;
}

/** Follows GET /events until `signal` aborts; calls onEvent per event and onStatus on (dis)connects. */
export async function followEvents({ onEvent, onStatus, signal }) {
  let lastId = null;
  let delay = 500;
  while (!signal.aborted) {
    try {
      // The first connection replays recent events: the charts and the log start with history.
      const response = await fetch(lastId === null ? '/events?replay=2000' : '/events', {
        headers: headers({
          accept: 'text/event-stream',
          ...(lastId === null ? {} : { 'last-event-id': String(lastId) }),
        }),
        signal,
      });
      if (!response.ok || !response.body) throw new ApiError(response.status, `HTTP ${response.status}`);
      onStatus('live');
      delay = 500;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split('\n')
            .filter((line) => line.startsWith('data: '))
            .map((line) => line.slice(6))
            .join('');
          if (!data) continue;
          const event = JSON.parse(data);
          if (typeof event.id === 'number') lastId = event.id;
          onEvent(event);
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      onStatus(error instanceof ApiError && error.status === 401 ? 'unauthorized' : 'reconnecting');
    }
    onStatus('reconnecting');
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(10000, delay * 2);
  }
}
