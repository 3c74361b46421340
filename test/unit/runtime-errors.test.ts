import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  backoff,
  ConfigError,
  DataError,
  isAccessDenied,
  isConnectionLost,
  isRetriable,
  RetriableError,
  withRetries,
} from '../../runtime/plugin/index.js';

function sqlError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

function mysqlError(message: string, errno: number, code: string): Error {
  return Object.assign(new Error(message), { errno, code });
}

describe('error policy', () => {
  it('never retries failed authentication or missing privileges, even when wrapped as retriable', () => {
    const denied = [
      sqlError('password authentication failed for user "siphon"', '28P01'),
      sqlError('role "nobody" does not exist', '28000'),
      sqlError('permission denied to start WAL sender', '42501'),
      mysqlError("Access denied for user 'x'@'localhost'", 1045, 'ER_ACCESS_DENIED_ERROR'),
      mysqlError(
        'Access denied; you need the REPLICATION SLAVE privilege',
        1227,
        'ER_SPECIFIC_ACCESS_DENIED_ERROR',
      ),
    ];
    for (const error of denied) {
      assert.equal(isAccessDenied(error), true, error.message);
      assert.equal(isRetriable(error), false, error.message);
      const wrapped = new RetriableError(`cannot connect: ${error.message}`, { cause: error });
      assert.equal(isRetriable(wrapped), false, `wrapped: ${error.message}`);
      assert.equal(isConnectionLost(wrapped), false);
    }
  });

  it('retries lost connections of databases and brokers, here or in a cause', () => {
    const lost = [
      sqlError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      sqlError('terminating connection due to administrator command', '57P01'),
      sqlError('the database system is shutting down', '57P03'),
      sqlError('connection failure', '08006'),
      new Error('Connection terminated unexpectedly'),
      mysqlError('Lost connection to MySQL server during query', 2013, 'PROTOCOL_CONNECTION_LOST'),
      Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), {
        name: 'KafkaJSNonRetriableError',
        retriable: false,
        cause: Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError' }),
      }),
    ];
    for (const error of lost) {
      assert.equal(isConnectionLost(error), true, error.message);
      assert.equal(isRetriable(error), true, error.message);
    }
  });

  it('retries transient database errors on a live connection: deadlock, lock timeout, cancel', () => {
    const transient = [
      sqlError('deadlock detected', '40P01'),
      sqlError('could not serialize access due to concurrent update', '40001'),
      sqlError('could not obtain lock on row in relation "t"', '55P03'),
      sqlError('canceling statement due to statement timeout', '57014'),
      mysqlError('Deadlock found when trying to get lock', 1213, 'ER_LOCK_DEADLOCK'),
      mysqlError('Lock wait timeout exceeded', 1205, 'ER_LOCK_WAIT_TIMEOUT'),
    ];
    for (const error of transient) {
      assert.equal(isRetriable(error), true, error.message);
      assert.equal(isConnectionLost(error), false, error.message);
    }
    assert.equal(isRetriable(sqlError('duplicate key value violates unique constraint', '23505')), false);
    assert.equal(isRetriable(sqlError('value too long for type character varying(5)', '22001')), false);
  });

  it('retries errors marked retriable and nothing else', () => {
    assert.equal(isRetriable(new RetriableError('slot in use')), true);
    assert.equal(isRetriable(Object.assign(new Error('leader moved'), { retriable: true })), true);
    assert.equal(isRetriable(new Error('syntax error')), false);
    assert.equal(isRetriable(new DataError('bad value', { cause: new Error('ECONNRESET') })), false);
    const config = new ConfigError('slot.name', 'slot.name: "a-b" is not a valid slot name');
    assert.equal(isRetriable(config), false);
    assert.equal(config.key, 'slot.name');
  });
});

describe('backoff', () => {
  it('allows errors.max.retries retries, then gives up', async () => {
    const retries = backoff({ maxDelayMs: 1, maxRetries: 2 }, new AbortController().signal);
    const attempts: number[] = [];
    assert.equal(await retries.failed((a) => attempts.push(a)), true);
    assert.equal(await retries.failed((a) => attempts.push(a)), true);
    assert.equal(await retries.failed((a) => attempts.push(a)), false);
    assert.deepEqual(attempts, [1, 2]);
    retries.reset();
    assert.equal(await retries.failed(), true, 'the count starts again after a success');
    const none = backoff({ maxDelayMs: 1, maxRetries: 0 }, new AbortController().signal);
    assert.equal(await none.failed(), false, 'errors.max.retries=0 disables retries');
  });

  it('stops waiting as soon as the task is stopped', async () => {
    const stop = new AbortController();
    const retries = backoff({ initialDelayMs: 60000, maxDelayMs: 60000 }, stop.signal);
    const started = Date.now();
    const waiting = retries.failed();
    stop.abort();
    assert.equal(await waiting, false);
    assert.ok(Date.now() - started < 1000);
  });

  it('withRetries leaves non-retriable errors alone', async () => {
    let calls = 0;
    await assert.rejects(
      withRetries(
        async () => {
          calls++;
          throw sqlError('password authentication failed', '28P01');
        },
        { policy: { maxDelayMs: 1 }, signal: new AbortController().signal },
      ),
      /password authentication failed/,
    );
    assert.equal(calls, 1);
  });
});
