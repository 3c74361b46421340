import type { ConnectRecord } from '../record/index.js';
import { defineConfig, type ConfigDef } from '../plugin/index.js';
import { predicateConfig, TransformConfigError, type TransformSettings } from './settings.js';

const topicNameMatchesConfig = defineConfig({
  ...predicateConfig.specs,
  pattern: {
    type: 'string',
    importance: 'high',
    group: 'TopicNameMatches',
    documentation: 'Regular expression the whole topic name must match.',
  },
});

const hasHeaderKeyConfig = defineConfig({
  ...predicateConfig.specs,
  name: {
    type: 'string',
    importance: 'high',
    group: 'HasHeaderKey',
    documentation: 'The header key to look for.',
  },
});

/** Kafka Connect's predicates (`predicates.<name>.type`), used by `transforms.<alias>.predicate`. */
export interface Predicate {
  test(record: ConnectRecord): boolean;
}

class TopicNameMatches implements Predicate {
  private readonly pattern: RegExp;
  constructor(settings: TransformSettings) {
    this.pattern = settings
      .as(topicNameMatchesConfig)
      .regex('pattern', 'set the regular expression topic names must match');
  }
  test(record: ConnectRecord): boolean {
    return this.pattern.test(record.topic);
  }
}

class HasHeaderKey implements Predicate {
  private readonly name: string;
  constructor(settings: TransformSettings) {
    this.name = settings.as(hasHeaderKeyConfig).requiredString('name', 'set the header key to look for');
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

interface PredicateKind {
  readonly configDef: ConfigDef;
  create(settings: TransformSettings): Predicate;
}

/** The predicates accepted in `predicates.<name>.type`, by Kafka Connect class name. */
export const PREDICATES: Readonly<Record<string, PredicateKind>> = {
  'org.apache.kafka.connect.transforms.predicates.TopicNameMatches': {
    configDef: topicNameMatchesConfig.def,
    create: (settings) => new TopicNameMatches(settings),
  },
  'org.apache.kafka.connect.transforms.predicates.HasHeaderKey': {
    configDef: hasHeaderKeyConfig.def,
    create: (settings) => new HasHeaderKey(settings),
  },
  'org.apache.kafka.connect.transforms.predicates.RecordIsTombstone': {
    configDef: predicateConfig.def,
    create: () => new RecordIsTombstone(),
  },
};

export function buildPredicate(name: string, settings: TransformSettings): Predicate {
  const typeKey = settings.key('type');
  const className = settings.requiredString(
    'type',
    `name a predicate class: ${Object.keys(PREDICATES).join(', ')}`,
  );
  const kind = PREDICATES[className.trim()];
  if (kind === undefined) {
    throw new TransformConfigError(
      typeKey,
      `unknown predicate class "${className}" for predicate "${name}"; use one of ${Object.keys(PREDICATES).join(', ')}`,
    );
  }
  return kind.create(settings);
}
