/**
 * What the task runner unit tests share: a silent logger, a JSON converter, the strictest
 * error policy (with backoff delays capped at 1 ms, so retries take no time) and a way to
 * wait for the runner without sleeping.
 */
import assert from 'node:assert/strict';
import type { Converter } from '../../runtime/converters/converter.js';
import type { Logger } from '../../runtime/logging/logger.js';
import type { ErrorPolicy } from '../../runtime/worker/error-policy.js';

export const quietLogger: Logger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
  child: () => quietLogger,
};

export const jsonConverter: Converter = {
  configure: async () => undefined,
  fromConnectData: async (_topic, _schema, value) =>
    value === null ? null : Buffer.from(JSON.stringify(value)),
  toConnectData: async (_topic, bytes) => ({
    schema: null,
    value: bytes === null ? null : (JSON.parse(bytes.toString('utf8')) as unknown),
  }),
};

/** errors.tolerance=none, errors.retry.timeout=0, errors.retry.delay.max.ms=1. */
export const noErrorTolerance: ErrorPolicy = {
  tolerateAll: false,
  retryTimeoutMs: 0,
  retryMaxDelayMs: 1,
  logErrors: false,
  logIncludeMessages: false,
};

/** What happened, in order, across a test's fakes. */
export type Journal = string[];

/** Waits, a turn of the event loop at a time, until `check` holds (at most 2 s). */
export async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await nextTurn();
  }
}

/** Lets the event loop turn `turns` times: the runner's chance to do what it must not. */
export async function idle(turns = 20): Promise<void> {
  for (let turn = 0; turn < turns; turn++) await nextTurn();
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
}

export function deferred(): Deferred {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve: () => resolve() };
}
