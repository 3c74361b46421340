/**
 * Metrics a plugin defines and updates through its task context (`context.metrics`); the
 * runtime registers them in the registry it serves at `/metrics`. A definition is data:
 * the plugin lists its definitions (`plugin.metrics`) so the runtime shows them before any
 * task runs, and each task asks the factory for the metric of a definition.
 *
 * Names are given in full (`siphon_source_mysql_connected`), not as a suffix the runtime
 * prefixes: metrics shared by several plugins (the CDC change-event metrics) keep one name
 * whatever the plugin, and what a connector's code says is what dashboards query. The
 * runtime refuses names outside `siphon_`.
 *
 * Several tasks of one plugin share a process: the factory returns the same metric for
 * the same definition, and refuses a definition that reuses a name with another type,
 * help text, label set or buckets.
 */
export type MetricLabels<L extends string> = Readonly<Record<L, string>>;

interface DefinitionBase<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
}

export interface CounterDefinition<L extends string = string> extends DefinitionBase<L> {
  readonly type: 'counter';
}

export interface GaugeDefinition<L extends string = string> extends DefinitionBase<L> {
  readonly type: 'gauge';
}

export interface HistogramDefinition<L extends string = string> extends DefinitionBase<L> {
  readonly type: 'histogram';
  /** Upper bounds of the buckets, in the metric's unit. */
  readonly buckets: readonly number[];
}

export type MetricDefinition = CounterDefinition | GaugeDefinition | HistogramDefinition;

export interface CounterMetric<L extends string> {
  inc(labels: MetricLabels<L>, value?: number): void;
  remove(labels: MetricLabels<L>): void;
}

export interface GaugeMetric<L extends string> {
  set(labels: MetricLabels<L>, value: number): void;
  inc(labels: MetricLabels<L>, value?: number): void;
  remove(labels: MetricLabels<L>): void;
  /**
   * Runs `collect` before every scrape, for values computed when read (a lag that grows
   * while nothing happens). Returns the function that stops it: call it when the task stops.
   */
  onCollect(collect: () => void): () => void;
}

export interface HistogramMetric<L extends string> {
  observe(labels: MetricLabels<L>, value: number): void;
  /** Starts a timer; calling the returned function observes the seconds since. */
  startTimer(labels: MetricLabels<L>): () => void;
  remove(labels: MetricLabels<L>): void;
}

/** The metric factories a task gets from its context (`context.metrics`). */
export interface MetricFactory {
  counter<L extends string>(definition: CounterDefinition<L>): CounterMetric<L>;
  gauge<L extends string>(definition: GaugeDefinition<L>): GaugeMetric<L>;
  histogram<L extends string>(definition: HistogramDefinition<L>): HistogramMetric<L>;
}
