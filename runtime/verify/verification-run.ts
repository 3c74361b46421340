import { sleep } from '../plugin/backoff.js';
import { ConfigError } from '../plugin/errors.js';
import type { Logger } from '../logging/logger.js';
import type {
  ExpectedRow,
  RangeHash,
  SinkVerifier,
  SourceChunk,
  SourcePosition,
  SourceRowReader,
  SourceVerification,
  TargetHashPlan,
  TargetKey,
  TextChunk,
  TextComparisonPlan,
  VerifiableTable,
} from '../plugin/index.js';
import type { SinkRecord, SourceRecord } from '../record/index.js';
import { buildTransformChain } from '../transforms/index.js';
import { sinkTopicsOf } from '../worker/connector-config.js';
import type { Transform } from '../transforms/transform.js';
import { waitUntilApplied } from './pipeline-settle.js';
import { compareRows, persisting } from './row-comparison.js';
import { differingRanges } from './text-comparison.js';
import type { VerificationHost } from './verification-host.js';
import { MAX_LISTED, shownDifference, type RowDifference, type TableReport } from './verify-report.js';
import { verifyRowsCompared } from './verify-metrics.js';

export interface VerificationOptions {
  readonly sink: string;
  /** Source connectors to compare with; empty: every verifiable source whose topics the sink consumes. */
  readonly sources: readonly string[];
  /** Source tables (`schema.table`) or target tables to verify; empty: all. */
  readonly tables: readonly string[];
  readonly repair: boolean;
  readonly chunkSize: number;
  /** Rows per second read from each side; 0: unlimited. */
  readonly maxRowsPerSecond: number;
  /** How long a differing chunk waits for the pipeline to apply up to its source position. */
  readonly settleTimeoutMs: number;
  /** Re-reads of a differing chunk before what still differs is reported. */
  readonly rechecks: number;
}

export interface VerificationCallbacks {
  readonly signal: AbortSignal;
  readonly logger: Logger;
  onTable(report: TableReport): void;
  onProgress(table: string, rowsCompared: number): void;
  /** Tables found at a source (some may turn out not to feed the sink). */
  onTablesFound(count: number): void;
}

interface SourceSide {
  readonly name: string;
  readonly verification: SourceVerification;
  readonly reader: SourceRowReader;
  readonly transform: Transform | null;
}

/** Ranges at most this large are compared row by row; larger differing ones are halved. */
const BISECT_ROWS = 1000;

/** Differing hashed ranges at most this large are located by their rows' hashes (integer keys). */
const ROW_HASH_ROWS = 100_000;

/** Row hashes compare as they are: key texts, then the hash text. */
function rowHashComparison(table: string, keyColumns: number): TextComparisonPlan {
  const same = {
    source: '',
    target: '',
    canonical: (value: unknown) => (value == null ? null : String(value)),
  };
  return { table, keyColumns, columns: Array.from({ length: keyColumns + 1 }, () => same) };
}

/** Rows a text plan is checked on first: their texts must compare as the sink maps them. */
const TEXT_PLAN_SAMPLE = 100;

/** How a table is compared: in-database hashes, column texts, or (null) rows mapped by the sink. */
type ComparisonPlan =
  | { readonly kind: 'hash'; readonly plan: TargetHashPlan }
  | { readonly kind: 'texts'; readonly plan: TextComparisonPlan }
  | null;

interface Repaired {
  written: number;
  deleted: number;
  rows: RowDifference[];
}

/** One source read in its own snapshot, mapped by the sink. */
interface SourceRead {
  readonly position: SourcePosition;
  readonly chunk: SourceChunk;
  readonly records: readonly SinkRecord[];
  readonly sinkRecords: number;
  readonly expected: readonly ExpectedRow[];
}

/** A key range read from both sides: source-native bounds and the target's. */
interface ChunkBounds {
  readonly after: readonly unknown[] | null;
  readonly upTo: readonly unknown[] | null;
  readonly targetAfter: TargetKey | null;
  readonly targetUpTo: TargetKey | null;
}

/**
 * One verification of a sink: every table of every source feeding it, chunk by chunk in
 * key order. Each chunk is read from the source in its own read-only snapshot, mapped by
 * the sink, and compared with the target's rows of the same key range. A chunk that
 * differs is read again (up to `rechecks` times) after the pipeline applied everything
 * up to the position of the earlier read; only rows that keep differing are reported, so
 * a row busy with writes is not a mismatch. With `repair`, the current source rows of what
 * differs are written through the sink's write path, then the chunk is verified again.
 */
export class VerificationRun {
  private readonly sinkTransform: Transform | null;
  private readonly sinkTopics: (topic: string) => boolean;
  private rowsRead = 0;
  private readonly startedAt = Date.now();

  constructor(
    private readonly host: VerificationHost,
    private readonly options: VerificationOptions,
    private readonly callbacks: VerificationCallbacks,
    private readonly verifier: SinkVerifier,
  ) {
    const sink = host.resolvedConnector(options.sink);
    this.sinkTransform = transformOf(sink.raw);
    this.sinkTopics = sinkTopicsOf(sink.config).matches;
  }

  /** The source connectors this sink is fed from. */
  sourceNames(): string[] {
    if (this.options.sources.length > 0) return [...this.options.sources];
    const consumed = new Set(this.host.activeTopics(this.options.sink));
    return this.host.connectorNames().filter((name) => {
      if (name === this.options.sink) return false;
      let plugin;
      try {
        plugin = this.host.resolvedConnector(name).plugin;
      } catch {
        return false; // not installed here, or a config that does not parse: not a source to read
      }
      return (
        plugin.type === 'source' &&
        plugin.verification !== undefined &&
        this.host.activeTopics(name).some((topic) => consumed.has(topic) || this.sinkTopics(topic))
      );
    });
  }

  async run(): Promise<void> {
    const verifier = this.verifier;
    const sources = this.sourceNames();
    if (sources.length === 0) {
      throw new ConfigError(
        'source.connector',
        `no verifiable source connector feeds ${this.options.sink} (none on this worker produces to the topics it consumes); name one with "source.connector"`,
      );
    }
    for (const name of sources) {
      const { plugin, config, raw } = this.host.resolvedConnector(name);
      if (plugin.type !== 'source' || !plugin.verification)
        throw new ConfigError(
          'source.connector',
          `connector ${name} is not a source that can be verified against`,
        );
      const reader = await plugin.verification.openRowReader(config, this.callbacks.logger);
      try {
        const side: SourceSide = {
          name,
          verification: plugin.verification,
          reader,
          transform: transformOf(raw),
        };
        const tables = await reader.tables();
        this.callbacks.onTablesFound(tables.length);
        for (const table of tables) {
          if (this.callbacks.signal.aborted) return;
          const report = await this.verifyTable(side, table, verifier);
          if (report) this.callbacks.onTable(report);
        }
      } finally {
        await reader.close();
      }
    }
  }

  private async verifyTable(
    source: SourceSide,
    table: VerifiableTable,
    verifier: SinkVerifier,
  ): Promise<TableReport | null> {
    const started = Date.now();
    const report: TableReport = {
      table: table.id,
      source_connector: source.name,
      target_table: null,
      comparison: 'rows',
      rows_compared: 0,
      chunks: 0,
      seconds: 0,
      differences: [],
      differences_total: 0,
      rows_unchecked: 0,
      unsettled_rechecks: 0,
      notes: [],
    };
    if (table.keyColumns.length === 0) {
      report.notes.push('the table has no primary key: rows cannot be matched by key, so it is not verified');
      return this.wanted(table.id, null) ? finish(report, started) : null;
    }
    const repaired = { written: 0, deleted: 0, rows: [] as RowDifference[] };
    const plan = await this.comparisonPlan(source, table, verifier);
    if (plan === 'not consumed') return null;
    if (plan !== null) {
      report.target_table = plan.plan.table;
      report.comparison = plan.kind;
      if (!this.wanted(table.id, report.target_table)) return null;
      if (plan.kind === 'hash') await this.verifyHashed(source, table, verifier, report, repaired, plan.plan);
      else await this.verifyTexts(source, table, verifier, report, repaired, plan.plan);
    } else {
      const fed = await this.verifyStreamed(source, table, verifier, report, repaired);
      if (!fed || !this.wanted(table.id, report.target_table)) return null;
    }
    if (report.target_table === null && report.rows_compared === 0)
      report.notes.push(
        'the source table is empty: its target table is not known, so extra target rows are not looked for',
      );
    if (this.options.repair) report.repaired = { ...repaired, rows: repaired.rows.map(shownDifference) };
    return finish(report, started);
  }

  /**
   * The in-database path: count + hash per chunk on both sides; a differing chunk is
   * bisected (count + hash of each half) down to BISECT_ROWS rows, which are then compared
   * row by row (with the re-reads and repair of the streamed path).
   */
  private async verifyHashed(
    source: SourceSide,
    table: VerifiableTable,
    verifier: SinkVerifier,
    report: TableReport,
    repaired: Repaired,
    plan: TargetHashPlan,
  ): Promise<void> {
    let after: readonly unknown[] | null = null;
    let current = await this.sourceHash(source, table, null, null, this.options.chunkSize, plan);
    for (;;) {
      if (this.callbacks.signal.aborted) return;
      const final = current.count < this.options.chunkSize;
      const upTo = final ? null : current.lastKey;
      report.chunks++;
      report.rows_compared += current.count;
      verifyRowsCompared.inc({ connector: this.options.sink, table: table.id }, current.count);
      this.callbacks.onProgress(table.id, report.rows_compared);
      // The target hashes chunk n while the source hashes chunk n + 1 (two connections, two databases).
      const [target, next] = await Promise.all([
        this.targetHash(verifier, plan, after, upTo),
        final ? null : this.sourceHash(source, table, upTo, null, this.options.chunkSize, plan),
      ]);
      await this.bisect(source, table, verifier, report, repaired, plan, after, upTo, current, target);
      if (final || next === null) return;
      after = upTo;
      current = next;
    }
  }

  private async targetHash(
    verifier: SinkVerifier,
    plan: TargetHashPlan,
    after: readonly unknown[] | null,
    upTo: readonly unknown[] | null,
  ): Promise<RangeHash> {
    if (!verifier.hashRange) throw new Error('the sink verifier cannot hash ranges');
    const hash = await verifier.hashRange(plan, after, upTo);
    await this.throttle(hash.count);
    return hash;
  }

  private async bisect(
    source: SourceSide,
    table: VerifiableTable,
    verifier: SinkVerifier,
    report: TableReport,
    repaired: Repaired,
    plan: TargetHashPlan,
    after: readonly unknown[] | null,
    upTo: readonly unknown[] | null,
    sourceHash: RangeHash,
    known?: RangeHash,
  ): Promise<void> {
    const target = known ?? (await this.targetHash(verifier, plan, after, upTo));
    if (target.count === sourceHash.count && target.hash === sourceHash.hash) return;
    if (
      sourceHash.count <= ROW_HASH_ROWS &&
      (await this.locateByRowHashes(source, table, verifier, report, repaired, plan, after, upTo))
    )
      return;
    if (sourceHash.count > BISECT_ROWS) {
      const left = await this.sourceHash(source, table, after, upTo, Math.ceil(sourceHash.count / 2), plan);
      const middle = left.lastKey;
      // The rows went meanwhile (no middle key): the whole range is compared row by row below.
      if (middle !== null) {
        await this.bisect(source, table, verifier, report, repaired, plan, after, middle, left);
        const right = await this.sourceHash(source, table, middle, upTo, Number.POSITIVE_INFINITY, plan);
        await this.bisect(source, table, verifier, report, repaired, plan, middle, upTo, right);
        return;
      }
    }
    const rows = await this.read(source, table, after, upTo, Number.POSITIVE_INFINITY);
    // Source-native keys bound the target too: the key values are the same on both sides.
    const bounds: ChunkBounds = { after, upTo, targetAfter: after, targetUpTo: upTo };
    await this.checkRange(source, table, verifier, report, repaired, bounds, rows);
  }

  /**
   * Compares a differing range's rows by their hashes read from both sides (one query each
   * instead of halving), then the rows whose hashes differ row by row. False when the
   * sides cannot list row hashes, the key is not of integers (the merge needs their order)
   * or either side holds more rows than expected: then the range is halved instead.
   */
  private async locateByRowHashes(
    source: SourceSide,
    table: VerifiableTable,
    verifier: SinkVerifier,
    report: TableReport,
    repaired: Repaired,
    plan: TargetHashPlan,
    after: readonly unknown[] | null,
    upTo: readonly unknown[] | null,
  ): Promise<boolean> {
    if (!table.integerKey || !source.reader.rowHashes || !verifier.rowHashes) return false;
    const limit = ROW_HASH_ROWS + this.options.chunkSize;
    await source.reader.begin();
    let sourceRows: TextChunk;
    try {
      sourceRows = await source.reader.rowHashes(table, after, upTo, limit, plan);
    } finally {
      await source.reader.end();
    }
    await this.throttle(sourceRows.rows.length);
    if (sourceRows.rows.length >= limit) return false;
    const targetLimit = sourceRows.rows.length + this.options.chunkSize;
    const targetRows = await verifier.rowHashes(plan, after, upTo, targetLimit);
    await this.throttle(targetRows.length);
    if (targetRows.length >= targetLimit) return false;
    const comparison = rowHashComparison(plan.table, table.keyColumns.length);
    const extraRowsDiffer = verifier.appliesDeletes(plan.table);
    for (const range of differingRanges(comparison, after, sourceRows.rows, targetRows, extraRowsDiffer)) {
      const rows = await this.read(source, table, range.after, range.upTo, Number.POSITIVE_INFINITY);
      const bounds: ChunkBounds = { ...range, targetAfter: range.after, targetUpTo: range.upTo };
      await this.checkRange(source, table, verifier, report, repaired, bounds, rows);
    }
    return true;
  }

  private async sourceHash(
    source: SourceSide,
    table: VerifiableTable,
    after: readonly unknown[] | null,
    upTo: readonly unknown[] | null,
    limit: number,
    plan: TargetHashPlan,
  ): Promise<RangeHash> {
    if (!source.reader.hashRange) throw new Error('the source reader cannot hash ranges');
    await source.reader.begin();
    try {
      const hash = await source.reader.hashRange(table, after, upTo, limit, plan);
      await this.throttle(hash.count);
      return hash;
    } finally {
      await source.reader.end();
    }
  }

  /**
   * The streamed path: each chunk's rows read from the source, mapped by the sink and
   * compared with the target's rows of the same range. False when the sink does not
   * consume the table's topic.
   */
  private async verifyStreamed(
    source: SourceSide,
    table: VerifiableTable,
    verifier: SinkVerifier,
    report: TableReport,
    repaired: Repaired,
  ): Promise<boolean> {
    let after: readonly unknown[] | null = null;
    let targetAfter: TargetKey | null = null;
    let first = await this.read(source, table, null, null, this.options.chunkSize);
    if (first.sinkRecords === 0 && first.chunk.records.length > 0) return false;
    for (;;) {
      if (this.callbacks.signal.aborted) return true;
      const mapped = first.expected.find((row) => row.kind !== 'unmappable');
      report.target_table ??= mapped && 'table' in mapped ? mapped.table : null;
      if (!this.wanted(table.id, report.target_table)) return true;
      const final = first.chunk.records.length < this.options.chunkSize;
      const bounds: ChunkBounds = {
        after,
        upTo: final ? null : first.chunk.lastKey,
        targetAfter,
        targetUpTo: final ? null : lastBound(first.expected),
      };
      report.chunks++;
      report.rows_compared += first.chunk.records.length;
      verifyRowsCompared.inc({ connector: this.options.sink, table: table.id }, first.chunk.records.length);
      this.callbacks.onProgress(table.id, report.rows_compared);
      // The source reads chunk n + 1 while the target's rows of chunk n are read and compared.
      const next = final ? null : this.read(source, table, bounds.upTo, null, this.options.chunkSize);
      // Its failure surfaces at `await next` below; meanwhile it must not count as unhandled.
      next?.catch(() => undefined);
      await this.checkRange(source, table, verifier, report, repaired, bounds, first, async () => {
        await next?.catch(() => undefined);
      });
      if (final || next === null) return true;
      after = bounds.upTo;
      targetAfter = bounds.targetUpTo;
      first = await next;
    }
  }

  /** Compares one range row by row: re-reads what differs, repairs it when asked, records what remains. */
  private async checkRange(
    source: SourceSide,
    table: VerifiableTable,
    verifier: SinkVerifier,
    report: TableReport,
    repaired: Repaired,
    bounds: ChunkBounds,
    first: SourceRead,
    /** Resolves once a read started ahead is done: the source connection is then free again. */
    sourceIdle: () => Promise<unknown> = () => Promise.resolve(),
  ): Promise<void> {
    report.rows_unchecked += first.expected.filter(
      (r) => r.kind === 'unchecked' || r.kind === 'unmappable',
    ).length;
    if (report.target_table === null) {
      if (first.chunk.records.length > 0)
        report.notes.push('no source row of this chunk maps to a target row; nothing to compare');
      return;
    }
    let differences = await this.compare(verifier, report, first.expected, bounds);
    if (differences.length === 0) return;
    await sourceIdle();
    differences = await this.recheck(source, table, verifier, report, bounds, first.position, differences);
    if (differences.length > 0 && this.options.repair) {
      const outcome = await this.repair(source, table, verifier, report.target_table, bounds, differences);
      repaired.written += outcome.written;
      repaired.deleted += outcome.deleted;
      for (const difference of differences)
        if (repaired.rows.length < MAX_LISTED) repaired.rows.push(difference);
      const confirm = await this.read(source, table, bounds.after, bounds.upTo, Number.POSITIVE_INFINITY);
      differences = await this.compare(verifier, report, confirm.expected, bounds);
      differences = await this.recheck(
        source,
        table,
        verifier,
        report,
        bounds,
        confirm.position,
        differences,
      );
    }
    report.differences_total += differences.length;
    for (const difference of differences)
      if (report.differences.length < MAX_LISTED) report.differences.push(shownDifference(difference));
  }

  /**
   * How the table is compared: the sink's hash plan when both sides can hash in one engine,
   * else its text plan when both sides can read plain column values and a first sample of
   * rows compares through it as through the sink's mapping; null: rows mapped by the sink.
   * 'not consumed' when the sink does not read the table.
   */
  private async comparisonPlan(
    source: SourceSide,
    table: VerifiableTable,
    verifier: SinkVerifier,
  ): Promise<ComparisonPlan | 'not consumed'> {
    const canHash = source.reader.hashRange && verifier.hashPlan && verifier.hashRange;
    const canText = table.integerKey && source.reader.readTexts && verifier.textPlan && verifier.readTexts;
    if (!canHash && !canText) return null;
    const sample = await this.read(source, table, null, null, 1);
    const [record] = sample.records;
    if (!record) return sample.chunk.records.length > 0 ? 'not consumed' : null;
    const hash = canHash ? await verifier.hashPlan?.(record, source.reader.engine) : null;
    if (hash) return { kind: 'hash', plan: hash };
    const texts = canText ? await verifier.textPlan?.(record, table.keyColumns) : null;
    return texts && (await this.textPlanHolds(source, table, texts)) ? { kind: 'texts', plan: texts } : null;
  }

  /**
   * True when the first rows' column texts canonicalise to exactly what the sink's mapping
   * makes of their records, column for column, and the mapping compares no other column:
   * then a chunk whose texts are equal on both sides is equal as the sink compares it.
   */
  private async textPlanHolds(
    source: SourceSide,
    table: VerifiableTable,
    plan: TextComparisonPlan,
  ): Promise<boolean> {
    if (!source.reader.readTexts) return false;
    await source.reader.begin();
    let chunk: SourceChunk;
    let texts: TextChunk;
    try {
      chunk = await source.reader.readChunk(table, null, null, TEXT_PLAN_SAMPLE);
      const columns = plan.columns.map((column) => column.source);
      texts = await source.reader.readTexts(table, null, chunk.lastKey, TEXT_PLAN_SAMPLE, columns);
    } finally {
      await source.reader.end();
    }
    const records = chunk.records.flatMap((record) => this.asSinkRecord(source, record));
    if (records.length !== chunk.records.length || texts.rows.length !== records.length) return false;
    const expected = await this.verifier.expected(records);
    const targets = new Set(plan.columns.map((column) => column.target));
    return expected.every((row, i) => {
      const values = texts.rows[i];
      if (row.kind !== 'row' || row.table !== plan.table || values === undefined) return false;
      if (Object.keys(row.row.columns).some((name) => !targets.has(name))) return false;
      return plan.columns.every(
        (column, c) => column.canonical(values[c] ?? null) === (row.row.columns[column.target] ?? null),
      );
    });
  }

  /**
   * The text path: each chunk's column values read from both sides (the next source chunk
   * read while this one is compared), compared in the worker; only the ranges that differ
   * are then compared row by row through the sink's mapping, with re-reads and repair.
   */
  private async verifyTexts(
    source: SourceSide,
    table: VerifiableTable,
    verifier: SinkVerifier,
    report: TableReport,
    repaired: Repaired,
    plan: TextComparisonPlan,
  ): Promise<void> {
    const { chunkSize } = this.options;
    const columns = plan.columns.map((column) => column.source);
    const extraRowsDiffer = verifier.appliesDeletes(plan.table);
    let after: readonly unknown[] | null = null;
    let pending: Promise<TextChunk> | null = this.sourceTexts(source, table, null, chunkSize, columns);
    while (pending !== null) {
      const chunk: TextChunk = await pending;
      // Checked with no read in flight: the source connection is left idle.
      if (this.callbacks.signal.aborted) return;
      const final = chunk.rows.length < chunkSize;
      const upTo = final ? null : chunk.lastKey;
      // The source reads chunk n + 1 while the target's values of chunk n are read and compared.
      pending = final ? null : this.sourceTexts(source, table, upTo, chunkSize, columns);
      // Its failure surfaces when awaited; meanwhile it must not count as unhandled.
      pending?.catch(() => undefined);
      const limit = chunk.rows.length + chunkSize;
      if (!verifier.readTexts) throw new Error('the sink verifier cannot read column values');
      const target = await verifier.readTexts(plan, after, upTo, limit);
      await this.throttle(target.length);
      report.chunks++;
      report.rows_compared += chunk.rows.length;
      verifyRowsCompared.inc({ connector: this.options.sink, table: table.id }, chunk.rows.length);
      this.callbacks.onProgress(table.id, report.rows_compared);
      // A target holding more rows than read: the whole chunk goes row by row (which notes it).
      const ranges =
        target.length >= limit
          ? [{ after, upTo }]
          : differingRanges(plan, after, chunk.rows, target, extraRowsDiffer);
      if (ranges.length > 0) await pending?.catch(() => undefined);
      for (const range of ranges) {
        const rows = await this.read(source, table, range.after, range.upTo, Number.POSITIVE_INFINITY);
        const bounds: ChunkBounds = { ...range, targetAfter: range.after, targetUpTo: range.upTo };
        await this.checkRange(source, table, verifier, report, repaired, bounds, rows);
      }
      after = upTo;
    }
  }

  private async sourceTexts(
    source: SourceSide,
    table: VerifiableTable,
    after: readonly unknown[] | null,
    limit: number,
    columns: readonly string[],
  ): Promise<TextChunk> {
    if (!source.reader.readTexts) throw new Error('the source reader cannot read column values');
    await source.reader.begin();
    let chunk: TextChunk;
    try {
      chunk = await source.reader.readTexts(table, after, null, limit, columns);
    } finally {
      await source.reader.end();
    }
    await this.throttle(chunk.rows.length);
    return chunk;
  }

  /** Re-reads a differing chunk after the pipeline caught up; keeps only what still differs. */
  private async recheck(
    source: SourceSide,
    table: VerifiableTable,
    verifier: SinkVerifier,
    report: TableReport,
    bounds: ChunkBounds,
    position: SourcePosition,
    differences: RowDifference[],
  ): Promise<RowDifference[]> {
    let current = differences;
    let readAt = position;
    for (let attempt = 0; attempt < this.options.rechecks && current.length > 0; attempt++) {
      const settled = await waitUntilApplied(
        this.host,
        source,
        this.options.sink,
        readAt,
        this.options.settleTimeoutMs,
        this.callbacks.signal,
      );
      if (!settled) report.unsettled_rechecks++;
      const again = await this.read(source, table, bounds.after, bounds.upTo, Number.POSITIVE_INFINITY);
      if (report.target_table === null) return [];
      const next = persisting(current, await this.compare(verifier, report, again.expected, bounds));
      readAt = again.position;
      const stable = next.length === current.length && settled;
      current = next;
      if (stable) break;
    }
    return current;
  }

  private async repair(
    source: SourceSide,
    table: VerifiableTable,
    verifier: SinkVerifier,
    targetTable: string,
    bounds: ChunkBounds,
    differences: readonly RowDifference[],
  ) {
    const fresh = await this.read(source, table, bounds.after, bounds.upTo, Number.POSITIVE_INFINITY);
    const keys = new Set(differences.map((difference) => difference.key));
    const rewrite: SinkRecord[] = [];
    fresh.expected.forEach((row, i) => {
      const record = fresh.records[i];
      if (record && row.kind !== 'unmappable' && keys.has(row.key)) rewrite.push(record);
    });
    const sourceKeys = new Set(fresh.expected.flatMap((row) => (row.kind === 'unmappable' ? [] : [row.key])));
    const extra = differences
      .filter((difference) => difference.kind === 'extra' && !sourceKeys.has(difference.key))
      .map((difference) => ({ table: targetTable, key: difference.key }));
    const outcome = await verifier.repair(rewrite, extra);
    this.callbacks.logger.info('verification repaired rows', {
      connector: this.options.sink,
      table: targetTable,
      written: outcome.written,
      deleted: outcome.deleted,
    });
    return outcome;
  }

  /**
   * The target's rows of the range against the expected ones. The target read is bounded
   * (the source rows plus one chunk of extra rows): when a range holds more, the rows past
   * the limit were not read, so only differences that are certain (extra, different) count.
   */
  private async compare(
    verifier: SinkVerifier,
    report: TableReport,
    expected: readonly ExpectedRow[],
    bounds: ChunkBounds,
  ): Promise<RowDifference[]> {
    const targetTable = report.target_table ?? '';
    const inTable = expected.filter((row) => row.kind === 'unmappable' || row.table === targetTable);
    const limit = inTable.length + this.options.chunkSize;
    const target = await verifier.readRange(targetTable, bounds.targetAfter, bounds.targetUpTo, limit);
    await this.throttle(target.length);
    const differences = compareRows(inTable, target, verifier.appliesDeletes(targetTable));
    if (target.length < limit) return differences;
    const note = `the target holds more rows than ${limit} in a key range; rows past them are not compared there (verify again after a repair)`;
    if (!report.notes.includes(note)) report.notes.push(note);
    return differences.filter((difference) => difference.kind !== 'missing');
  }

  /** One source read in its own snapshot, mapped by the sink. */
  private async read(
    source: SourceSide,
    table: VerifiableTable,
    after: readonly unknown[] | null,
    upTo: readonly unknown[] | null,
    limit: number,
  ): Promise<SourceRead> {
    const position = await source.reader.begin();
    let chunk;
    try {
      chunk = await source.reader.readChunk(table, after, upTo, limit);
    } finally {
      await source.reader.end();
    }
    await this.throttle(chunk.records.length);
    const records = chunk.records.flatMap((record) => this.asSinkRecord(source, record));
    return {
      position,
      chunk,
      records,
      sinkRecords: records.length,
      expected: await this.verifier.expected(records),
    };
  }

  /** The record as the sink would receive it: the source's transforms, its topic, the sink's transforms. */
  private asSinkRecord(source: SourceSide, record: SourceRecord): SinkRecord[] {
    const produced = source.transform ? source.transform.apply(record) : record;
    if (produced === null || !this.sinkTopics(produced.topic)) return [];
    const received: SinkRecord = { ...produced, kafkaPartition: 0, kafkaOffset: -1n };
    const transformed = this.sinkTransform ? this.sinkTransform.apply(received) : received;
    return transformed === null ? [] : [transformed];
  }

  private wanted(sourceTable: string, targetTable: string | null): boolean {
    const { tables } = this.options;
    return (
      tables.length === 0 ||
      tables.includes(sourceTable) ||
      (targetTable !== null && tables.includes(targetTable))
    );
  }

  /** Keeps reads at or below maxRowsPerSecond per side. */
  private async throttle(rows: number): Promise<void> {
    this.rowsRead += rows;
    const rate = this.options.maxRowsPerSecond;
    if (rate <= 0) return;
    const dueMs = (this.rowsRead / 2 / rate) * 1000 - (Date.now() - this.startedAt);
    if (dueMs > 0) await sleep(dueMs, this.callbacks.signal);
  }
}

function transformOf(raw: Record<string, string>): Transform | null {
  return raw.transforms && raw.transforms.trim() !== '' ? buildTransformChain(raw) : null;
}

function lastBound(expected: readonly ExpectedRow[]): TargetKey | null {
  for (let i = expected.length - 1; i >= 0; i--) {
    const row = expected[i];
    if (row && row.kind !== 'unmappable') return row.boundKey;
  }
  return null;
}

function finish(report: TableReport, started: number): TableReport {
  report.seconds = Math.round((Date.now() - started) / 10) / 100;
  return report;
}
