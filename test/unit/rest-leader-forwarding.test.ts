import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ClusterMember, ClusterView } from '../../runtime/herder/cluster-view.js';
import { createLogger } from '../../runtime/logging/logger.js';
import { restStatusOf } from '../../runtime/rest/rest-errors.js';
import {
  forwardTarget,
  rebalanceConflictMessage,
  registerLeaderForwarding,
  targetUrl,
} from '../../runtime/rest/leader-forwarding.js';

const leader: ClusterMember = { workerId: 'w1:8083', url: 'http://w1:8083' };
const follower: ClusterMember = { workerId: 'w2:8083', url: 'http://w2:8083' };

function view(overrides: Partial<ClusterView> = {}): ClusterView {
  return {
    kafkaClusterId: 'k',
    selfId: follower.workerId,
    selfUrl: follower.url,
    leader,
    rebalancing: false,
    generation: 3,
    members: [leader, follower],
    connectorOwners: new Map([['c', follower.workerId]]),
    taskOwners: new Map([
      ['c/0', leader.workerId],
      ['c/1', follower.workerId],
    ]),
    ...overrides,
  };
}

test('reads, validation, logger levels and verifications answer where they arrive', () => {
  assert.equal(forwardTarget('GET', '/connectors/:name/status', { name: 'c' }, {}), null);
  assert.equal(forwardTarget('PUT', '/connector-plugins/:plugin/config/validate', {}, {}), null);
  assert.equal(forwardTarget('PUT', '/admin/loggers/:logger', {}, {}), null);
  assert.equal(forwardTarget('POST', '/connectors/:name/verify', { name: 'c' }, {}), null);
});

test('config, state and offset writes go to the leader; restarts to the owner', () => {
  for (const [method, route] of [
    ['POST', '/connectors'],
    ['PUT', '/connectors/:name/config'],
    ['PATCH', '/connectors/:name/config'],
    ['DELETE', '/connectors/:name'],
    ['PUT', '/connectors/:name/pause'],
    ['PUT', '/connectors/:name/stop'],
    ['PATCH', '/connectors/:name/offsets'],
    ['DELETE', '/connectors/:name/offsets'],
  ] as const) {
    assert.deepEqual(forwardTarget(method, route, { name: 'c' }, {}), { kind: 'leader' }, route);
  }
  assert.deepEqual(
    forwardTarget('POST', '/connectors/:name/tasks/:task/restart', { name: 'c', task: '0' }, {}),
    {
      kind: 'task-owner',
      connector: 'c',
      task: '0',
    },
  );
  assert.deepEqual(forwardTarget('POST', '/connectors/:name/restart', { name: 'c' }, {}), {
    kind: 'connector-owner',
    connector: 'c',
  });
  assert.deepEqual(
    forwardTarget('POST', '/connectors/:name/restart', { name: 'c' }, { includeTasks: 'true' }),
    { kind: 'leader' },
  );
});

test('the target is the leader or the owner, null when it is this worker', () => {
  assert.equal(targetUrl(view(), { kind: 'leader' }), leader.url);
  assert.equal(targetUrl(view(), { kind: 'task-owner', connector: 'c', task: '0' }), leader.url);
  assert.equal(targetUrl(view(), { kind: 'task-owner', connector: 'c', task: '1' }), null);
  assert.equal(targetUrl(view(), { kind: 'connector-owner', connector: 'c' }), null);
  // Nobody runs it: the leader answers (a 404, or the restart of what it assigns next).
  assert.equal(targetUrl(view(), { kind: 'task-owner', connector: 'x', task: '0' }), leader.url);
  assert.equal(targetUrl(view({ selfId: leader.workerId }), { kind: 'leader' }), null);
});

test('during a rebalance, or with no leader known, a write is a 409 with Connect message', () => {
  for (const v of [view({ rebalancing: true }), view({ leader: null })]) {
    assert.throws(
      () => targetUrl(v, { kind: 'leader' }),
      (error: unknown) =>
        restStatusOf(error) === 409 && (error as Error).message === rebalanceConflictMessage,
    );
  }
});

// Two real HTTP servers: a follower that forwards and a leader that answers.
let leaderApp: FastifyInstance;
let followerApp: FastifyInstance;
let followerUrl = '';
const seen: { url: string; authorization?: string; body: unknown }[] = [];

before(async () => {
  leaderApp = Fastify();
  leaderApp.put<{ Params: { name: string } }>('/connectors/:name/config', async (request, reply) => {
    seen.push({ url: request.url, authorization: request.headers.authorization, body: request.body });
    return reply.code(201).header('location', `/connectors/${request.params.name}`).send({ name: 'c' });
  });
  leaderApp.put('/connectors/:name/pause', async (request, reply) => {
    seen.push({ url: request.url, authorization: request.headers.authorization, body: request.body });
    return reply.code(202).send();
  });
  await leaderApp.listen({ host: '127.0.0.1', port: 0 });
  const leaderUrl = `http://127.0.0.1:${(leaderApp.server.address() as AddressInfo).port}`;

  followerApp = Fastify();
  followerApp.setErrorHandler((error, _request, reply) =>
    reply.code(restStatusOf(error) ?? 500).send({ message: (error as Error).message }),
  );
  registerLeaderForwarding(followerApp, {
    cluster: () => view({ leader: { workerId: leader.workerId, url: leaderUrl } }),
    logger: createLogger({ component: 'test' }),
  });
  followerApp.put('/connectors/:name/config', async () => {
    throw new Error('a follower must not answer a write itself');
  });
  followerApp.put('/connectors/:name/pause', async () => {
    throw new Error('a follower must not answer a write itself');
  });
  await followerApp.listen({ host: '127.0.0.1', port: 0 });
  followerUrl = `http://127.0.0.1:${(followerApp.server.address() as AddressInfo).port}`;
});

after(async () => {
  await followerApp.close();
  await leaderApp.close();
});

test('a follower forwards a write with its body, credentials and forward=true, and relays the answer', async () => {
  seen.length = 0;
  const response = await fetch(`${followerUrl}/connectors/c%2Fd/config?x=1`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: 'Bearer s3cret' },
    body: JSON.stringify({ 'connector.class': 'counter' }),
  });
  assert.equal(response.status, 201);
  assert.equal(response.headers.get('location'), '/connectors/c/d');
  assert.deepEqual(await response.json(), { name: 'c' });
  assert.deepEqual(seen, [
    {
      url: '/connectors/c%2Fd/config?x=1&forward=true',
      authorization: 'Bearer s3cret',
      body: { 'connector.class': 'counter' },
    },
  ]);
});

test('a second hop goes with forward=false; a worker that is not the target then answers 409', async () => {
  seen.length = 0;
  const hop = await fetch(`${followerUrl}/connectors/c/pause?forward=true`, { method: 'PUT' });
  assert.equal(hop.status, 202);
  assert.deepEqual(seen, [
    { url: '/connectors/c/pause?forward=false', authorization: undefined, body: undefined },
  ]);
  const refused = await fetch(`${followerUrl}/connectors/c/pause?forward=false`, { method: 'PUT' });
  assert.equal(refused.status, 409);
  assert.equal(((await refused.json()) as { message: string }).message, rebalanceConflictMessage);
});
