import type { ConnectRecord } from '../record/index.js';
import { TransformConfigError, type TransformSettings } from './settings.js';

/** Kafka Connect's predicates (`predicates.<name>.type`), used by `transforms.<alias>.predicate`. */
export interface Predicate {
  test(record: ConnectRecord): boolean;
}

class TopicNameMatches implements Predicate {
  private readonly pattern: RegExp;
  constructor(settings: TransformSettings) {
    this.pattern = settings.regex('pattern', 'set the regular expression topic names must match');
  }
  test(record: ConnectRecord): boolean {
    return this.pattern.test(record.topic);
  }
}

class HasHeaderKey implements Predicate {
  private readonly name: string;
  constructor(settings: TransformSettings) {
    this.name = settings.requiredString('name', 'set the header key to look for');
  }
  test(record: ConnectRecord): boolean {
    return (record.headers ?? []).some((header) => header.key === this.name);
  }
}

class RecordIsTombstone implements Predicate {
  test(record: ConnectRecord): boolean {
    return record.value === null || record.value === undefined;
  }
}

const PREDICATES: Readonly<Record<string, (settings: TransformSettings) => Predicate>> = {
  'org.apache.kafka.connect.transforms.predicates.TopicNameMatches': (settings) =>
    new TopicNameMatches(settings),
  'org.apache.kafka.connect.transforms.predicates.HasHeaderKey': (settings) => new HasHeaderKey(settings),
  'org.apache.kafka.connect.transforms.predicates.RecordIsTombstone': () => new RecordIsTombstone(),
};

export function buildPredicate(name: string, settings: TransformSettings): Predicate {
  const typeKey = settings.key('type');
  const className = settings.requiredString(
    'type',
    `name a predicate class: ${Object.keys(PREDICATES).join(', ')}`,
  );
  const factory = PREDICATES[className.trim()];
  if (factory === undefined) {
    throw new TransformConfigError(
      typeKey,
      `unknown predicate class "${className}" for predicate "${name}"; use one of ${Object.keys(PREDICATES).join(', ')}`,
    );
  }
  return factory(settings);
}
