/**
 * The records of the `_schemas` topic, in Confluent Schema Registry's own layout so the
 * topic reads the same to tools that know it. Keys are JSON; a null value is a tombstone.
 *   SCHEMA {subject, version} → {subject, version, id, schema, deleted}
 *   CONFIG {subject | null}   → {compatibilityLevel}   (null subject: the global level)
 *   MODE {subject | null}     → {mode}                  (READWRITE, READONLY, …; null subject: global)
 *   NOOP                      → {marker}                (read-to-here markers, see SchemasLog)
 *   ID_HIGH_WATER             → {maxId}                 (Siphon's: the highest id ever allocated,
 *                                                         so permanently deleted ids are never reused)
 */
export type RegistryRecord =
  | {
      readonly keytype: 'SCHEMA';
      readonly subject: string;
      readonly version: number;
      readonly value: SchemaValue | null;
    }
  | { readonly keytype: 'CONFIG'; readonly subject: string | null; readonly value: ConfigValue | null }
  | {
      readonly keytype: 'MODE';
      readonly subject: string | null;
      readonly value: { readonly mode: string } | null;
    }
  | { readonly keytype: 'NOOP'; readonly value: { readonly marker: string } | null }
  | { readonly keytype: 'ID_HIGH_WATER'; readonly value: { readonly maxId: number } | null };

export interface SchemaValue {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  readonly schema: string;
  readonly deleted: boolean;
}

export interface ConfigValue {
  readonly compatibilityLevel: string;
}

export function encodeRecord(record: RegistryRecord): { key: string; value: string | null } {
  const value = record.value === null ? null : JSON.stringify(record.value);
  switch (record.keytype) {
    case 'SCHEMA':
      return {
        key: JSON.stringify({
          keytype: 'SCHEMA',
          subject: record.subject,
          version: record.version,
          magic: 1,
        }),
        value,
      };
    case 'CONFIG':
      return { key: JSON.stringify({ keytype: 'CONFIG', subject: record.subject, magic: 0 }), value };
    case 'MODE':
      return { key: JSON.stringify({ keytype: 'MODE', subject: record.subject, magic: 0 }), value };
    case 'NOOP':
      return { key: JSON.stringify({ keytype: 'NOOP', magic: 0 }), value };
    case 'ID_HIGH_WATER':
      return { key: JSON.stringify({ keytype: 'ID_HIGH_WATER', magic: 0 }), value };
  }
}

/** Undefined for keys this registry does not know (other tools' record types are skipped). */
export function decodeRecord(key: Buffer | null, value: Buffer | null): RegistryRecord | undefined {
  if (key === null) return undefined;
  let parsedKey: { keytype?: unknown; subject?: unknown; version?: unknown };
  let parsedValue: unknown;
  try {
    parsedKey = JSON.parse(key.toString('utf8')) as typeof parsedKey;
    parsedValue = value === null ? null : JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
  switch (parsedKey.keytype) {
    case 'SCHEMA':
      if (typeof parsedKey.subject !== 'string' || typeof parsedKey.version !== 'number') return undefined;
      return {
        keytype: 'SCHEMA',
        subject: parsedKey.subject,
        version: parsedKey.version,
        value: parsedValue as SchemaValue | null,
      };
    case 'CONFIG':
      return {
        keytype: 'CONFIG',
        subject: typeof parsedKey.subject === 'string' ? parsedKey.subject : null,
        value: parsedValue as ConfigValue | null,
      };
    case 'MODE':
      return {
        keytype: 'MODE',
        subject: typeof parsedKey.subject === 'string' ? parsedKey.subject : null,
        value: parsedValue as { mode: string } | null,
      };
    case 'NOOP':
      return { keytype: 'NOOP', value: parsedValue as { marker: string } | null };
    case 'ID_HIGH_WATER':
      return { keytype: 'ID_HIGH_WATER', value: parsedValue as { maxId: number } | null };
    default:
      return undefined;
  }
}
