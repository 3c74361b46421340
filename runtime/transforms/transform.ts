import type { ConnectRecord } from '../record/index.js';

/**
 * A single message transform (Kafka Connect's SMT), configured from
 * `transforms.<alias>.*`. Returning null drops the record on purpose (Filter).
 */
export interface Transform {
  apply<R extends ConnectRecord>(record: R): R | null;
}
