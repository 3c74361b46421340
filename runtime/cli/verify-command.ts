import { sleep } from '../plugin/backoff.js';
import type { VerifyRunView } from '../verify/verify-report.js';
import type { RestClient } from './rest-client.js';
import { formatTable } from './table.js';

/**
 * `siphon verify <sink> [--table t]… [--repair] [--json]`: starts a verification through
 * the REST API, shows a progress line on stderr while it runs, prints the report and exits
 * 0 when the target equals the source, 1 when it differs, 2 when the verification failed
 * (or could not start).
 */
export interface VerifyCommandOptions {
  readonly tables: readonly string[];
  readonly repair: boolean;
  readonly json: boolean;
  readonly pollMs?: number;
}

export async function verifyCommand(
  client: RestClient,
  sink: string | undefined,
  options: VerifyCommandOptions,
): Promise<number> {
  if (!sink) {
    process.stderr.write(
      'siphon verify needs a sink connector name: siphon verify <sink> [--table t] [--repair]\n',
    );
    return 2;
  }
  try {
    const path = `/connectors/${encodeURIComponent(sink)}/verify`;
    const body = { ...(options.tables.length > 0 ? { tables: options.tables } : {}), repair: options.repair };
    const started = await client.request<{ id: string }>('POST', path, body);
    const progress = progressLine();
    let run: VerifyRunView;
    for (;;) {
      run = await client.request<VerifyRunView>('GET', `${path}/${encodeURIComponent(started.id)}`);
      if (run.state !== 'RUNNING') break;
      progress.show(run);
      await sleep(options.pollMs ?? 500);
    }
    progress.done();
    process.stdout.write(`${options.json ? JSON.stringify(run, null, 2) : describeRun(run)}\n`);
    return run.state === 'EQUAL' ? 0 : run.state === 'DIFFERENT' ? 1 : 2;
  } catch (error) {
    process.stderr.write(`Error: ${(error as Error).message}\n`);
    return 2;
  }
}

function progressLine() {
  const tty = process.stderr.isTTY === true;
  let lastText = '';
  let lastAt = 0;
  return {
    show(run: VerifyRunView) {
      const { tables_done, table, rows_compared } = run.progress;
      const text = `[verify] ${run.connector}: ${rows_compared} rows compared, ${tables_done} table(s) done${table ? `, reading ${table}` : ''}`;
      if (tty) process.stderr.write(`\r${text}\u001b[K`);
      else if (text !== lastText && Date.now() - lastAt > 2000) {
        process.stderr.write(`${text}\n`);
        lastAt = Date.now();
      }
      lastText = text;
    },
    done() {
      if (tty && lastText) process.stderr.write('\r\u001b[K');
    },
  };
}

export function describeRun(run: VerifyRunView): string {
  const lines: string[] = [];
  lines.push(
    formatTable(
      ['TABLE', 'TARGET', 'COMPARED BY', 'ROWS', 'CHUNKS', 'SECONDS', 'DIFFERENT', 'REPAIRED'],
      run.tables.map((t) => [
        t.table,
        t.target_table ?? '-',
        t.comparison,
        String(t.rows_compared),
        String(t.chunks),
        t.seconds.toFixed(2),
        String(t.differences_total),
        t.repaired ? String(t.repaired.written + t.repaired.deleted) : '-',
      ]),
    ),
  );
  const rows = run.tables.flatMap((t) =>
    t.differences.flatMap((d) =>
      d.columns && d.columns.length > 0
        ? d.columns.map((c) => [
            t.target_table ?? t.table,
            d.key,
            d.kind,
            c.column,
            show(c.source),
            show(c.target),
          ])
        : [[t.target_table ?? t.table, d.key, d.kind, '', '', '']],
    ),
  );
  if (rows.length > 0)
    lines.push('', formatTable(['TABLE', 'KEY', 'KIND', 'COLUMN', 'SOURCE', 'TARGET'], rows));
  for (const t of run.tables) for (const note of t.notes) lines.push(`note (${t.table}): ${note}`);
  const total = run.tables.reduce((sum, t) => sum + t.rows_compared, 0);
  const different = run.tables.reduce((sum, t) => sum + t.differences_total, 0);
  const repaired = run.tables.reduce((sum, t) => sum + (t.repaired?.rows.length ?? 0), 0);
  lines.push('');
  if (run.state === 'EQUAL')
    lines.push(
      `EQUAL: ${run.connector} equals its source (${total} rows in ${run.tables.length} table(s))${repaired > 0 ? `; ${repaired} row(s) repaired` : ''}`,
    );
  else if (run.state === 'DIFFERENT')
    lines.push(
      `DIFFERENT: ${different} row(s) of ${run.connector} differ from the source (${total} rows compared)`,
    );
  else lines.push(`${run.state}: ${run.error ?? 'the verification did not finish'}`);
  return lines.join('\n');
}

function show(value: string | null): string {
  return value === null ? 'NULL' : value;
}
