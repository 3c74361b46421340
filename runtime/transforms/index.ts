import type { ConfigDef, ConfigIssue, KeySpecs } from '../plugin/index.js';
import { defineConfig } from '../plugin/index.js';
import type { ConnectRecord } from '../record/index.js';
import { Cast, castConfig } from './cast.js';
import { ExtractNewRecordState, extractNewRecordStateConfig } from './extract-new-record-state.js';
import { Filter } from './filter.js';
import { InsertField, insertFieldConfig } from './insert-field.js';
import { buildPredicate, type Predicate } from './predicates.js';
import { partFromClassName } from './record-part.js';
import { RegexRouter, regexRouterConfig } from './regex-router.js';
import { ReplaceField, replaceFieldConfig } from './replace-field.js';
import { predicateConfig, TransformConfigError, transformConfig, TransformSettings } from './settings.js';
import type { Transform } from './transform.js';

export type { Transform } from './transform.js';
export { TransformConfigError } from './settings.js';
export { PREDICATES } from './predicates.js';

interface TransformKind {
  /** Its settings, given as `transforms.<alias>.<key>`. */
  readonly configDef: ConfigDef;
  create(settings: TransformSettings, className: string): Transform;
}

/** The connector keys naming the chain, defined here and merged into every connector's keys. */
export const transformChainKeySpecs = {
  transforms: {
    type: 'list',
    default: [],
    importance: 'low',
    group: 'Transforms',
    documentation: 'Aliases of the single message transforms to apply, in order.',
  },
  predicates: {
    type: 'list',
    default: [],
    importance: 'low',
    group: 'Predicates',
    documentation: 'Aliases of the predicates transforms may use.',
  },
} as const satisfies KeySpecs;

const transformChainConfig = defineConfig(transformChainKeySpecs);

const KAFKA = 'org.apache.kafka.connect.transforms.';

const replaceField: TransformKind = {
  configDef: replaceFieldConfig.def,
  create: (settings, className) => new ReplaceField(partFromClassName(className), settings),
};
const insertField: TransformKind = {
  configDef: insertFieldConfig.def,
  create: (settings, className) => new InsertField(partFromClassName(className), settings),
};
const cast: TransformKind = {
  configDef: castConfig.def,
  create: (settings, className) => new Cast(partFromClassName(className), settings),
};

/** The transforms accepted in `transforms.<alias>.type`, by Kafka Connect / Debezium class name. */
export const TRANSFORMS: Readonly<Record<string, TransformKind>> = {
  [`${KAFKA}ReplaceField$Value`]: replaceField,
  [`${KAFKA}ReplaceField$Key`]: replaceField,
  [`${KAFKA}InsertField$Value`]: insertField,
  [`${KAFKA}InsertField$Key`]: insertField,
  [`${KAFKA}Cast$Value`]: cast,
  [`${KAFKA}Cast$Key`]: cast,
  [`${KAFKA}RegexRouter`]: {
    configDef: regexRouterConfig.def,
    create: (settings) => new RegexRouter(settings),
  },
  [`${KAFKA}Filter`]: { configDef: transformConfig.def, create: () => new Filter() },
  'io.debezium.transforms.ExtractNewRecordState': {
    configDef: extractNewRecordStateConfig.def,
    create: (settings) => new ExtractNewRecordState(settings),
  },
};

export const SUPPORTED_TRANSFORM_CLASSES: readonly string[] = Object.keys(TRANSFORMS);

/** A transform applied only to records its predicate matches (or does not, with `negate`). */
class ConditionalTransform implements Transform {
  constructor(
    private readonly transform: Transform,
    private readonly predicate: Predicate,
    private readonly negate: boolean,
  ) {}

  apply<R extends ConnectRecord>(record: R): R | null {
    return this.predicate.test(record) !== this.negate ? this.transform.apply(record) : record;
  }
}

class TransformChain implements Transform {
  constructor(readonly transforms: readonly Transform[]) {}

  apply<R extends ConnectRecord>(record: R): R | null {
    let current: R | null = record;
    for (const transform of this.transforms) {
      if (current === null) return null;
      current = transform.apply(current);
    }
    return current;
  }
}

/**
 * Builds the connector's `transforms` chain (Kafka Connect's SMTs, applied in order; a
 * transform returning null drops the record). Throws TransformConfigError on bad config;
 * validateTransformConfig reports the same problems as ConfigIssues.
 */
export function buildTransformChain(config: Readonly<Record<string, string>>): Transform {
  return buildChain(config, (error) => {
    throw error;
  });
}

/** Every problem buildTransformChain would throw for, as config issues (empty when fine). */
export function validateTransformConfig(config: Readonly<Record<string, string>>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  buildChain(config, (error) => issues.push({ name: error.key, message: error.message }));
  return issues;
}

function buildChain(
  config: Readonly<Record<string, string>>,
  onError: (error: TransformConfigError) => void,
): Transform {
  const attempt = <T>(build: () => T): T | undefined => {
    try {
      return build();
    } catch (error) {
      if (!(error instanceof TransformConfigError)) throw error;
      onError(error);
      return undefined;
    }
  };
  const predicates = new Map<string, Predicate | undefined>();
  const chain = new TransformSettings('', config, transformChainConfig);
  for (const name of chain.list('predicates')) {
    predicates.set(
      name,
      attempt(() =>
        buildPredicate(name, new TransformSettings(`predicates.${name}.`, config, predicateConfig)),
      ),
    );
  }
  const transforms: Transform[] = [];
  for (const alias of chain.list('transforms')) {
    const transform = attempt(() =>
      buildTransform(new TransformSettings(`transforms.${alias}.`, config, transformConfig), predicates),
    );
    if (transform) transforms.push(transform);
  }
  return new TransformChain(transforms);
}

function buildTransform(
  settings: TransformSettings,
  predicates: ReadonlyMap<string, Predicate | undefined>,
): Transform {
  const className = settings
    .requiredString('type', `name a transform class: ${SUPPORTED_TRANSFORM_CLASSES.join(', ')}`)
    .trim();
  const kind = TRANSFORMS[className];
  if (kind === undefined) {
    throw new TransformConfigError(
      settings.key('type'),
      `unknown transform class "${className}"; use one of ${SUPPORTED_TRANSFORM_CLASSES.join(', ')}`,
    );
  }
  const transform = kind.create(settings, className);
  const negate = settings.boolean('negate');
  const predicateName = settings.optionalString('predicate')?.trim();
  if (predicateName === undefined || predicateName === '') return transform;
  if (!predicates.has(predicateName)) {
    throw new TransformConfigError(
      settings.key('predicate'),
      `"${predicateName}" is not a defined predicate; list it in "predicates" and set predicates.${predicateName}.type`,
    );
  }
  const predicate = predicates.get(predicateName);
  // An invalid predicate was already reported; leave the transform out rather than apply it unconditionally.
  if (predicate === undefined)
    throw new TransformConfigError(
      settings.key('predicate'),
      `predicate "${predicateName}" is invalid (see its own error)`,
    );
  return new ConditionalTransform(transform, predicate, negate);
}
