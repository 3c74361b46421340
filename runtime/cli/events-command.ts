import { backoff } from '../plugin/backoff.js';
import { isRetriable } from '../plugin/errors.js';
import { RestClientError } from './rest-client.js';

/**
 * `siphon events [--connector n] [--types t1,t2] [--json]`: follows the worker's `GET /events`
 * and prints one line per event, reconnecting with `Last-Event-ID` when the connection
 * drops, so nothing the worker still buffers is missed. Runs until interrupted.
 */
export interface EventsCommandOptions {
  readonly url: string;
  readonly authorization: string | null;
  readonly connector?: string;
  readonly types?: string;
  readonly json: boolean;
  readonly write: (line: string) => void;
  readonly signal?: AbortSignal;
}

interface StreamedEvent {
  id?: number;
  type: string;
  time: string;
  connector?: string | null;
  data?: Record<string, unknown>;
  message?: string;
}

function summary(event: StreamedEvent): string {
  const data = event.data ?? {};
  switch (event.type) {
    case 'connector.state':
      return `${String(data.state)}${data.trace ? ` — ${String(data.trace).split('\n')[0]}` : ''}`;
    case 'task.state':
      return `task ${String(data.task)} ${String(data.state)}${data.trace ? ` — ${String(data.trace).split('\n')[0]}` : ''}`;
    case 'lag':
      return `lag ${data.seconds ?? '-'} s, ${data.bytes ?? '-'} bytes, ${data.records ?? '-'} records, ${
        typeof data.recordsPerSecond === 'number' ? data.recordsPerSecond.toFixed(1) : '-'
      } records/s`;
    case 'retention':
      return `${String(data.holder)} retains ${String(data.retainedBytes)} bytes, behind ${String(data.behindBytes)} bytes${data.active === false ? ' (inactive)' : ''}`;
    case 'stream.gap':
      return String(event.message);
    default:
      return typeof data.message === 'string' ? data.message : JSON.stringify(data);
  }
}

export async function followEvents(options: EventsCommandOptions): Promise<void> {
  const query = new URLSearchParams();
  if (options.connector) query.set('connector', options.connector);
  if (options.types) query.set('types', options.types);
  const url = new URL(`/events${query.size > 0 ? `?${query}` : ''}`, options.url);
  let lastId: number | null = null;
  const signal = options.signal ?? new AbortController().signal;
  const reconnects = backoff({ initialDelayMs: 500, maxDelayMs: 10_000 }, signal);
  while (!signal.aborted) {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (options.authorization) headers.authorization = options.authorization;
    if (lastId !== null) headers['last-event-id'] = String(lastId);
    try {
      const response = await fetch(url, { headers, signal });
      if (response.status === 401 || response.status === 400 || response.status === 404) {
        const body = (await response.json().catch(() => ({}))) as { message?: string };
        throw new RestClientError(response.status, body.message ?? `HTTP ${response.status}`);
      }
      if (!response.ok || !response.body)
        throw new RestClientError(response.status, `HTTP ${response.status}`);
      reconnects.reset();
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('');
          if (!data) continue;
          const event = JSON.parse(data) as StreamedEvent;
          if (typeof event.id === 'number') lastId = event.id;
          options.write(
            options.json
              ? JSON.stringify(event)
              : `${event.time}  ${event.type.padEnd(17)} ${(event.connector ?? '').padEnd(20)} ${summary(event)}`,
          );
        }
      }
    } catch (error) {
      if (signal.aborted && !(error instanceof RestClientError)) return;
      // A lost connection or a failing worker (5xx): follow again from the last event.
      if (!isRetriable(error)) throw error;
      const message = (error as Error).message;
      await reconnects.failed((_attempt, delayMs) =>
        process.stderr.write(`[events] connection lost (${message}); reconnecting in ${delayMs} ms\n`),
      );
    }
  }
}
