import assert from 'node:assert/strict';
import { test } from 'node:test';
import { workerRows } from '../../runtime/cli/workers-command.js';

test('siphon workers lists every member with what its statuses say it runs', () => {
  const rows = workerRows(
    {
      leader_id: 'w1:8083',
      members: [
        { worker_id: 'w2:8083', url: 'http://w2:8083' },
        { worker_id: 'w1:8083', url: 'http://w1:8083' },
        { worker_id: 'w3:8083', url: 'http://w3:8083' },
      ],
    },
    [
      {
        name: 'pg',
        connector: { state: 'RUNNING', worker_id: 'w2:8083' },
        tasks: [
          { id: 0, state: 'RUNNING', worker_id: 'w1:8083' },
          { id: 1, state: 'UNASSIGNED', worker_id: 'w3:8083' },
        ],
      },
      // A worker that left: its last statuses still name it.
      { name: 'sink', connector: { state: 'FAILED', worker_id: 'w4:8083' }, tasks: [] },
    ],
  );
  assert.deepEqual(rows, [
    { workerId: 'w1:8083', url: 'http://w1:8083', leader: true, connectors: [], tasks: ['pg/0'] },
    { workerId: 'w2:8083', url: 'http://w2:8083', leader: false, connectors: ['pg'], tasks: [] },
    { workerId: 'w3:8083', url: 'http://w3:8083', leader: false, connectors: [], tasks: [] },
    { workerId: 'w4:8083', url: '', leader: false, connectors: ['sink'], tasks: [] },
  ]);
});
