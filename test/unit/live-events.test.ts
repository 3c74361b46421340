import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBus } from '../../runtime/events/event-bus.js';
import {
  configureLogging,
  createLogger,
  listLoggerLevels,
  registerSecret,
  setLoggerLevel,
} from '../../runtime/logging/logger.js';

// The console's state is plain browser JavaScript without imports, testable here as is;
// loaded by a computed path because it has no type declarations.
/* eslint-disable @typescript-eslint/no-explicit-any -- the browser module is untyped */
interface ConsoleState {
  applyEvent(state: any, event: any): any;
  emptyConnector(name: string): any;
  firingAlerts(events: any[]): any[];
  maxPoints: number;
}
/* eslint-enable @typescript-eslint/no-explicit-any */
const consoleStatePath = '../../runtime/ui/assets/console-state.js';
const { applyEvent, emptyConnector, firingAlerts, maxPoints } = (await import(
  consoleStatePath
)) as ConsoleState;

describe('event bus', () => {
  it('replays after an id, keeps only its capacity and says how many a resume missed', () => {
    const bus = new EventBus(3);
    const ids = [1, 2, 3, 4, 5].map((n) => bus.publish('lag', 'c', { n }).id);
    assert.deepEqual(
      ids.map((id) => id - ids[0]!),
      [0, 1, 2, 3, 4],
      'contiguous increasing ids',
    );
    const fromSecond = bus.since(ids[1]!);
    assert.deepEqual(
      fromSecond.events.map((e) => e.data.n),
      [3, 4, 5],
    );
    assert.equal(fromSecond.missed, 0);
    const fromFirst = bus.since(ids[0]!);
    assert.equal(fromFirst.missed, 1, 'event 2 fell out of the buffer');
    assert.deepEqual(bus.since(ids[4]!), { events: [], missed: 0 });
    assert.equal(bus.since(0).missed, null, 'an id from before this worker started');
    assert.deepEqual(
      bus.since(ids[2]!, 1).events.map((e) => e.data.n),
      [4],
    );
  });

  it('hands every event to subscribers and masks registered secrets', () => {
    registerSecret('s3cret-for-the-bus');
    const bus = new EventBus(10);
    const heard: unknown[] = [];
    const unsubscribe = bus.subscribe((e) => heard.push(e.data));
    bus.publish('task.state', 'c', { trace: 'failed with s3cret-for-the-bus inside' });
    unsubscribe();
    bus.publish('task.state', 'c', { trace: 'after' });
    assert.deepEqual(heard, [{ trace: 'failed with [hidden] inside' }]);
  });
});

describe('run-time log levels', () => {
  it('set a level on a logger and everything below it; root is log.level', () => {
    const lines: string[] = [];
    configureLogging({ format: 'json', level: 'info', write: (l) => lines.push(l) });
    try {
      const worker = createLogger({ component: 'levels-test' });
      const connector = worker.child({ connector: 'orders' });
      connector.debug('hidden at info');
      assert.deepEqual(setLoggerLevel('levels-test', 'debug'), ['levels-test', 'levels-test.orders']);
      connector.debug('shown at debug');
      worker.debug('also shown');
      setLoggerLevel('levels-test.orders', 'error');
      connector.warn('hidden at error');
      worker.debug('still shown');
      assert.deepEqual(
        lines.map((l) => (JSON.parse(l) as { message: string }).message),
        ['shown at debug', 'also shown', 'still shown'],
      );
      const levels = listLoggerLevels();
      assert.equal(levels['levels-test']?.level, 'DEBUG');
      assert.equal(levels['levels-test.orders']?.level, 'ERROR');
      assert.equal(levels.root?.level, 'INFO');
      setLoggerLevel('root', 'warn');
      assert.equal(listLoggerLevels()['levels-test.orders']?.level, 'WARN', 'root resets every logger');
    } finally {
      setLoggerLevel('root', 'info');
      configureLogging({ format: 'text', level: 'info', write: (l) => process.stderr.write(l + '\n') });
    }
  });
});

describe('console state', () => {
  const event = (type: string, data: Record<string, unknown>, id: number) => ({
    id,
    type,
    time: new Date(1_700_000_000_000 + id * 1000).toISOString(),
    connector: 'orders',
    data,
  });

  it('follows state changes, keeps bounded chart series and computes a snapshot ETA', () => {
    let state = { connectors: { orders: emptyConnector('orders') }, events: [], samples: [] };
    state = applyEvent(state, event('connector.state', { state: 'RUNNING', worker_id: 'w1' }, 1));
    state = applyEvent(
      state,
      event('task.state', { task: 0, state: 'FAILED', worker_id: 'w1', trace: 'boom' }, 2),
    );
    const orders = state.connectors.orders;
    assert.equal(orders.status.connector.state, 'RUNNING');
    assert.deepEqual(orders.status.tasks, [{ id: 0, state: 'FAILED', worker_id: 'w1', trace: 'boom' }]);
    for (let i = 0; i < maxPoints + 5; i++) {
      state = applyEvent(state, event('lag', { seconds: i, bytes: i * 10, recordsPerSecond: 1 }, 10 + i));
    }
    assert.equal(state.connectors.orders.lag.seconds.length, maxPoints);
    assert.equal(state.connectors.orders.lag.seconds.at(-1), maxPoints + 4);
    assert.equal(state.events.length, 2, 'samples do not push state changes out of the log');
    const table = (done: number) => ({
      tables: [{ table: 'public.orders', rowsDone: done, rowsTotal: 1000 }],
    });
    state = applyEvent(state, event('snapshot.progress', table(100), 500));
    state = applyEvent(state, event('snapshot.progress', table(300), 502));
    const snapshot = state.connectors.orders.snapshot;
    assert.equal(snapshot.done, 300);
    assert.equal(snapshot.rate, 100);
    assert.equal(snapshot.eta, 7);
  });

  it('lists alerts that fired and were not resolved since', () => {
    const events = [
      event('alert', { kind: 'lag', status: 'resolved' }, 3),
      event('alert', { kind: 'retention', status: 'firing' }, 2),
      event('alert', { kind: 'lag', status: 'firing' }, 1),
    ];
    assert.deepEqual(
      firingAlerts(events).map((e) => e.data.kind),
      ['retention'],
    );
  });
});
