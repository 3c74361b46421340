import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import {
  ConfigProviderError,
  resolveConfigProviders,
  unrestrictedProviders,
  type ConfigProviderPolicy,
} from '../../runtime/config/config-providers.js';
import { maskUrlCredentials, urlPasswords } from '../../runtime/config/url-credentials.js';
import {
  loadWorkerConfig,
  openProviderWarnings,
  providerPolicyOf,
} from '../../runtime/config/worker-config.js';
import { configureLogging, createLogger, maskSecrets, registerSecret } from '../../runtime/logging/logger.js';
import { connectorConfigDef } from '../../runtime/worker/connector-config.js';
import {
  maskConfig,
  validateConnector,
  validateResponse,
} from '../../runtime/worker/connector-validation.js';
import { PluginCatalog } from '../../runtime/worker/plugin-catalog.js';
import { counterSource, fileSink } from '../fixtures/counter-plugins.js';

/**
 * Secrets never leave the worker: provider allow-lists, validation messages that never
 * quote a resolved value, log masking in both formats whatever the secret's characters,
 * and URL passwords masked like password keys.
 */
const dir = mkdtempSync(join(tmpdir(), 'siphon-secrets-'));
const secretValue = 'resolved-s3cret-value';

before(() => {
  mkdirSync(join(dir, 'secrets'));
  writeFileSync(join(dir, 'secrets', 'db.properties'), `k=${secretValue}\n`);
  // Next to the allowed directory, with a name that merely starts the same.
  writeFileSync(join(dir, 'secrets-file.properties'), `k=${secretValue}\n`);
  writeFileSync(join(dir, 'outside.properties'), `k=${secretValue}\n`);
  process.env.SIPHON_UNIT_ALLOWED_PW = secretValue;
  process.env.SIPHON_UNIT_OTHER_PW = secretValue;
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
  delete process.env.SIPHON_UNIT_ALLOWED_PW;
  delete process.env.SIPHON_UNIT_OTHER_PW;
});

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigProviderError, String(error));
    return error.message;
  }
  assert.fail('the reference was resolved');
}

describe('config provider allow-lists', () => {
  const policy = (): ConfigProviderPolicy => ({
    enabled: ['env', 'file'],
    allowedPaths: [join(dir, 'secrets')],
    envAllowlist: /^(?:SIPHON_UNIT_ALLOWED_.*)$/,
  });

  it('reads allowed variables and files only', () => {
    const resolved = resolveConfigProviders(
      { a: '${env:SIPHON_UNIT_ALLOWED_PW}', b: `\${file:${join(dir, 'secrets', 'db.properties')}:k}` },
      policy(),
    );
    assert.deepEqual(resolved.config, { a: secretValue, b: secretValue });
    const sibling = refusal(() =>
      resolveConfigProviders({ a: `\${file:${join(dir, 'secrets-file.properties')}:k}` }, policy()),
    );
    assert.match(sibling, /^a: .*allowed\.paths/);
  });

  it('refuses variables outside the pattern with one message, set or not', () => {
    const set = refusal(() => resolveConfigProviders({ p: '${env:SIPHON_UNIT_OTHER_PW}' }, policy()));
    const unset = refusal(() => resolveConfigProviders({ p: '${env:SIPHON_UNIT_NEVER_SET}' }, policy()));
    assert.match(set, /^p: .*allowlist\.pattern/);
    assert.equal(set.replace('OTHER_PW', 'X'), unset.replace('NEVER_SET', 'X'));
    assert.ok(!set.includes(secretValue));
  });

  it('refuses files outside the allowed paths with one message, present or not, traversal included', () => {
    const present = refusal(() =>
      resolveConfigProviders({ p: `\${file:${join(dir, 'outside.properties')}:k}` }, policy()),
    );
    const absent = refusal(() =>
      resolveConfigProviders({ p: `\${file:${join(dir, 'absent.properties')}:k}` }, policy()),
    );
    assert.equal(present.replace('outside', 'X'), absent.replace('absent', 'X'));
    assert.ok(!present.includes(secretValue));
    const traversal = refusal(() =>
      resolveConfigProviders(
        { p: `\${file:${join(dir, 'secrets', '..', 'outside.properties')}:k}` },
        policy(),
      ),
    );
    assert.match(traversal, /allowed\.paths/);
    const passwd = refusal(() => resolveConfigProviders({ p: '${file:/etc/passwd:root}' }, policy()));
    assert.doesNotMatch(passwd, /x:0:0/);
  });

  it('comes from the worker config, with Kafka-compatible defaults', () => {
    const open = providerPolicyOf(loadWorkerConfig({ env: {} }));
    assert.equal(open.allowedPaths, null);
    assert.ok(open.envAllowlist?.test('ANYTHING'));
    const strict = providerPolicyOf(
      loadWorkerConfig({
        env: {
          SIPHON_CONFIG_PROVIDERS_FILE_PARAM_ALLOWED_PATHS: '/etc/siphon/secrets,/run/secrets',
          SIPHON_CONFIG_PROVIDERS_ENV_PARAM_ALLOWLIST_PATTERN: 'PG_PASSWORD|MYSQL_PASSWORD',
        },
      }),
    );
    assert.deepEqual(strict.allowedPaths, ['/etc/siphon/secrets', '/run/secrets']);
    assert.equal(openProviderWarnings(loadWorkerConfig({ env: {} })).length, 2);
    assert.ok(strict.envAllowlist?.test('PG_PASSWORD'));
    assert.ok(!strict.envAllowlist?.test('XPG_PASSWORD'), 'the whole name must match');
    assert.ok(!strict.envAllowlist?.test('SIPHON_SASL_PASSWORD'));
    assert.throws(
      () => loadWorkerConfig({ env: { SIPHON_CONFIG_PROVIDERS_FILE_PARAM_ALLOWED_PATHS: 'secrets' } }),
      /allowed\.paths: .*absolute/,
    );
    assert.throws(
      () => loadWorkerConfig({ env: { SIPHON_CONFIG_PROVIDERS_ENV_PARAM_ALLOWLIST_PATTERN: '(' } }),
      /allowlist\.pattern/,
    );
  });
});

describe('validation never quotes a resolved value', () => {
  const catalog = PluginCatalog.load({
    connectorsDir: null,
    plugins: [counterSource, fileSink],
    logger: createLogger(),
  });
  const worker = { providers: unrestrictedProviders, exactlyOnceSource: false };

  it('names the key and its reference instead (validate endpoint and POST /connectors)', async () => {
    const raw = {
      name: 'c',
      'connector.class': 'counter',
      topic: 't',
      'batch.size': '${env:SIPHON_UNIT_ALLOWED_PW}',
      mode: '${env:SIPHON_UNIT_OTHER_PW}',
      transforms: 'r',
      'transforms.r.type': 'org.apache.kafka.connect.transforms.RegexRouter',
      'transforms.r.regex': '(${env:SIPHON_UNIT_ALLOWED_PW}',
      'transforms.r.replacement': 'x',
    };
    const validation = await validateConnector(await catalog, raw, worker);
    const text = JSON.stringify([...validation.errors]);
    assert.ok(!text.includes(secretValue), text);
    const batch = validation.errors.get('batch.size')?.[0] ?? '';
    assert.match(
      batch,
      /batch\.size.*\$\{env:SIPHON_UNIT_ALLOWED_PW\}.*resolved to an invalid value.*integer/,
    );
    assert.match(validation.errors.get('mode')?.[0] ?? '', /one of normal, fast/);
    assert.match(validation.errors.get('transforms.r.regex')?.[0] ?? '', /resolved to an invalid value/);
    const body = JSON.stringify(validateResponse(validation, raw, counterSource.className));
    assert.ok(!body.includes(secretValue));
  });

  it('does not quote a worker config value that came from a provider', () => {
    assert.throws(
      () => loadWorkerConfig({ env: { SIPHON_REST_PORT: '${env:SIPHON_UNIT_ALLOWED_PW}' } }),
      (e: Error) =>
        /rest\.port.*resolved to an invalid value/.test(e.message) && !e.message.includes(secretValue),
    );
  });

  it('masks URL passwords and password values in cross-key messages and shown values', async () => {
    const raw = {
      name: 'c',
      'connector.class': 'counter',
      topic: 'jdbc:postgresql://db/x?user=u&password=url-pa55',
      secret: 'literal-pa55',
    };
    const validation = await validateConnector(await catalog, raw, worker);
    const body = JSON.stringify(validateResponse(validation, raw, counterSource.className));
    assert.ok(!body.includes('url-pa55') && !body.includes('literal-pa55'), body);
    assert.match(body, /password=\[hidden\]/);
  });
});

describe('log masking', () => {
  const tricky = ['quo"te-zq9', 'back\\slash-zq9', 'both"\\\n-zq9', 'ünï-cödé\u2028-zq9'];
  let lines: string[] = [];
  before(() => tricky.forEach(registerSecret));
  after(() =>
    configureLogging({ format: 'text', level: 'info', write: (l) => process.stderr.write(l + '\n') }),
  );

  for (const format of ['json', 'text'] as const) {
    it(`masks every form of every secret in ${format} lines, fields and nested objects included`, () => {
      lines = [];
      configureLogging({ format, level: 'debug', write: (l) => lines.push(l) });
      const logger = createLogger({ component: 'test' });
      for (const secret of tricky) {
        logger.info(`message ${secret}`, {
          field: secret,
          nested: { deeper: { value: secret, list: [secret] } },
          quoted: JSON.stringify({ body: secret }),
          error: new Error(`failed with ${secret}`),
        });
      }
      assert.equal(lines.length, tricky.length);
      for (const [i, line] of lines.entries()) {
        const secret = tricky[i]!;
        const forms = [
          secret,
          JSON.stringify(secret).slice(1, -1),
          JSON.stringify(JSON.stringify(secret)).slice(3, -3),
        ];
        for (const form of forms)
          assert.ok(!line.includes(form), `${format} line shows ${JSON.stringify(form)}: ${line}`);
        // The visible part that is not secret ("-zq9") never survives on its own either.
        assert.ok(!line.includes('-zq9'), line);
        assert.ok((line.match(/\[hidden\]/g) ?? []).length >= 6, line);
        if (format === 'json') assert.doesNotThrow(() => JSON.parse(line), line);
      }
    });
  }

  it('masks a secret containing another secret as a whole', () => {
    registerSecret('inner-pw');
    registerSecret('outer-inner-pw-tail');
    assert.equal(maskSecrets('x outer-inner-pw-tail y inner-pw'), 'x [hidden] y [hidden]');
  });
});

describe('URL passwords', () => {
  it('masks userinfo and password query parameters, keeping provider references', () => {
    const cases: [string, string][] = [
      [
        'jdbc:postgresql://db:5432/x?user=u&password=p%40ss&ssl=true',
        'jdbc:postgresql://db:5432/x?user=u&password=[hidden]&ssl=true',
      ],
      ['jdbc:mysql://u:p@ss@db/x', 'jdbc:mysql://u:[hidden]@db/x'],
      ['postgres://user:pw@host/db', 'postgres://user:[hidden]@host/db'],
      ['jdbc:sqlserver://h;user=u;password=pw;db=x', 'jdbc:sqlserver://h;user=u;password=[hidden];db=x'],
      [
        'jdbc:postgresql://h/x?PASSWORD=pw&sslpassword=k',
        'jdbc:postgresql://h/x?PASSWORD=[hidden]&sslpassword=[hidden]',
      ],
      ['jdbc:postgresql://h/x?password=${env:PW}', 'jdbc:postgresql://h/x?password=${env:PW}'],
      ['jdbc:postgresql://u:${env:PW}@h/x', 'jdbc:postgresql://u:${env:PW}@h/x'],
      ['http://registry:8081', 'http://registry:8081'],
      ['mailto:a@b passwordless', 'mailto:a@b passwordless'],
    ];
    for (const [given, expected] of cases) assert.equal(maskUrlCredentials(given), expected, given);
    assert.deepEqual(urlPasswords('jdbc:postgresql://u:a%2Fb@h/x?password=p%40ss'), [
      'a%2Fb',
      'a/b',
      'p%40ss',
      'p@ss',
    ]);
  });

  it('masks them in shown configs, and logs mask URLs with passwords never registered', () => {
    const def = connectorConfigDef(fileSink);
    assert.deepEqual(maskConfig(def, { 'connection.url': 'jdbc:mysql://h/x?user=u&password=pw' }), {
      'connection.url': 'jdbc:mysql://h/x?user=u&password=[hidden]',
    });
    assert.equal(
      maskSecrets('cannot connect to postgres://u:never-registered@h/x'),
      'cannot connect to postgres://u:[hidden]@h/x',
    );
  });
});

describe('shipped configs', () => {
  const root = join(import.meta.dirname, '../..');
  const envKey = 'SIPHON_CONFIG_PROVIDERS_ENV_PARAM_ALLOWLIST_PATTERN';
  const pathsKey = 'SIPHON_CONFIG_PROVIDERS_FILE_PARAM_ALLOWED_PATHS';

  function settings(): [string, Record<string, string>][] {
    const docker = readFileSync(join(root, 'deploy/Dockerfile'), 'utf8');
    const dockerValue = (key: string) => /=(?:'([^']*)'|(\S+))/.exec(docker.slice(docker.indexOf(key)))!;
    const fromDocker = Object.fromEntries(
      [envKey, pathsKey].map((k) => [k, dockerValue(k)[1] ?? dockerValue(k)[2] ?? '']),
    );
    const compose = parseYaml(readFileSync(join(root, 'deploy/compose.yaml'), 'utf8'), { merge: true }) as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    const deployment = parseYaml(readFileSync(join(root, 'deploy/kubernetes/deployment.yaml'), 'utf8')) as {
      spec: { template: { spec: { containers: { env?: { name: string; value: string }[] }[] } } };
    };
    const k8s = Object.fromEntries(
      (deployment.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]),
    );
    const demo = readFileSync(join(root, 'deploy/quickstart/demo.ts'), 'utf8');
    const demoValue = (key: string) => new RegExp(`${key}: '([^']*)'`).exec(demo)?.[1] ?? '';
    return [
      ['Dockerfile', fromDocker],
      ...['worker-1', 'worker-2', 'worker-3'].map((w): [string, Record<string, string>] => [
        `compose ${w}`,
        compose.services[w]?.environment ?? {},
      ]),
      ['kubernetes', k8s],
      ['quick start', { [envKey]: demoValue(envKey), [pathsKey]: demoValue(pathsKey) }],
    ];
  }

  it("set both allow-lists, and never allow the worker's own settings or arbitrary files", () => {
    for (const [where, env] of settings()) {
      assert.ok(env[envKey] && env[pathsKey], `${where} sets both allow-lists`);
      const config = loadWorkerConfig({ env: { [envKey]: env[envKey]!, [pathsKey]: env[pathsKey]! } });
      const policy = providerPolicyOf(config);
      for (const name of ['SIPHON_SASL_PASSWORD', 'SIPHON_REST_AUTH_BEARER_TOKEN', 'HOME', 'PATH']) {
        assert.ok(!policy.envAllowlist?.test(name), `${where} allows ${name}`);
      }
      assert.ok(
        policy.allowedPaths?.every((p) => p.startsWith('/etc/siphon/secrets')),
        where,
      );
      assert.deepEqual(openProviderWarnings(config), [], where);
    }
  });
});
