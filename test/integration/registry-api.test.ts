import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { COMPATIBILITY, SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { RunningSchemaRegistry } from '../../runtime/registry/index.js';
import { call, registryFixture } from './registry-support.js';

const fixture = registryFixture('registry_api');
let registry: RunningSchemaRegistry;

function record(name: string, fields: object[]): string {
  return JSON.stringify({ type: 'record', name, namespace: 'siphon.test', fields });
}

const v1 = record('Customer', [{ name: 'id', type: 'long' }]);
const withOptional = record('Customer', [
  { name: 'id', type: 'long' },
  { name: 'email', type: ['null', 'string'], default: null },
]);
const withRequired = record('Customer', [
  { name: 'id', type: 'long' },
  { name: 'email', type: 'string' },
]);

before(async () => {
  registry = await fixture.start();
});
after(() => fixture.cleanup());

describe('the official client against the embedded registry', () => {
  it('registers, fetches, encodes and decodes', async () => {
    const client = new SchemaRegistry({ host: registry.url });
    const subject = 'client-orders-value';
    const { id } = await client.register(
      { type: 'record', name: 'Order', namespace: 'siphon.test', fields: [{ name: 'n', type: 'int' }] },
      { subject },
    );
    assert.ok(id > 0);
    assert.equal(await client.getLatestSchemaId(subject), id);
    assert.equal(await client.getRegistryId(subject, 1), id);
    const encoded = await client.encode(id, { n: 42 });
    assert.equal(encoded[0], 0);
    assert.equal(encoded.readUInt32BE(1), id);
    // A fresh client has no cache: decoding fetches the schema by id.
    assert.deepEqual({ ...(await new SchemaRegistry({ host: registry.url }).decode(encoded)) }, { n: 42 });
    // The client set the subject's compatibility on first registration and finds it again.
    const again = await client.register(
      { type: 'record', name: 'Order', namespace: 'siphon.test', fields: [{ name: 'n', type: 'int' }] },
      { subject, compatibility: COMPATIBILITY.BACKWARD },
    );
    assert.equal(again.id, id);
    assert.equal(
      await client.getRegistryIdBySchema(subject, {
        type: 'record',
        name: 'Order',
        namespace: 'siphon.test',
        fields: [{ name: 'n', type: 'int' }],
      } as never),
      id,
    );
  });
});

describe('REST API', () => {
  it('gives the same id to the same schema under two subjects and on re-registration', async () => {
    const a = await call(registry.url, 'POST', '/subjects/same-a/versions', { schema: v1 });
    const b = await call(registry.url, 'POST', '/subjects/same-b/versions', { schema: v1 });
    const again = await call(registry.url, 'POST', '/subjects/same-a/versions', { schema: ` ${v1} ` });
    assert.equal(a.status, 200);
    assert.equal(a.contentType, 'application/vnd.schemaregistry.v1+json');
    assert.deepEqual(b.body, a.body);
    assert.deepEqual(again.body, a.body);
    assert.deepEqual((await call(registry.url, 'GET', '/subjects/same-a/versions')).body, [1]);
    const id = (a.body as { id: number }).id;
    const uses = (await call(registry.url, 'GET', `/schemas/ids/${id}/versions`)).body as object[];
    assert.deepEqual(
      uses.filter((u) => (u as { subject: string }).subject.startsWith('same-')),
      [
        { subject: 'same-a', version: 1 },
        { subject: 'same-b', version: 1 },
      ],
    );
  });

  it('serves versions, raw schemas, lookups, subjects and types', async () => {
    await call(registry.url, 'POST', '/subjects/evolve/versions', { schema: v1 });
    const second = await call(registry.url, 'POST', '/subjects/evolve/versions', { schema: withOptional });
    assert.equal(second.status, 200);
    const latest = await call(registry.url, 'GET', '/subjects/evolve/versions/latest');
    assert.deepEqual(latest.body, {
      subject: 'evolve',
      version: 2,
      id: (second.body as { id: number }).id,
      schema: withOptional,
    });
    assert.deepEqual(
      (await call(registry.url, 'GET', '/subjects/evolve/versions/1/schema')).body,
      JSON.parse(v1),
    );
    const lookup = await call(registry.url, 'POST', '/subjects/evolve', { schema: v1 });
    assert.equal((lookup.body as { version: number }).version, 1);
    assert.ok(((await call(registry.url, 'GET', '/subjects')).body as string[]).includes('evolve'));
    assert.deepEqual((await call(registry.url, 'GET', '/schemas/types')).body, ['AVRO']);
  });

  it('answers bad input with Confluent status and error codes', async () => {
    const cases: [string, string, unknown, number, number][] = [
      [
        'POST',
        '/subjects/bad/versions',
        { schema: '{"type":"record","name":"R","fields":[{"name":"x","type":"nope"}]}' },
        422,
        42201,
      ],
      ['POST', '/subjects/bad/versions', { schema: '{not json' }, 422, 42201],
      ['POST', '/subjects/bad/versions', { schema: v1, schemaType: 'PROTOBUF' }, 422, 42201],
      ['GET', '/subjects/no-such-subject/versions', undefined, 404, 40401],
      ['GET', '/subjects/evolve/versions/99', undefined, 404, 40402],
      ['GET', '/subjects/evolve/versions/abc', undefined, 422, 42202],
      ['GET', '/schemas/ids/987654', undefined, 404, 40403],
      ['POST', '/subjects/evolve', { schema: record('Other', [{ name: 'z', type: 'int' }]) }, 404, 40403],
      ['GET', '/config/evolve', undefined, 404, 40408],
      ['PUT', '/config', { compatibility: 'SIDEWAYS' }, 422, 42203],
    ];
    for (const [method, path, body, status, code] of cases) {
      const response = await call(registry.url, method, path, body);
      assert.equal(response.status, status, `${method} ${path}`);
      assert.equal((response.body as { error_code: number }).error_code, code, `${method} ${path}`);
    }
    const invalid = await call(registry.url, 'POST', '/subjects/bad/versions', {
      schema: '{"type":"record","name":"R","fields":[{"name":"x","type":"nope"}]}',
    });
    assert.match((invalid.body as { message: string }).message, /undefined type name: nope/);
  });

  it('rejects an incompatible schema with 409 naming the first incompatibility', async () => {
    await call(registry.url, 'POST', '/subjects/strict/versions', { schema: v1 });
    const rejected = await call(registry.url, 'POST', '/subjects/strict/versions', { schema: withRequired });
    assert.equal(rejected.status, 409);
    assert.equal((rejected.body as { error_code: number }).error_code, 409);
    assert.match(
      (rejected.body as { message: string }).message,
      /cannot read data written with version 1.*email/,
    );
    assert.deepEqual((await call(registry.url, 'GET', '/subjects/strict/versions')).body, [1]);
  });

  it('soft deletes, then permanently deletes, subjects and versions', async () => {
    const doomed1 = record('Doomed', [{ name: 'id', type: 'long' }]);
    const doomed2 = record('Doomed', [
      { name: 'id', type: 'long' },
      { name: 'note', type: ['null', 'string'], default: null },
    ]);
    await call(registry.url, 'POST', '/subjects/doomed/versions', { schema: doomed1 });
    const second = await call(registry.url, 'POST', '/subjects/doomed/versions', { schema: doomed2 });
    const doomedId = (second.body as { id: number }).id;
    const code = (response: { body: unknown }) => (response.body as { error_code: number }).error_code;
    assert.equal(
      code(await call(registry.url, 'DELETE', '/subjects/doomed/versions/1?permanent=true')),
      40407,
    );
    assert.deepEqual((await call(registry.url, 'DELETE', '/subjects/doomed/versions/1')).body, 1);
    assert.equal(code(await call(registry.url, 'DELETE', '/subjects/doomed/versions/1')), 40406);
    assert.deepEqual((await call(registry.url, 'GET', '/subjects/doomed/versions')).body, [2]);
    assert.deepEqual(
      (await call(registry.url, 'GET', '/subjects/doomed/versions?deleted=true')).body,
      [1, 2],
    );
    assert.equal(code(await call(registry.url, 'DELETE', '/subjects/doomed?permanent=true')), 40405);
    assert.deepEqual((await call(registry.url, 'DELETE', '/subjects/doomed')).body, [2]);
    assert.ok(!((await call(registry.url, 'GET', '/subjects')).body as string[]).includes('doomed'));
    assert.equal(code(await call(registry.url, 'DELETE', '/subjects/doomed')), 40404);
    assert.deepEqual((await call(registry.url, 'DELETE', '/subjects/doomed?permanent=true')).body, [1, 2]);
    assert.equal(code(await call(registry.url, 'GET', '/subjects/doomed/versions?deleted=true')), 40401);
    assert.equal(code(await call(registry.url, 'GET', `/schemas/ids/${doomedId}`)), 40403);
    // Registering again starts at version 1 with a new id: a deleted id is never handed out twice.
    const again = await call(registry.url, 'POST', '/subjects/doomed/versions', { schema: doomed2 });
    assert.ok((again.body as { id: number }).id > doomedId);
    assert.deepEqual((await call(registry.url, 'GET', '/subjects/doomed/versions')).body, [1]);
  });

  it('keeps global and per-subject compatibility', async () => {
    assert.deepEqual((await call(registry.url, 'GET', '/config')).body, { compatibilityLevel: 'BACKWARD' });
    assert.deepEqual((await call(registry.url, 'PUT', '/config/cfg', { compatibility: 'full' })).body, {
      compatibility: 'FULL',
    });
    assert.deepEqual((await call(registry.url, 'GET', '/config/cfg')).body, { compatibilityLevel: 'FULL' });
    assert.deepEqual((await call(registry.url, 'GET', '/config/other?defaultToGlobal=true')).body, {
      compatibilityLevel: 'BACKWARD',
    });
    assert.deepEqual((await call(registry.url, 'DELETE', '/config/cfg')).body, {
      compatibilityLevel: 'FULL',
    });
    assert.equal((await call(registry.url, 'GET', '/config/cfg')).status, 404);
  });
});

describe('compatibility matrix', () => {
  const removeField = record('Customer', [{ name: 'email', type: ['null', 'string'], default: null }]);
  const base = record('Customer', [
    { name: 'id', type: 'long' },
    { name: 'email', type: ['null', 'string'], default: null },
  ]);
  const widened = record('Customer', [
    { name: 'id', type: 'double' },
    { name: 'email', type: ['null', 'string'], default: null },
  ]);
  const rows: [string, string, string, string, boolean][] = [
    // level, change, old, new, compatible
    ['BACKWARD', 'adding an optional field', v1, withOptional, true],
    ['BACKWARD', 'adding a field without default', v1, withRequired, false],
    ['FORWARD', 'adding a field without default', v1, withRequired, true],
    ['FORWARD', 'removing a field without default', base, removeField, false],
    ['BACKWARD', 'removing a field', base, removeField, true],
    ['FULL', 'adding an optional field', v1, withOptional, true],
    ['FULL', 'adding a field without default', v1, withRequired, false],
    ['BACKWARD', 'widening long to double', base, widened, true],
    ['FORWARD', 'widening long to double', base, widened, false],
    ['NONE', 'changing a field type', v1, record('Customer', [{ name: 'id', type: 'string' }]), true],
  ];
  for (const [level, change, oldSchema, newSchema, compatible] of rows) {
    it(`${level} ${compatible ? 'accepts' : 'rejects'} ${change}`, async () => {
      const subject = `matrix-${level}-${Math.random().toString(36).slice(2)}`;
      await call(registry.url, 'PUT', `/config/${subject}`, { compatibility: level });
      assert.equal(
        (await call(registry.url, 'POST', `/subjects/${subject}/versions`, { schema: oldSchema })).status,
        200,
      );
      const check = await call(
        registry.url,
        'POST',
        `/compatibility/subjects/${subject}/versions/latest?verbose=true`,
        {
          schema: newSchema,
        },
      );
      assert.equal(
        (check.body as { is_compatible: boolean }).is_compatible,
        compatible,
        JSON.stringify(check.body),
      );
      const registered = await call(registry.url, 'POST', `/subjects/${subject}/versions`, {
        schema: newSchema,
      });
      assert.equal(registered.status, compatible ? 200 : 409);
    });
  }

  it('transitive levels check every version, plain ones only the latest', async () => {
    const three = [
      record('T', [{ name: 'a', type: 'int' }]),
      record('T', [
        { name: 'a', type: 'int', default: 0 },
        { name: 'b', type: 'int', default: 0 },
      ]),
      record('T', [{ name: 'b', type: 'int', default: 0 }]),
    ];
    // Version 3 drops `a` (no default needed to write) and is FORWARD-compatible with version 2
    // (which has a default for a), but not with version 1 (no default for a).
    for (const [level, accepted] of [
      ['FORWARD', true],
      ['FORWARD_TRANSITIVE', false],
    ] as const) {
      const subject = `transitive-${level}-${Math.random().toString(36).slice(2)}`;
      await call(registry.url, 'PUT', `/config/${subject}`, { compatibility: level });
      assert.equal(
        (await call(registry.url, 'POST', `/subjects/${subject}/versions`, { schema: three[0] })).status,
        200,
      );
      assert.equal(
        (await call(registry.url, 'POST', `/subjects/${subject}/versions`, { schema: three[1] })).status,
        200,
      );
      const last = await call(registry.url, 'POST', `/subjects/${subject}/versions`, { schema: three[2] });
      assert.equal(last.status, accepted ? 200 : 409, `${level}: ${JSON.stringify(last.body)}`);
    }
  });
});

describe('what Confluent clients and UIs need', () => {
  // A nested record written with its namespace spelled out, and as Avro Java's
  // Schema.toString() prints it (a name inherits its namespace, so it is left out).
  const spelledOut = JSON.stringify({
    type: 'record',
    name: 'Envelope',
    namespace: 'srv.public.t',
    fields: [
      {
        name: 'after',
        type: [
          'null',
          {
            type: 'record',
            name: 'Value',
            namespace: 'srv.public.t',
            fields: [{ name: 'id', type: { type: 'int' } }],
            'connect.name': 'srv.public.t.Value',
          },
        ],
        default: null,
      },
      { name: 'op', type: 'string' },
    ],
    'connect.name': 'srv.public.t.Envelope',
  });
  const avroJavaText =
    '{"type":"record","name":"Envelope","namespace":"srv.public.t","fields":[{"name":"after","type":["null",' +
    '{"type":"record","name":"Value","fields":[{"name":"id","type":"int"}],"connect.name":"srv.public.t.Value"}],' +
    '"default":null},{"name":"op","type":"string"}],"connect.name":"srv.public.t.Envelope"}';

  it('compares schemas in canonical form: lookup finds, registration does not duplicate', async () => {
    const subject = `canonical-${Math.random().toString(36).slice(2)}`;
    const first = await call(registry.url, 'POST', `/subjects/${subject}/versions`, { schema: spelledOut });
    assert.equal(first.status, 200);
    const found = await call(registry.url, 'POST', `/subjects/${subject}`, { schema: avroJavaText });
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.equal((found.body as { version: number }).version, 1);
    const again = await call(registry.url, 'POST', `/subjects/${subject}/versions`, { schema: avroJavaText });
    assert.deepEqual(again.body, first.body);
    assert.deepEqual((await call(registry.url, 'GET', `/subjects/${subject}/versions`)).body, [1]);
    // A property is part of the schema: a different connect.name is another schema.
    const other = await call(registry.url, 'POST', `/subjects/${subject}`, {
      schema: avroJavaText.replace('"connect.name":"srv.public.t.Envelope"', '"connect.name":"x.Envelope"'),
    });
    assert.equal(other.status, 404);
    assert.deepEqual(other.body, { error_code: 40403, message: 'Schema not found' });
  });

  it('stores the normalized form with normalize=true', async () => {
    const subject = `normalize-${Math.random().toString(36).slice(2)}`;
    await call(registry.url, 'POST', `/subjects/${subject}/versions?normalize=true`, { schema: spelledOut });
    const stored = (await call(registry.url, 'GET', `/subjects/${subject}/versions/1`)).body as {
      schema: string;
    };
    assert.ok(!stored.schema.includes('{"type":"int"}'), 'primitive written as its name');
    assert.equal((stored.schema.match(/namespace/g) ?? []).length, 0, 'names are full names');
    const found = await call(registry.url, 'POST', `/subjects/${subject}?normalize=true`, {
      schema: avroJavaText,
    });
    assert.equal(found.status, 200);
  });

  it('serves the read endpoints: schemas, ids, subjects by prefix, referencedby', async () => {
    const prefix = `reads-${Math.random().toString(36).slice(2)}`;
    const a = `${prefix}-a`;
    const b = `${prefix}-b`;
    // A schema of this test only: ids are shared by every subject holding the same schema.
    const mine = record(`R${prefix.replace(/-/g, '_')}`, [{ name: 'id', type: 'long' }]);
    const mineEvolved = record(`R${prefix.replace(/-/g, '_')}`, [
      { name: 'id', type: 'long' },
      { name: 'email', type: ['null', 'string'], default: null },
    ]);
    const { id } = (await call(registry.url, 'POST', `/subjects/${a}/versions`, { schema: mine })).body as {
      id: number;
    };
    await call(registry.url, 'POST', `/subjects/${b}/versions`, { schema: mine });
    await call(registry.url, 'POST', `/subjects/${b}/versions`, { schema: mineEvolved });
    assert.deepEqual((await call(registry.url, 'GET', `/subjects?subjectPrefix=${prefix}`)).body, [a, b]);
    assert.deepEqual((await call(registry.url, 'GET', `/schemas/ids/${id}/schema`)).body, JSON.parse(mine));
    assert.deepEqual((await call(registry.url, 'GET', `/schemas/ids/${id}/subjects`)).body, [a, b]);
    assert.deepEqual((await call(registry.url, 'GET', `/schemas/ids/${id}/versions`)).body, [
      { subject: a, version: 1 },
      { subject: b, version: 1 },
    ]);
    const all = (await call(registry.url, 'GET', `/schemas?subjectPrefix=${prefix}`)).body as {
      subject: string;
      version: number;
    }[];
    assert.deepEqual(
      all.map((s) => `${s.subject}/${s.version}`),
      [`${a}/1`, `${b}/1`, `${b}/2`],
    );
    const latest = (await call(registry.url, 'GET', `/schemas?subjectPrefix=${prefix}&latestOnly=true`))
      .body as { subject: string; version: number }[];
    assert.deepEqual(
      latest.map((s) => `${s.subject}/${s.version}`),
      [`${a}/1`, `${b}/2`],
    );
    await call(registry.url, 'DELETE', `/subjects/${a}`);
    assert.deepEqual((await call(registry.url, 'GET', `/subjects?subjectPrefix=${prefix}`)).body, [b]);
    assert.deepEqual(
      (await call(registry.url, 'GET', `/subjects?subjectPrefix=${prefix}&deleted=true`)).body,
      [a, b],
    );
    assert.deepEqual((await call(registry.url, 'GET', `/subjects/${b}/versions/1/referencedby`)).body, []);
    assert.equal((await call(registry.url, 'GET', `/subjects/${b}/versions/7/referencedby`)).status, 404);
  });

  it('checks compatibility against all versions, as registration does', async () => {
    const subject = `compat-all-${Math.random().toString(36).slice(2)}`;
    await call(registry.url, 'PUT', `/config/${subject}`, { compatibility: 'BACKWARD_TRANSITIVE' });
    const empty = await call(registry.url, 'POST', `/compatibility/subjects/${subject}/versions`, {
      schema: v1,
    });
    assert.deepEqual(empty.body, { is_compatible: true });
    await call(registry.url, 'POST', `/subjects/${subject}/versions`, { schema: v1 });
    await call(registry.url, 'POST', `/subjects/${subject}/versions`, { schema: withOptional });
    const required = await call(
      registry.url,
      'POST',
      `/compatibility/subjects/${subject}/versions?verbose=true`,
      {
        schema: withRequired,
      },
    );
    assert.equal((required.body as { is_compatible: boolean }).is_compatible, false);
    assert.equal((required.body as { messages: string[] }).messages.length, 2, 'both versions checked');
  });

  it('keeps the global and subject mode; READONLY refuses writes', async () => {
    const subject = `mode-${Math.random().toString(36).slice(2)}`;
    assert.deepEqual((await call(registry.url, 'GET', '/mode')).body, { mode: 'READWRITE' });
    assert.equal((await call(registry.url, 'GET', `/mode/${subject}`)).status, 404);
    assert.deepEqual((await call(registry.url, 'GET', `/mode/${subject}?defaultToGlobal=true`)).body, {
      mode: 'READWRITE',
    });
    assert.deepEqual((await call(registry.url, 'PUT', `/mode/${subject}`, { mode: 'READONLY' })).body, {
      mode: 'READONLY',
    });
    const refused = await call(registry.url, 'POST', `/subjects/${subject}/versions`, { schema: v1 });
    assert.equal(refused.status, 422);
    assert.equal((refused.body as { error_code: number }).error_code, 42205);
    const bad = await call(registry.url, 'PUT', '/mode', { mode: 'SIDEWAYS' });
    assert.equal((bad.body as { error_code: number }).error_code, 42204);
    assert.deepEqual((await call(registry.url, 'DELETE', `/mode/${subject}`)).body, { mode: 'READONLY' });
    assert.equal(
      (await call(registry.url, 'POST', `/subjects/${subject}/versions`, { schema: v1 })).status,
      200,
    );
  });
});
