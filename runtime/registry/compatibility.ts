import { DataError } from '../plugin/errors.js';
import avro from 'avsc';

/**
 * Schema evolution rules of a subject, decided by Avro's schema resolution (avsc's
 * `createResolver`, which applies the spec: field defaults, numeric promotion, union
 * branches, enum symbols, record names). BACKWARD: the new schema reads data written with
 * the old; FORWARD: the old reads the new; FULL: both. Plain levels check the latest
 * version, `_TRANSITIVE` levels every live version.
 */
export const compatibilityLevels = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const;

export type CompatibilityLevel = (typeof compatibilityLevels)[number];

export const defaultCompatibilityLevel: CompatibilityLevel = 'BACKWARD';

export function isCompatibilityLevel(value: unknown): value is CompatibilityLevel {
  return typeof value === 'string' && (compatibilityLevels as readonly string[]).includes(value);
}

export interface ExistingVersion {
  readonly version: number;
  readonly type: avro.Type;
}

/** Parses an Avro schema text; throws with the parser's reason. */
export function parseAvroSchema(text: string): avro.Type {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DataError(`Invalid schema: not JSON (${(error as Error).message})`, { cause: error });
  }
  try {
    return avro.Type.forSchema(json as avro.Schema);
  } catch (error) {
    throw new DataError(`Invalid schema: ${(error as Error).message}`, { cause: error });
  }
}

function readProblem(reader: avro.Type, writer: avro.Type): string | undefined {
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * What stops `candidate` from joining a subject whose live versions are `existing`
 * (oldest first) under `level`; empty when it is compatible.
 */
export function incompatibilities(
  candidate: avro.Type,
  existing: readonly ExistingVersion[],
  level: CompatibilityLevel,
): string[] {
  if (level === 'NONE' || existing.length === 0) return [];
  const against = level.endsWith('_TRANSITIVE') ? existing : existing.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const problems: string[] = [];
  for (const old of [...against].reverse()) {
    const cannotReadOld = backward ? readProblem(candidate, old.type) : undefined;
    if (cannotReadOld !== undefined) {
      problems.push(
        `the new schema cannot read data written with version ${old.version} (${level}): ${cannotReadOld}`,
      );
    }
    const oldCannotRead = forward ? readProblem(old.type, candidate) : undefined;
    if (oldCannotRead !== undefined) {
      problems.push(
        `version ${old.version} cannot read data written with the new schema (${level}): ${oldCannotRead}`,
      );
    }
  }
  return problems;
}
