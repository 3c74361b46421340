import { maskUrlCredentials } from '../config/url-credentials.js';
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
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function emit(level: LogLevel, message: string, context: Record<string, unknown>): void {
  if (levelOrder[level] < levelOrder[settings.level]) return;
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
  return {
    debug: (message, extra) => emit('debug', message, { ...fields, ...extra }),
    info: (message, extra) => emit('info', message, { ...fields, ...extra }),
    warn: (message, extra) => emit('warn', message, { ...fields, ...extra }),
    error: (message, extra) => emit('error', message, { ...fields, ...extra }),
    child: (extra) => createLogger({ ...fields, ...extra }),
  };
}
