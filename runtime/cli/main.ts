import { SiphonError } from '../plugin/errors.js';
import { sleep } from '../plugin/backoff.js';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { parseProperties } from '../config/properties-file.js';
import { loadWorkerConfig } from '../config/worker-config.js';
import { createLogger } from '../logging/logger.js';
import { runSchemaRegistryMain } from '../registry/index.js';
import { installedConnectorsDir, PluginCatalog } from '../worker/plugin-catalog.js';
import { startWorkerProcess } from '../worker/worker-process.js';
import { fullConfigReference } from './config-reference.js';
import { followEvents } from './events-command.js';
import { RestClient, RestClientError } from './rest-client.js';
import { describeProgress, snapshotting } from './progress-bar.js';
import { formatTable } from './table.js';
import { verifyCommand } from './verify-command.js';
import { workersCommand } from './workers-command.js';

/**
 * `siphon`: runs the worker, or talks to a running worker's REST API with readable
 * tables (or `--json`). Exit code 1 on any error, with the worker's message.
 */
const usage = `Usage: siphon <command> [options]

Commands:
  worker [-c worker.properties|worker.yaml]   run a worker (SIPHON_* env vars override the file)
  registry [-c worker.properties]             run only the schema registry (schema.registry.* keys)
  docs [-c worker.properties]                 print the Markdown config reference (worker and plugins)
  plugins                                     list installed connector plugins
  workers                                     the cluster's workers and what each runs
  connectors list                             list connectors with their state
  connectors get <name>                       show a connector's config and tasks
  connectors create -f <file>                 create from JSON ({"name","config"}) or .properties
  connectors update <name> -f <file>          replace a connector's config
  connectors status <name> [--watch]          connector and task states, snapshot progress bars, failure traces
                                              (--watch: redrawn every second while a snapshot runs)
  connectors pause|resume|stop <name>         change the target state
  connectors restart <name> [--include-tasks] [--only-failed]
  connectors delete <name>                    remove a connector (offsets are kept; prints what it left behind)
  connectors offsets <name>                   committed offsets
  connectors snapshot <name> --table t [--table t]... [--blocking]
                                              snapshot tables again while streaming goes on (incremental)
  events [--connector <n>] [--types <t,…>]   follow the live event stream (GET /events)
  verify <sink> [--table t]... [--repair]     compare a sink's target with its source (exit 0 equal, 1 different, 2 error)

Options:
  --url <url>       worker REST URL (default $SIPHON_URL or http://127.0.0.1:8083)
  --token <token>   bearer token (default $SIPHON_REST_TOKEN)
  --json            print the API's JSON instead of tables; errors as {"error_code", "message"} on stderr
  -h, --help        this help`;

/** A command line the CLI cannot run (unknown command, missing argument); shown with the usage. */
class UsageError extends SiphonError {
  override readonly name: string = 'UsageError';

  constructor(message: string) {
    super(message, false);
  }
}

interface ConnectorStatus {
  name: string;
  type: string;
  connector: { state: string; worker_id: string; trace?: string };
  tasks: {
    id: number;
    state: string;
    worker_id: string;
    trace?: string;
    progress?: Record<string, string | number>;
  }[];
}

/** A name column never wider than this; longer names keep their start and end. */
const nameWidth = 48;

function elide(text: string, width: number): string {
  if (text.length <= width) return text;
  const head = Math.ceil((width - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (width - 1 - head))}`;
}

function readConnectorFile(path: string): { name?: string; config: Record<string, string> } {
  const text = readFileSync(path, 'utf8');
  if (extname(path).toLowerCase() === '.properties') {
    const config = parseProperties(text);
    return { name: config.name, config };
  }
  const json = JSON.parse(text) as { name?: string; config?: Record<string, string> } & Record<
    string,
    string
  >;
  return json.config
    ? { name: json.name ?? json.config.name, config: json.config }
    : { name: json.name, config: json };
}

export async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean', default: false },
      file: { type: 'string', short: 'f' },
      config: { type: 'string', short: 'c' },
      'include-tasks': { type: 'boolean', default: false },
      'only-failed': { type: 'boolean', default: false },
      connector: { type: 'string' },
      types: { type: 'string' },
      table: { type: 'string', multiple: true },
      repair: { type: 'boolean', default: false },
      blocking: { type: 'boolean', default: false },
      watch: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, sub, name] = positionals;
  if (values.help || !command) {
    process.stdout.write(usage + '\n');
    return values.help ? 0 : 1;
  }
  if (command === 'worker') {
    await startWorkerProcess({ configFile: values.config, handleSignals: true });
    return -1; // keeps running until a signal
  }
  if (command === 'docs') {
    const config = loadWorkerConfig({ file: values.config });
    const catalog = await PluginCatalog.load({
      connectorsDir: config.optionalString('connectors.dir') ?? installedConnectorsDir,
      modulePaths: config.list('plugin.path'),
      logger: createLogger(),
    });
    process.stdout.write(fullConfigReference(catalog));
    return 0;
  }
  if (command === 'registry') {
    await runSchemaRegistryMain({ configFile: values.config });
    return -1;
  }
  const url = values.url ?? process.env.SIPHON_URL ?? 'http://127.0.0.1:8083';
  const token = values.token ?? process.env.SIPHON_REST_TOKEN;
  if (command === 'events') {
    await followEvents({
      url,
      authorization: token ? `Bearer ${token}` : null,
      connector: values.connector,
      types: values.types,
      json: values.json,
      write: (line) => process.stdout.write(line + '\n'),
    });
    return 0;
  }
  const client = new RestClient({ url, token });
  const print = (json: unknown, table: () => string) =>
    process.stdout.write((values.json ? JSON.stringify(json, null, 2) : table()) + '\n');
  const needName = () => {
    if (!name) throw new UsageError(`siphon connectors ${sub} needs a connector name`);
    return encodeURIComponent(name);
  };

  if (command === 'plugins') {
    const plugins = await client.request<{ class: string; type: string; version: string }[]>(
      'GET',
      '/connector-plugins',
    );
    print(plugins, () =>
      formatTable(
        ['CLASS', 'TYPE', 'VERSION'],
        plugins.map((p) => [p.class, p.type, p.version]),
      ),
    );
    return 0;
  }
  if (command === 'verify')
    return verifyCommand(client, sub, {
      tables: values.table ?? [],
      repair: values.repair,
      json: values.json,
    });
  if (command === 'workers') return workersCommand(client, values.json);
  if (command !== 'connectors') throw new UsageError(`Unknown command "${command}"`);

  switch (sub) {
    case 'list': {
      const all = await client.request<Record<string, { status: ConnectorStatus }>>(
        'GET',
        '/connectors?expand=status',
      );
      print(all, () =>
        formatTable(
          ['NAME', 'TYPE', 'STATE', 'WORKER', 'TASKS'],
          Object.values(all).map(({ status }) => [
            elide(status.name, nameWidth),
            status.type,
            status.connector.state,
            status.connector.worker_id,
            status.tasks.map((t) => `${t.id}:${t.state}@${t.worker_id}`).join(' '),
          ]),
        ),
      );
      return 0;
    }
    case 'get': {
      const info = await client.request<{
        name: string;
        type: string;
        config: Record<string, string>;
        tasks: unknown[];
      }>('GET', `/connectors/${needName()}`);
      print(info, () =>
        [
          `${info.name} (${info.type}, ${info.tasks.length} task(s))`,
          formatTable(
            ['KEY', 'VALUE'],
            Object.entries(info.config).map(([k, v]) => [k, v]),
          ),
        ].join('\n'),
      );
      return 0;
    }
    case 'create':
    case 'update': {
      if (!values.file) throw new UsageError(`siphon connectors ${sub} needs -f <file>`);
      const file = readConnectorFile(values.file);
      const info =
        sub === 'create'
          ? await client.request<{ name: string }>('POST', '/connectors', {
              name: file.name,
              config: file.config,
            })
          : await client.request<{ name: string }>('PUT', `/connectors/${needName()}/config`, file.config);
      print(info, () => `${sub === 'create' ? 'Created' : 'Updated'} connector ${info.name}`);
      return 0;
    }
    case 'status': {
      const path = `/connectors/${needName()}/status`;
      const show = (status: ConnectorStatus) =>
        print(status, () => {
          const rows = [
            ['connector', status.connector.state, status.connector.worker_id, ''],
            ...status.tasks.map((t) => [`task ${t.id}`, t.state, t.worker_id, describeProgress(t.progress)]),
          ];
          const traces = [status.connector, ...status.tasks]
            .filter((s) => s.trace)
            .map((s) => `\n${'id' in s ? `task ${String(s.id)}` : 'connector'} trace:\n${s.trace}`);
          return formatTable(['WHAT', 'STATE', 'WORKER', 'PROGRESS'], rows) + traces.join('');
        });
      let status = await client.request<ConnectorStatus>('GET', path);
      show(status);
      // --watch: redrawn every second while a task snapshots (Ctrl-C ends it sooner).
      while (values.watch && status.tasks.some((t) => snapshotting(t.progress))) {
        await sleep(1000);
        status = await client.request<ConnectorStatus>('GET', path);
        if (process.stdout.isTTY && !values.json) process.stdout.write('\x1b[H\x1b[2J');
        show(status);
      }
      return 0;
    }
    case 'pause':
    case 'resume':
    case 'stop': {
      await client.request('PUT', `/connectors/${needName()}/${sub}`);
      print({ name, requested: sub }, () => `Requested ${sub} of ${name}`);
      return 0;
    }
    case 'restart': {
      const query = `?includeTasks=${values['include-tasks']}&onlyFailed=${values['only-failed']}`;
      const result = await client.request('POST', `/connectors/${needName()}/restart${query}`);
      print(result ?? { name, restarted: true }, () => `Restarting ${name}`);
      return 0;
    }
    case 'delete': {
      const { warnings } = await client.exchange('DELETE', `/connectors/${needName()}`);
      print({ name, deleted: true, ...(warnings.length > 0 ? { warnings } : {}) }, () =>
        [`Deleted connector ${name}`, ...warnings.map((w) => `Warning: ${w}`)].join('\n'),
      );
      return 0;
    }
    case 'snapshot': {
      const tables = values.table ?? [];
      if (tables.length === 0)
        throw new UsageError('siphon connectors snapshot needs --table <schema.table>');
      const body = { type: values.blocking ? 'blocking' : 'incremental', 'data-collections': tables };
      const result = await client.request('POST', `/connectors/${needName()}/snapshots`, body);
      print(
        result,
        () =>
          `Requested a${values.blocking ? ' blocking' : 'n incremental'} snapshot of ${tables.join(', ')} from ${name}`,
      );
      return 0;
    }
    case 'offsets': {
      const result = await client.request<{ offsets: { partition: unknown; offset: unknown }[] }>(
        'GET',
        `/connectors/${needName()}/offsets`,
      );
      print(result, () =>
        formatTable(
          ['PARTITION', 'OFFSET'],
          result.offsets.map((o) => [JSON.stringify(o.partition), JSON.stringify(o.offset)]),
        ),
      );
      return 0;
    }
    default:
      throw new UsageError(`Unknown connectors subcommand "${sub ?? ''}"`);
  }
}

/** `--json`: every failure as Kafka Connect's error body (error_code null when no HTTP status). */
function jsonError(error: unknown): string {
  const status = error instanceof RestClientError && error.status > 0 ? error.status : null;
  return JSON.stringify({ error_code: status, message: (error as Error).message ?? String(error) });
}

export async function run(argv: readonly string[]): Promise<void> {
  try {
    const code = await main(argv);
    if (code >= 0) process.exitCode = code;
  } catch (error) {
    if (argv.includes('--json')) {
      process.stderr.write(`${jsonError(error)}\n`);
    } else if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${usage}\n`);
    } else if (error instanceof RestClientError) {
      process.stderr.write(`Error${error.status ? ` ${error.status}` : ''}: ${error.message}\n`);
    } else {
      // Not a user mistake: the stack says where it came from.
      const { message, stack } = error as Error;
      process.stderr.write(`${stack ?? `Error: ${message}`}\n`);
    }
    process.exit(1);
  }
}
