/**
 * Reads a worker's Prometheus text (`/metrics`) for the demo's live line: sums and maxima
 * of one metric over the series of one connector.
 */
export class WorkerMetrics {
  private constructor(private readonly samples: readonly { name: string; labels: string; value: number }[]) {}

  static async fetch(restUrl: string): Promise<WorkerMetrics> {
    const text = await (await fetch(`${restUrl}/metrics`)).text();
    const samples = [];
    for (const line of text.split('\n')) {
      const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
      if (match?.[1] && match[3])
        samples.push({ name: match[1], labels: match[2] ?? '', value: Number(match[3]) });
    }
    return new WorkerMetrics(samples);
  }

  private of(name: string, connector: string): number[] {
    return this.samples
      .filter((s) => s.name === name && s.labels.includes(`connector="${connector}"`))
      .map((s) => s.value);
  }

  sum(name: string, connector: string): number {
    return this.of(name, connector).reduce((a, b) => a + b, 0);
  }

  /** undefined while the connector has not reported the metric yet. */
  min(name: string, connector: string): number | undefined {
    const values = this.of(name, connector);
    return values.length ? Math.min(...values) : undefined;
  }
}
