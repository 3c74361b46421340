import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type {
  CounterDefinition,
  GaugeDefinition,
  GaugeMetric,
  HistogramDefinition,
  MetricDefinition,
  MetricFactory,
} from '../plugin/index.js';
import { SiphonError } from '../plugin/index.js';
import { metricsRegistry } from './registry.js';

/** A gauge whose value may be computed at scrape time by collectors the tasks add. */
export type CollectedGauge<L extends string> = Gauge<L> & Pick<GaugeMetric<L>, 'onCollect'>;

interface Registered {
  readonly definition: MetricDefinition;
  readonly metric: Counter | CollectedGauge<string> | Histogram;
}

/** Why two definitions of one name cannot be the same metric, or null when they are. */
function conflict(registered: MetricDefinition, wanted: MetricDefinition): string | null {
  if (registered.type !== wanted.type) return `it is a ${registered.type}, not a ${wanted.type}`;
  if (registered.help !== wanted.help) return `its help is "${registered.help}"`;
  if (registered.labelNames.join() !== wanted.labelNames.join())
    return `its labels are [${registered.labelNames.join(', ')}]`;
  if (
    registered.type === 'histogram' &&
    wanted.type === 'histogram' &&
    registered.buckets.join() !== wanted.buckets.join()
  )
    return `its buckets are [${registered.buckets.join(', ')}]`;
  return null;
}

/**
 * The runtime's side of `context.metrics`: creates each defined metric once in `registry`
 * and hands the same one to every task that asks for the same definition.
 */
export class RegistryMetricFactory implements MetricFactory {
  private readonly registered = new Map<string, Registered>();

  constructor(readonly registry: Registry) {}

  counter<L extends string>(definition: CounterDefinition<L>): Counter<L> {
    return this.metricOf(definition) as Counter<L>;
  }

  gauge<L extends string>(definition: GaugeDefinition<L>): CollectedGauge<L> {
    return this.metricOf(definition) as CollectedGauge<L>;
  }

  histogram<L extends string>(definition: HistogramDefinition<L>): Histogram<L> {
    return this.metricOf(definition) as Histogram<L>;
  }

  /** Registers a plugin's definitions up front (so they are served before any task runs). */
  registerAll(definitions: readonly MetricDefinition[]): void {
    for (const definition of definitions) this.metricOf(definition);
  }

  private metricOf(definition: MetricDefinition): Registered['metric'] {
    const known = this.registered.get(definition.name);
    if (known) {
      const reason = conflict(known.definition, definition);
      if (reason !== null)
        throw new SiphonError(`metric ${definition.name} is defined twice, differently: ${reason}`, false);
      return known.metric;
    }
    if (!definition.name.startsWith('siphon_'))
      throw new SiphonError(`metric ${definition.name}: plugin metric names start with siphon_`, false);
    if (this.registry.getSingleMetric(definition.name))
      throw new SiphonError(
        `metric ${definition.name} is the runtime's own; a plugin cannot define it`,
        false,
      );
    const metric = this.create(definition);
    this.registered.set(definition.name, { definition, metric });
    return metric;
  }

  private create(definition: MetricDefinition): Registered['metric'] {
    const { name, help } = definition;
    const labelNames = [...definition.labelNames];
    const registers = [this.registry];
    switch (definition.type) {
      case 'counter':
        return new Counter({ name, help, labelNames, registers });
      case 'histogram':
        return new Histogram({ name, help, labelNames, buckets: [...definition.buckets], registers });
      case 'gauge': {
        const collectors = new Set<() => void>();
        const gauge = new Gauge({
          name,
          help,
          labelNames,
          registers,
          collect() {
            for (const collect of collectors) collect();
          },
        });
        return Object.assign(gauge, {
          onCollect(collect: () => void): () => void {
            collectors.add(collect);
            return () => void collectors.delete(collect);
          },
        });
      }
    }
  }
}

/** The factory every task context of this worker process gets: the registry served at `/metrics`. */
export const pluginMetrics = new RegistryMetricFactory(metricsRegistry);
