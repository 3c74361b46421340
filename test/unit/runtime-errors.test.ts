import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { RestClientError } from '../../runtime/cli/rest-client.js';
import {
  AlreadyExistsError,
  backoff,
  ConfigError,
  ConflictError,
  DataError,
  isAccessDenied,
  isConnectionLost,
  isRetriable,
  NotFoundError,
  RetriableError,
  SiphonError,
  sleep,
  withRetries,
} from '../../runtime/plugin/index.js';
import { describeError } from '../../runtime/plugin/errors.js';
import { BadRequestError, restStatusOf } from '../../runtime/rest/rest-errors.js';
import { StageError } from '../../runtime/worker/error-policy.js';
import { BadRecordError } from '../../connectors/sink-jdbc/row-change.js';
import { ConnectionUrlError } from '../../connectors/sink-jdbc/connection-url.js';
import { TransformConfigError } from '../../runtime/transforms/index.js';

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

/** kafkajs' own error classes and its table of broker error codes (CommonJS, no named exports). */
const kafkajsRequire = createRequire(import.meta.url);
type KafkaJSErrorClass = new (
  e: unknown,
  options?: Record<string, unknown>,
) => Error & { retriable: boolean };
const {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
} = kafkajsRequire('kafkajs/src/errors.js') as Record<
  | 'KafkaJSConnectionError'
  | 'KafkaJSNumberOfRetriesExceeded'
  | 'KafkaJSProtocolError'
  | 'KafkaJSRequestTimeoutError',
  KafkaJSErrorClass
>;
const { createErrorFromCode } = kafkajsRequire('kafkajs/src/protocol/error.js') as {
  createErrorFromCode: (code: number) => { type: string; code: number; retriable: boolean; message: string };
};

/** A server error as pg's parser builds it: a DatabaseError carrying the SQLSTATE and severity. */
function pgServerError(message: string, code: string, severity = 'ERROR'): pg.DatabaseError {
  return Object.assign(new pg.DatabaseError(message, message.length, 'error'), { code, severity });
}

/** A server error as mysql2 raises it: code, errno, sqlState and sqlMessage on an Error. */
function mysqlServerError(message: string, errno: number, code: string, sqlState: string): Error {
  return Object.assign(new Error(message), { code, errno, sqlState, sqlMessage: message, fatal: false });
}

/** A loopback port nothing listens on (one just freed): each driver's own refused connection. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('classification of real driver errors', () => {
  it('pg: a refused connection is lost, a terminated backend too; auth and data errors are not', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: await closedPort(),
      user: 'nobody',
      database: 'none',
    });
    const refused = await client.connect().then(
      () => assert.fail('connected to a closed port'),
      (error: unknown) => error,
    );
    assert.equal((refused as { code?: string }).code, 'ECONNREFUSED');
    assert.equal(isConnectionLost(refused), true);
    assert.equal(isRetriable(refused), true);

    const terminated = pgServerError('terminating connection due to administrator command', '57P01', 'FATAL');
    assert.ok(terminated instanceof pg.DatabaseError);
    assert.equal(isConnectionLost(terminated), true);
    assert.equal(isRetriable(terminated), true);
    assert.equal(isRetriable(pgServerError('deadlock detected', '40P01')), true);
    assert.equal(isConnectionLost(pgServerError('deadlock detected', '40P01')), false);

    const password = pgServerError('password authentication failed for user "siphon"', '28P01', 'FATAL');
    assert.equal(isAccessDenied(password), true);
    assert.equal(isRetriable(password), false);
    const tooLong = pgServerError('value too long for type character varying(5)', '22001');
    assert.equal(isRetriable(tooLong), false);
    assert.equal(isConnectionLost(tooLong), false);
  });

  it('mysql2: a refused connection and a lost server are lost; access denied never retried', async () => {
    const refused = await mysql
      .createConnection({ host: '127.0.0.1', port: await closedPort(), user: 'x' })
      .then(
        () => assert.fail('connected to a closed port'),
        (error: unknown) => error,
      );
    assert.equal((refused as { code?: string }).code, 'ECONNREFUSED');
    assert.equal(isConnectionLost(refused), true);
    assert.equal(isRetriable(refused), true);

    const lost = Object.assign(new Error('Connection lost: The server closed the connection.'), {
      code: 'PROTOCOL_CONNECTION_LOST',
      fatal: true,
    });
    assert.equal(isConnectionLost(lost), true);
    const gone = mysqlServerError('MySQL server has gone away', 2006, 'CR_SERVER_GONE_ERROR', 'HY000');
    assert.equal(isConnectionLost(gone), true);
    const deadlock = mysqlServerError(
      'Deadlock found when trying to get lock; try restarting transaction',
      1213,
      'ER_LOCK_DEADLOCK',
      '40001',
    );
    assert.equal(isRetriable(deadlock), true);
    assert.equal(isConnectionLost(deadlock), false);
    const denied = mysqlServerError(
      "Access denied for user 'x'@'localhost' (using password: YES)",
      1045,
      'ER_ACCESS_DENIED_ERROR',
      '28000',
    );
    assert.equal(isAccessDenied(denied), true);
    assert.equal(isRetriable(denied), false);
    const duplicate = mysqlServerError(
      "Duplicate entry '1' for key 'PRIMARY'",
      1062,
      'ER_DUP_ENTRY',
      '23000',
    );
    assert.equal(isRetriable(duplicate), false);
  });

  it('kafkajs: connection errors and retriable protocol errors are retried, also when wrapped', () => {
    const connection = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092', {
      broker: '127.0.0.1:9092',
    });
    assert.equal(isConnectionLost(connection), true);
    assert.equal(isRetriable(connection), true);
    const timeout = new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out', {
      broker: '127.0.0.1:9092',
    });
    assert.equal(isRetriable(timeout), true);
    // kafkajs gives up with a non-retriable error whose cause is the connection error.
    const gaveUp = new KafkaJSNumberOfRetriesExceeded(connection, { retryCount: 5, retryTime: 1000 });
    assert.equal(gaveUp.retriable, false);
    assert.equal(isConnectionLost(gaveUp), true);
    assert.equal(isRetriable(gaveUp), true);
    const leaderMoved = new KafkaJSProtocolError(createErrorFromCode(5)); // LEADER_NOT_AVAILABLE
    assert.equal(isRetriable(leaderMoved), true);
    assert.equal(isConnectionLost(leaderMoved), false);
    const tooLarge = new KafkaJSProtocolError(createErrorFromCode(10)); // MESSAGE_TOO_LARGE
    assert.equal((tooLarge as { type?: string }).type, 'MESSAGE_TOO_LARGE');
    assert.equal(isRetriable(tooLarge), false);
    const denied = new KafkaJSProtocolError(createErrorFromCode(29)); // TOPIC_AUTHORIZATION_FAILED
    assert.equal(isRetriable(denied), false);
  });

  it("Node's fetch: a refused connection (the cause of 'fetch failed') is lost", async () => {
    const failed = await fetch(`http://127.0.0.1:${await closedPort()}/`).then(
      () => assert.fail('fetched from a closed port'),
      (error: unknown) => error,
    );
    assert.equal((failed as Error).message, 'fetch failed');
    assert.equal(isConnectionLost(failed), true);
    assert.equal(isRetriable(failed), true);
  });

  it('looks through nested causes, and a Siphon error decides for itself', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const nested = new Error('cannot open the snapshot', {
      cause: new Error('while connecting', { cause: refused }),
    });
    assert.equal(isConnectionLost(nested), true);
    assert.equal(isRetriable(nested), true);
    // A bad record stays a bad record whatever failed underneath.
    assert.equal(isRetriable(new DataError('bad value', { cause: refused })), false);
    // A stage error is retriable as the failure it carries.
    assert.equal(isRetriable(new StageError('KAFKA_PRODUCE', refused)), true);
    assert.equal(isRetriable(new StageError('VALUE_CONVERTER', new DataError('not JSON'))), false);
    // A cycle of causes cannot loop.
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });
    assert.equal(isRetriable(a), false);
  });
});

describe('error kinds', () => {
  it('a wrapper keeps its own kind and carries its cause', () => {
    const cause = new DataError('after.price: expected a decimal string');
    const wrapped = new StageError('VALUE_CONVERTER', cause);
    assert.equal(wrapped.name, 'StageError');
    assert.equal(wrapped.stage, 'VALUE_CONVERTER');
    assert.equal(wrapped.cause, cause);
    assert.equal(wrapped.message, cause.message);
    assert.match(describeError(wrapped), /^StageError: after\.price[^]*Caused by: DataError: after\.price/);
  });

  it('the connectors and the runtime throw the kinds of the model', () => {
    assert.ok(new BadRecordError('no key') instanceof DataError);
    const url = new ConnectionUrlError('connection.url "x" is not a JDBC URL');
    assert.ok(url instanceof ConfigError);
    assert.equal(url.key, 'connection.url');
    const transform = new TransformConfigError('transforms.route.regex', 'is not a regular expression');
    assert.ok(transform instanceof ConfigError);
    assert.equal(transform.key, 'transforms.route.regex');
    assert.equal(transform.message, 'transforms.route.regex: is not a regular expression');
    assert.ok(new AlreadyExistsError('Connector a already exists') instanceof ConflictError);
    for (const error of [new NotFoundError('x'), new ConflictError('x'), new BadRequestError('x')]) {
      assert.ok(error instanceof SiphonError);
      assert.equal(isRetriable(error), false);
    }
  });

  it("a remote answer's status says whether to retry", () => {
    assert.equal(isRetriable(new RestClientError(503, 'The worker is starting')), true);
    assert.equal(isRetriable(new RestClientError(404, 'Connector a not found')), false);
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    assert.equal(isRetriable(new RestClientError(0, 'Cannot reach the worker', { cause: refused })), true);
  });
});

describe('REST status of an error', () => {
  it("answers Kafka Connect's codes: 400 bad request, 404 not found, 409 conflict, else the HTTP layer or 500", () => {
    assert.equal(restStatusOf(new BadRequestError('Query parameter expand=x is invalid')), 400);
    assert.equal(restStatusOf(new NotFoundError('Connector a not found')), 404);
    assert.equal(restStatusOf(new AlreadyExistsError('Connector a already exists')), 409);
    assert.equal(restStatusOf(new ConflictError('Connectors must be in the STOPPED state')), 409);
    assert.equal(restStatusOf(new SiphonError('plugin not installed', false)), undefined);
    assert.equal(restStatusOf(new ConfigError('a', 'bad')), undefined);
    assert.equal(restStatusOf(new Error('boom')), undefined);
  });
});

describe('sleep', () => {
  it('resolves after the delay, or at once when the signal aborts', async () => {
    const started = Date.now();
    await sleep(20);
    assert.ok(Date.now() - started >= 15);
    const stop = new AbortController();
    const waiting = sleep(60_000, stop.signal);
    stop.abort();
    await waiting;
    assert.ok(Date.now() - started < 1000);
    await sleep(60_000, stop.signal); // already aborted: resolves at once
  });

  it('leaves no abort listener behind, however many sleeps share one signal', async () => {
    const signal = new AbortController().signal;
    await Promise.all(Array.from({ length: 200 }, () => sleep(1, signal)));
    assert.equal(getEventListeners(signal, 'abort').length, 0);
    const retries = backoff({ initialDelayMs: 1, maxDelayMs: 1 }, signal);
    for (let i = 0; i < 50; i++) await retries.failed();
    assert.equal(getEventListeners(signal, 'abort').length, 0);
    const stop = new AbortController();
    const pending = Array.from({ length: 50 }, () => sleep(60_000, stop.signal));
    assert.equal(getEventListeners(stop.signal, 'abort').length, 50);
    stop.abort();
    await Promise.all(pending);
    assert.equal(getEventListeners(stop.signal, 'abort').length, 0);
  });
});
