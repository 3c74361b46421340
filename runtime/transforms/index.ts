import type { ConfigIssue } from '../plugin/index.js';
import type { ConnectRecord } from '../record/index.js';
import { Cast } from './cast.js';
import { ExtractNewRecordState } from './extract-new-record-state.js';
import { Filter } from './filter.js';
import { InsertField } from './insert-field.js';
import { buildPredicate, type Predicate } from './predicates.js';
import { partFromClassName } from './record-part.js';
import { RegexRouter } from './regex-router.js';
import { ReplaceField } from './replace-field.js';
import { TransformConfigError, TransformSettings } from './settings.js';
import type { Transform } from './transform.js';

export type { Transform } from './transform.js';
export { TransformConfigError } from './settings.js';

type TransformFactory = (settings: TransformSettings, className: string) => Transform;

const KAFKA = 'org.apache.kafka.connect.transforms.';

/** The transforms accepted in `transforms.<alias>.type`, by Kafka Connect / Debezium class name. */
const TRANSFORMS: Readonly<Record<string, TransformFactory>> = {
  [`${KAFKA}ReplaceField$Value`]: (settings, className) =>
    new ReplaceField(partFromClassName(className), settings),
  [`${KAFKA}ReplaceField$Key`]: (settings, className) =>
    new ReplaceField(partFromClassName(className), settings),
  [`${KAFKA}InsertField$Value`]: (settings, className) =>
    new InsertField(partFromClassName(className), settings),
  [`${KAFKA}InsertField$Key`]: (settings, className) =>
    new InsertField(partFromClassName(className), settings),
  [`${KAFKA}Cast$Value`]: (settings, className) => new Cast(partFromClassName(className), settings),
  [`${KAFKA}Cast$Key`]: (settings, className) => new Cast(partFromClassName(className), settings),
  [`${KAFKA}RegexRouter`]: (settings) => new RegexRouter(settings),
  [`${KAFKA}Filter`]: () => new Filter(),
  'io.debezium.transforms.ExtractNewRecordState': (settings) => new ExtractNewRecordState(settings),
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
  for (const name of new TransformSettings('', config).list('predicates')) {
    predicates.set(
      name,
      attempt(() => buildPredicate(name, new TransformSettings(`predicates.${name}.`, config))),
    );
  }
  const transforms: Transform[] = [];
  for (const alias of new TransformSettings('', config).list('transforms')) {
    const transform = attempt(() =>
      buildTransform(new TransformSettings(`transforms.${alias}.`, config), predicates),
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
  const factory = TRANSFORMS[className];
  if (factory === undefined) {
    throw new TransformConfigError(
      settings.key('type'),
      `unknown transform class "${className}"; use one of ${SUPPORTED_TRANSFORM_CLASSES.join(', ')}`,
    );
  }
  const transform = factory(settings, className);
  const negate = settings.boolean('negate', false);
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
