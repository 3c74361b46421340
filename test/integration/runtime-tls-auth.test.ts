import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { deleteTopics, eventually, uniqueNames, WorkerProcess } from '../fixtures/worker-harness.js';

/** The REST API over HTTPS (rest.ssl.*) with HTTP basic authentication (rest.auth.basic.*). */
const names = uniqueNames('rt-tls');
const dir = mkdtempSync(join(tmpdir(), 'siphon-tls-'));
const password = `basic-${names.group}`;
let worker: WorkerProcess | undefined;

function get(
  url: string,
  ca: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('REST over TLS with basic auth', { timeout: 60000 }, () => {
  after(async () => {
    worker?.kill('SIGTERM');
    await worker?.waitForExit();
    rmSync(dir, { recursive: true, force: true });
    await deleteTopics(names.group);
  });

  it('serves HTTPS and checks the basic credentials', async () => {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const ca = readFileSync(cert);
    worker = WorkerProcess.spawn(names, {
      SIPHON_REST_SSL_CERTIFICATE_LOCATION: cert,
      SIPHON_REST_SSL_KEY_LOCATION: key,
      SIPHON_REST_AUTH_BASIC_USERNAME: 'admin',
      SIPHON_REST_AUTH_BASIC_PASSWORD: password,
    });
    const running = worker;
    const url = await eventually(
      'https listener',
      async () =>
        running.lines
          .filter((l) => l.includes('REST API listening'))
          .map((l) => /"url":"([^"]+)"/.exec(l)?.[1])[0],
    );
    assert.match(url, /^https:\/\//);
    await eventually('healthy', async () => (await get(`${url}/health`, ca)).status === 200);
    const denied = await get(`${url}/connectors`, ca);
    assert.equal(denied.status, 401);
    assert.equal((JSON.parse(denied.body) as { error_code: number }).error_code, 401);
    const wrong = await get(`${url}/connectors`, ca, {
      authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}`,
    });
    assert.equal(wrong.status, 401);
    const allowed = await get(`${url}/connectors`, ca, {
      authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`,
    });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.body, '[]');
    assert.ok(!running.lines.some((l) => l.includes(password)), 'the basic password was logged');
  });
});
