import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plugin as jdbcSink } from '../../connectors/sink-jdbc/index.js';
import { plugin as mysqlSource } from '../../connectors/source-mysql/index.js';
import { plugin as postgresSource } from '../../connectors/source-postgres/index.js';
import { cdcMetricDefinitions, CdcMetrics } from '../../runtime/cdc/index.js';
import type { CounterDefinition, GaugeDefinition, HistogramDefinition } from '../../runtime/plugin/index.js';
import { TestMetrics } from '../support/plugin-test-kit.js';

const applied = {
  type: 'counter',
  name: 'siphon_test_applied_total',
  help: 'Records applied',
  labelNames: ['connector', 'op'],
} as const satisfies CounterDefinition;

const lag = {
  type: 'gauge',
  name: 'siphon_test_lag_seconds',
  help: 'Lag',
  labelNames: ['connector'],
} as const satisfies GaugeDefinition;

const duration = {
  type: 'histogram',
  name: 'siphon_test_duration_seconds',
  help: 'Duration',
  labelNames: ['connector'],
  buckets: [0.1, 1],
} as const satisfies HistogramDefinition;

describe('the metric factory of the task context', () => {
  it('gives every task the same metric for the same definition, as the tasks of one connector type share a process', async () => {
    const metrics = new TestMetrics();
    const first = metrics.counter(applied);
    const second = metrics.counter({ ...applied, labelNames: [...applied.labelNames] });
    assert.equal(first, second);
    first.inc({ connector: 'a', op: 'c' }, 2);
    second.inc({ connector: 'a', op: 'c' });
    second.inc({ connector: 'b', op: 'd' });
    assert.equal(await metrics.value(applied.name, { connector: 'a', op: 'c' }), 3);
    assert.equal(await metrics.value(applied.name, { connector: 'b', op: 'd' }), 1);
    assert.equal(await metrics.value(applied.name, { connector: 'b', op: 'c' }), undefined);
  });

  it('registers the definition as given: full name, help, type, labels and buckets', async () => {
    const metrics = new TestMetrics();
    metrics.registerAll([applied, lag, duration]);
    const text = await metrics.registry.metrics();
    assert.match(
      text,
      /# HELP siphon_test_applied_total Records applied\n# TYPE siphon_test_applied_total counter/,
    );
    assert.match(text, /# TYPE siphon_test_lag_seconds gauge/);
    metrics.histogram(duration).observe({ connector: 'a' }, 0.5);
    const histogram = await metrics.registry.metrics();
    assert.match(histogram, /siphon_test_duration_seconds_bucket\{le="0.1",connector="a"\} 0/);
    assert.match(histogram, /siphon_test_duration_seconds_bucket\{le="1",connector="a"\} 1/);
  });

  it('refuses a definition that reuses a name differently, saying how it differs', () => {
    const metrics = new TestMetrics();
    metrics.counter(applied);
    metrics.histogram(duration);
    assert.throws(
      () => metrics.gauge({ ...applied, type: 'gauge' }),
      /metric siphon_test_applied_total is defined twice, differently: it is a counter, not a gauge/,
    );
    assert.throws(() => metrics.counter({ ...applied, help: 'other' }), /its help is "Records applied"/);
    assert.throws(
      () => metrics.counter({ ...applied, labelNames: ['connector'] }),
      /its labels are \[connector, op\]/,
    );
    assert.throws(() => metrics.histogram({ ...duration, buckets: [1, 2] }), /its buckets are \[0.1, 1\]/);
  });

  it('refuses names outside siphon_ and names the runtime registered itself', () => {
    const metrics = new TestMetrics();
    assert.throws(
      () => metrics.gauge({ ...lag, name: 'test_lag_seconds' }),
      /plugin metric names start with siphon_/,
    );
    metrics.registry.registerMetric(new TestMetrics().gauge({ ...lag, name: 'siphon_runtime_owned' }));
    assert.throws(() => metrics.gauge({ ...lag, name: 'siphon_runtime_owned' }), /the runtime's own/);
  });

  it('runs collectors before each scrape until the task stops them', async () => {
    const metrics = new TestMetrics();
    const gauge = metrics.gauge(lag);
    let seconds = 1;
    const stop = gauge.onCollect(() => gauge.set({ connector: 'a' }, seconds));
    assert.equal(await metrics.value(lag.name, { connector: 'a' }), 1);
    seconds = 5;
    assert.equal(await metrics.value(lag.name, { connector: 'a' }), 5);
    stop();
    seconds = 9;
    assert.equal(await metrics.value(lag.name, { connector: 'a' }), 5);
  });

  it("every plugin's definitions register together: the shared CDC metrics are one definition", async () => {
    const metrics = new TestMetrics();
    for (const plugin of [postgresSource, mysqlSource, jdbcSink]) metrics.registerAll(plugin.metrics ?? []);
    const cdc = new CdcMetrics(metrics);
    cdc.changeEventsTotal.inc({ connector: 'pg', op: 'c' });
    assert.equal(await metrics.value('siphon_source_change_events_total', { connector: 'pg', op: 'c' }), 1);
    for (const definition of cdcMetricDefinitions)
      assert.ok(metrics.registry.getSingleMetric(definition.name));
  });
});
