import type { Schema, SchemaAndValue } from '../record/index.js';

/**
 * Turns record-model values into Kafka bytes and back (Kafka Connect's Converter).
 * One instance serves keys or values of one connector, as `configure` says.
 */
export interface Converter {
  /** `config` holds the `key.converter.*` / `value.converter.*` settings without their prefix. */
  configure(config: Readonly<Record<string, string>>, isKey: boolean): Promise<void>;
  fromConnectData(topic: string, schema: Schema | null, value: unknown): Promise<Buffer | null>;
  toConnectData(topic: string, bytes: Buffer | null): Promise<SchemaAndValue>;
  close?(): Promise<void>;
}
