import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadWorkerConfig } from '../../runtime/config/worker-config.js';
import { advertisedAddress } from '../../runtime/rest/advertised-url.js';

const load = (overrides: Record<string, string>) => loadWorkerConfig({ env: {}, overrides });

test("a worker's advertised address defaults to its listener's", () => {
  assert.deepEqual(advertisedAddress(load({ 'rest.host': '10.0.0.5' }), 8083), {
    url: 'http://10.0.0.5:8083',
    workerId: '10.0.0.5:8083',
  });
});

test('rest.advertised.host.name, .port and .listener override each part', () => {
  const config = load({
    'rest.host': '0.0.0.0',
    'rest.advertised.host.name': 'worker-2',
    'rest.advertised.port': '9083',
    'rest.advertised.listener': 'https',
  });
  assert.deepEqual(advertisedAddress(config, 8083), {
    url: 'https://worker-2:9083',
    workerId: 'worker-2:9083',
  });
  assert.deepEqual(advertisedAddress(load({ 'rest.advertised.host.name': 'fd00::7' }), 8083), {
    url: 'http://[fd00::7]:8083',
    workerId: 'fd00::7:8083',
  });
});

test('a bad advertised port or listener is refused naming the key', () => {
  assert.throws(() => load({ 'rest.advertised.port': '70000' }), /rest\.advertised\.port/);
  assert.throws(() => load({ 'rest.advertised.listener': 'ftp' }), /rest\.advertised\.listener/);
});
