/**
 * The one error model of the runtime and its plugins. Whether a failure may pass by
 * itself is decided here and nowhere else: a lost connection or an error marked
 * `retriable` is retried with backoff; an authentication or permission failure, bad
 * data or bad configuration is not, and fails the task with its reason.
 */

/** The root of Siphon's own errors: says whether retrying may help. */
export class SiphonError extends Error {
  override readonly name: string = 'SiphonError';

  constructor(
    message: string,
    readonly retriable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Thrown for errors that may pass (connection lost, lock held): retried with backoff. */
export class RetriableError extends SiphonError {
  override readonly name: string = 'RetriableError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, true, options);
  }
}

/** A record (or value) that cannot be processed as it is; retrying cannot help. */
export class DataError extends SiphonError {
  override readonly name: string = 'DataError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, false, options);
  }
}

/** A configuration that cannot work; names the key to fix. */
export class ConfigError extends SiphonError {
  override readonly name: string = 'ConfigError';

  constructor(
    readonly key: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, false, options);
  }
}

/** What was asked for does not exist (a connector, a task, a subject); REST answers 404. */
export class NotFoundError extends SiphonError {
  override readonly name: string = 'NotFoundError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, false, options);
  }
}

/**
 * The request conflicts with the current state (a connector must be stopped first, a
 * verification already runs, a rebalance is in progress); REST answers 409.
 */
export class ConflictError extends SiphonError {
  override readonly name: string = 'ConflictError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, false, options);
  }
}

/** What was to be created exists already; REST answers 409, as for any conflict. */
export class AlreadyExistsError extends ConflictError {
  override readonly name: string = 'AlreadyExistsError';
}

/** SQLSTATEs of failed authentication or missing privileges: a human has to act. */
const accessDeniedSqlStates = new Set([
  '28000', // invalid_authorization_specification (unknown role, pg_hba rejection)
  '28P01', // invalid_password
  '42501', // insufficient_privilege
]);

/** MySQL/MariaDB errnos of the same kind. */
const accessDeniedErrnos = new Set([
  1044, // ER_DBACCESS_DENIED_ERROR
  1045, // ER_ACCESS_DENIED_ERROR
  1142, // ER_TABLEACCESS_DENIED_ERROR
  1227, // ER_SPECIFIC_ACCESS_DENIED_ERROR (e.g. REPLICATION SLAVE missing)
]);

/** Socket-level codes of Node.js and the database drivers for a connection that is gone. */
const connectionLostCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ER_CONNECTION_KILLED',
  // Node's fetch (undici): the socket closed while the answer was read.
  'UND_ERR_SOCKET',
]);

/** PostgreSQL SQLSTATEs of a server that went away or is starting/stopping. */
const connectionLostSqlStates = new Set([
  '57P01', // admin_shutdown: pg_terminate_backend or a server shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '53300', // too_many_connections
]);

/** MySQL/MariaDB errnos of a server that went away or refuses connections for now. */
const connectionLostErrnos = new Set([
  1040, // ER_CON_COUNT_ERROR
  1053, // ER_SERVER_SHUTDOWN
  2002, // CR_CONNECTION_ERROR
  2003, // CR_CONN_HOST_ERROR
  2006, // CR_SERVER_GONE_ERROR
  2013, // CR_SERVER_LOST
  1927, // ER_CONNECTION_KILLED
]);

/**
 * SQLSTATEs of a statement that may succeed when run again on a live connection: the
 * server rolled the transaction back (class 40: deadlock, serialization failure), was
 * short of a resource (class 53: disk full, out of memory; class 58: I/O error), a lock
 * was not available (55P03) or the statement was cancelled (57014, statement_timeout).
 */
const transientSqlStateClasses = new Set(['40', '53', '58']);
const transientSqlStates = new Set(['55P03', '57014']);

/** MySQL/MariaDB errnos of the same kind. */
const transientErrnos = new Set([
  1205, // ER_LOCK_WAIT_TIMEOUT
  1213, // ER_LOCK_DEADLOCK
]);

/** kafkajs (and the record producer, record-producer.ts) name errors of brokers that cannot be reached. */
const kafkaConnectionErrorNames = new Set([
  'KafkaConnectionError',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
]);

const connectionLostMessage =
  /connection terminated|terminating connection|connection (?:is )?(?:in )?closed|connection lost|closed the connection|not queryable|server closed the connection|ECONNRESET|ECONNREFUSED|read ETIMEDOUT|socket hang up|timeout expired|the database system is (?:starting up|shutting down|in recovery mode)/i;

interface ErrorFields {
  readonly code?: unknown;
  readonly errno?: unknown;
  readonly name?: unknown;
  readonly message?: unknown;
  readonly cause?: unknown;
  readonly retriable?: unknown;
}

/** The error and its causes, outermost first (bounded: a cycle cannot loop). */
function chain(error: unknown): ErrorFields[] {
  const out: ErrorFields[] = [];
  for (let e = error; e !== null && typeof e === 'object' && out.length < 10; e = (e as ErrorFields).cause) {
    out.push(e as ErrorFields);
  }
  return out;
}

function lostHere(e: ErrorFields): boolean {
  if (typeof e.code === 'string' && (connectionLostCodes.has(e.code) || connectionLostSqlStates.has(e.code)))
    return true;
  // SQLSTATE class 08: connection exception.
  if (typeof e.code === 'string' && /^08[0-9A-Z]{3}$/.test(e.code)) return true;
  if (typeof e.errno === 'number' && connectionLostErrnos.has(e.errno)) return true;
  if (typeof e.name === 'string' && kafkaConnectionErrorNames.has(e.name)) return true;
  return typeof e.message === 'string' && connectionLostMessage.test(e.message);
}

function transientHere(e: ErrorFields): boolean {
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code))
    return transientSqlStateClasses.has(e.code.slice(0, 2)) || transientSqlStates.has(e.code);
  return typeof e.errno === 'number' && transientErrnos.has(e.errno);
}

/** Authentication failed or a privilege is missing, here or in a cause. */
export function isAccessDenied(error: unknown): boolean {
  return chain(error).some(
    (e) =>
      (typeof e.code === 'string' && accessDeniedSqlStates.has(e.code)) ||
      (typeof e.errno === 'number' && accessDeniedErrnos.has(e.errno)),
  );
}

/** The connection to a database or broker was lost or could not be opened, here or in a cause. */
export function isConnectionLost(error: unknown): boolean {
  return !isAccessDenied(error) && chain(error).some(lostHere);
}

/**
 * The one retry policy: never for access denied; yes for a lost connection, a transient
 * database error (deadlock, lock timeout) and errors marked `retriable` (RetriableError,
 * kafkajs' retriable errors), here or in a cause.
 */
export function isRetriable(error: unknown): boolean {
  if (isAccessDenied(error)) return false;
  // Siphon's own errors say it themselves; a DataError is never retried for its cause.
  if (error instanceof SiphonError) return error.retriable;
  return chain(error).some((e) => e.retriable === true || lostHere(e) || transientHere(e));
}

/**
 * The error and its causes as one trace, Java-style: each stack followed by
 * `Caused by:` and the stack of its cause (bounded, like the classification).
 */
export function describeError(error: unknown): string {
  if (error === null || typeof error !== 'object') return String(error);
  return chain(error)
    .map((e) => (e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e)))
    .join('\nCaused by: ');
}
