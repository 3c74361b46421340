import type { ConnectRecord } from '../record/index.js';
import type { Transform } from './transform.js';

/**
 * Kafka Connect's Filter: drops every record it is applied to. Paired with a predicate
 * (`transforms.<alias>.predicate`), it drops only the records the predicate matches.
 */
export class Filter implements Transform {
  apply<R extends ConnectRecord>(_record: R): R | null {
    return null;
  }
}
