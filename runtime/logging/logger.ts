import { maskUrlCredentials } from '../config/url-credentials.js';
import { describeError } from '../plugin/errors.js';
import type { TaskLogger } from '../plugin/index.js';

/**
 * The worker's one logger: JSON lines (`log.format=json`) or readable lines on stderr.
 * Every line is masked after it is formatted, so a secret registered once (a
 * password-type config value, anything a config provider resolved, a URL's password)
 * never reaches the output, whatever message, field or stack trace carries it, and
 * whatever escaping the format applied to it.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'text';

const levelOrder: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
export const HIDDEN = '[hidden]';

/** Secrets shorter than this are not masked inside other text (too many false hits). */
const minimumMaskedLength = 3;
/** A JSON string inside a JSON string (an error body quoted in a field) escapes twice. */
const escapingLevels = 2;
const secrets = new Set<string>();
/** Every form of every registered secret, longest first, so no form masks part of another. */
let secretForms: string[] = [];

/** The secret as written and as JSON.stringify escapes it, once and twice. */
function formsOf(secret: string): string[] {
  const forms = [secret];
  let escaped = secret;
  for (let level = 0; level < escapingLevels; level++) {
    escaped = JSON.stringify(escaped).slice(1, -1);
    forms.push(escaped);
  }
  return forms;
}

function sortedForms(values: Iterable<string>): string[] {
  const forms = new Set<string>();
  for (const value of values) {
    if (value.length >= minimumMaskedLength) for (const form of formsOf(value)) forms.add(form);
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

export function registerSecret(value: string | null | undefined): void {
  if (!value || value.length < minimumMaskedLength || secrets.has(value)) return;
  secrets.add(value);
  secretForms = sortedForms(secrets);
}

function maskForms(text: string, forms: readonly string[]): string {
  let masked = text;
  for (const form of forms) {
    if (masked.includes(form)) masked = masked.split(form).join(HIDDEN);
  }
  return maskUrlCredentials(masked);
}

/** `text` with every registered secret and every URL password hidden. */
export function maskSecrets(text: string): string {
  return maskForms(text, secretForms);
}

/** Like maskSecrets, for values known only to one request (a validated config's). */
export function maskValues(text: string, values: Iterable<string>): string {
  return maskForms(maskSecrets(text), sortedForms(values));
}

interface LoggerSettings {
  level: LogLevel;
  format: LogFormat;
  write: (line: string) => void;
}

const settings: LoggerSettings = {
  level: 'info',
  format: 'text',
  write: (line) => process.stderr.write(line + '\n'),
};

export function configureLogging(options: Partial<LoggerSettings>): void {
  Object.assign(settings, options);
}

export type Logger = TaskLogger & { child(fields: Record<string, unknown>): Logger };

function describe(value: unknown): unknown {
  if (value instanceof Error) return describeError(value);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/**
 * Run-time levels per logger (Kafka Connect's /admin/loggers). A logger's name is its
 * component, then its connector (`worker.inventory-source`); a level set on a name applies
 * to it and every name below it, `root` is `log.level`.
 */
export const rootLogger = 'root';
const loggerLevels = new Map<string, { level: LogLevel; lastModified: number }>();
const knownLoggers = new Set<string>();
let rootLastModified: number | null = null;

function loggerName(fields: Record<string, unknown>): string {
  return [fields.component ?? 'siphon', fields.connector].filter((p) => p !== undefined).join('.');
}

function levelOf(name: string): LogLevel {
  for (let candidate = name; ; candidate = candidate.slice(0, candidate.lastIndexOf('.'))) {
    const set = loggerLevels.get(candidate);
    if (set) return set.level;
    if (!candidate.includes('.')) return settings.level;
  }
}

export function isLogLevel(value: string): value is LogLevel {
  return value in levelOrder;
}

export interface LoggerLevelView {
  readonly level: string;
  readonly last_modified: number | null;
}

/** Every logger seen so far with its effective level, and root. */
export function listLoggerLevels(): Record<string, LoggerLevelView> {
  const out: Record<string, LoggerLevelView> = {
    [rootLogger]: { level: settings.level.toUpperCase(), last_modified: rootLastModified },
  };
  for (const name of [...new Set([...knownLoggers, ...loggerLevels.keys()])].sort()) {
    out[name] = {
      level: levelOf(name).toUpperCase(),
      last_modified: loggerLevels.get(name)?.lastModified ?? null,
    };
  }
  return out;
}

export function loggerLevel(name: string): LoggerLevelView | null {
  if (name !== rootLogger && !knownLoggers.has(name) && !loggerLevels.has(name)) return null;
  return listLoggerLevels()[name] ?? null;
}

/** Sets a level for a logger and everything below it; returns the loggers it changed. */
export function setLoggerLevel(name: string, level: LogLevel): string[] {
  const now = Date.now();
  const below = (other: string) => name === rootLogger || other.startsWith(`${name}.`);
  for (const other of [...loggerLevels.keys()]) if (below(other)) loggerLevels.delete(other);
  if (name === rootLogger) {
    settings.level = level;
    rootLastModified = now;
  } else {
    loggerLevels.set(name, { level, lastModified: now });
  }
  return [name, ...[...knownLoggers].filter((other) => other !== name && below(other))].sort();
}

function emit(level: LogLevel, message: string, context: Record<string, unknown>, name: string): void {
  if (levelOrder[level] < levelOrder[levelOf(name)]) return;
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) fields[key] = describe(value);
  let line: string;
  if (settings.format === 'json') {
    line = JSON.stringify({ time: new Date().toISOString(), level, message, ...fields });
  } else {
    const rest = Object.entries(fields)
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(' ');
    line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}${rest ? ' ' + rest : ''}`;
  }
  settings.write(maskSecrets(line));
}

export function createLogger(fields: Record<string, unknown> = {}): Logger {
  const name = loggerName(fields);
  knownLoggers.add(name);
  return {
    debug: (message, extra) => emit('debug', message, { ...fields, ...extra }, name),
    info: (message, extra) => emit('info', message, { ...fields, ...extra }, name),
    warn: (message, extra) => emit('warn', message, { ...fields, ...extra }, name),
    error: (message, extra) => emit('error', message, { ...fields, ...extra }, name),
    child: (extra) => createLogger({ ...fields, ...extra }),
  };
}
