import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../rest/rest-errors.js';
import { eventTypes, type EventBus, type EventType, type SiphonEvent } from './event-bus.js';

/**
 * `GET /events`: the event bus as Server-Sent Events, filtered by `?connector=a,b` and
 * `?types=t1,t2`; `?replay=n` starts with the last n buffered events (history for charts). A reconnect with `Last-Event-ID` (header, or `?lastEventId=` for the
 * first request) replays what the buffer still holds; what it no longer holds is announced
 * by a `stream.gap` event. Each client is only a cursor into the shared bounded buffer:
 * a slow client is fed as its socket drains, never through a queue of its own, so it
 * cannot grow the worker's memory; if it falls out of the buffer it is told by a gap.
 */
const heartbeatMs = 15_000;
const batch = 200;

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function parseTypes(value: string | undefined): Set<EventType> | null {
  const types = splitList(value);
  if (types.length === 0) return null;
  const unknown = types.filter((t) => !(eventTypes as readonly string[]).includes(t));
  if (unknown.length > 0) {
    throw new BadRequestError(`Unknown event type(s) ${unknown.join(', ')}; known: ${eventTypes.join(', ')}`);
  }
  return new Set(types as EventType[]);
}

function parseLastEventId(value: string | undefined): number | null {
  if (value === undefined || value.trim() === '') return null;
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id < 0) {
    throw new BadRequestError(`Last-Event-ID "${value}" is not an event id (a non-negative integer)`);
  }
  return id;
}

function parseReplay(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  const count = Number(value);
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new BadRequestError(`replay "${value}" is not a number of events (a non-negative integer)`);
  }
  return count;
}

export function formatEvent(event: SiphonEvent): string {
  return `id: ${event.id}\ndata: ${JSON.stringify(event)}\n\n`;
}

function formatGap(missed: number | null): string {
  const data = {
    type: 'stream.gap',
    time: new Date().toISOString(),
    missed,
    message:
      missed === null
        ? 'the worker restarted since the last event you saw: events in between are not known'
        : `${missed} event(s) are no longer buffered (events.buffer.size) and were skipped`,
  };
  return `data: ${JSON.stringify(data)}\n\n`;
}

export function registerEventRoutes(app: FastifyInstance, bus: EventBus): void {
  const open = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const response of open) response.end();
  });

  app.get<{ Querystring: { connector?: string; types?: string; lastEventId?: string; replay?: string } }>(
    '/events',
    async (request, reply) => {
      const connectors = new Set(splitList(request.query.connector));
      const types = parseTypes(request.query.types);
      const header = request.headers['last-event-id'];
      const resumeFrom = parseLastEventId(
        (Array.isArray(header) ? header[0] : header) ?? request.query.lastEventId,
      );
      const replay = parseReplay(request.query.replay);
      const wanted = (event: SiphonEvent) =>
        (types === null || types.has(event.type)) &&
        (connectors.size === 0 || (event.connector !== null && connectors.has(event.connector)));

      reply.hijack();
      const response = reply.raw;
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      response.write('retry: 2000\n\n');
      open.add(response);

      // A resume continues after its id; a new client starts now, or `replay` events back.
      let cursor = resumeFrom ?? Math.max(bus.oldestId, bus.lastId + 1 - replay) - 1;
      let draining = false;
      const pump = () => {
        if (draining || response.writableEnded) return;
        for (;;) {
          const { events, missed } = bus.since(cursor, batch);
          if (missed !== 0) {
            response.write(formatGap(missed));
            cursor = (events[0]?.id ?? bus.lastId + 1) - 1;
          }
          if (events.length === 0) return;
          let writable = true;
          for (const event of events) {
            cursor = event.id;
            if (wanted(event)) writable = response.write(formatEvent(event));
          }
          if (!writable) {
            draining = true;
            response.once('drain', () => {
              draining = false;
              pump();
            });
            return;
          }
        }
      };
      const unsubscribe = bus.subscribe(pump);
      const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), heartbeatMs);
      heartbeat.unref();
      // A client gone mid-write is handled by 'close'; the error itself needs no report.
      response.on('error', () => undefined);
      response.once('close', () => {
        unsubscribe();
        clearInterval(heartbeat);
        open.delete(response);
      });
      pump();
    },
  );
}
