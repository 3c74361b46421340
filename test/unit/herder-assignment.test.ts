import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planAssignment, taskUnit, type MemberWork } from '../../runtime/herder/assignment.js';

const units = (name: string, tasks: number) => [
  name,
  ...Array.from({ length: tasks }, (_, i) => taskUnit(name, i)),
];
const plan = (members: MemberWork[], all: string[], lostUntil = new Map<string, number>(), now = 1000) =>
  planAssignment({ members, units: all, lostUntil, now });
const counts = (assigned: ReadonlyMap<string, readonly string[]>) =>
  [...assigned.values()].map((u) => u.filter((x) => x.includes('/')).length).sort();

describe('planAssignment', () => {
  it('spreads new connectors and tasks evenly, connectors and tasks apart', () => {
    const result = plan(
      [
        { workerId: 'a', owned: [] },
        { workerId: 'b', owned: [] },
        { workerId: 'c', owned: [] },
      ],
      [...units('x', 3), ...units('y', 3)],
    );
    assert.deepEqual(counts(result.assigned), [2, 2, 2]);
    assert.deepEqual(
      [...result.assigned.values()].map((u) => u.filter((x) => !x.includes('/')).length).sort(),
      [0, 1, 1],
    );
    assert.deepEqual(result.revoked, []);
    const everything = [...result.assigned.values()].flat().sort();
    assert.deepEqual(everything, [...units('x', 3), ...units('y', 3)].sort());
  });

  it('keeps what members run and moves nothing when balanced (sticky)', () => {
    const members = [
      { workerId: 'a', owned: ['x', 'x/0', 'x/1'] },
      { workerId: 'b', owned: ['x/2', 'y/0'] },
    ];
    const result = plan(members, [...units('x', 3), 'y/0']);
    assert.deepEqual(result.assigned.get('a'), ['x', 'x/0', 'x/1']);
    assert.deepEqual(result.assigned.get('b'), ['x/2', 'y/0']);
    assert.deepEqual(result.revoked, []);
  });

  it('a joining member gets work revoked from the most loaded, assigned in the follow-up', () => {
    const first = plan(
      [
        { workerId: 'a', owned: ['x/0', 'x/1', 'x/2'] },
        { workerId: 'b', owned: ['x/3', 'x/4', 'x/5'] },
        { workerId: 'c', owned: [] },
      ],
      units('x', 6).slice(1),
    );
    assert.deepEqual(first.revoked, ['x/2', 'x/5']);
    assert.deepEqual(first.assigned.get('c'), []);
    const followUp = plan(
      [
        { workerId: 'a', owned: first.assigned.get('a')! },
        { workerId: 'b', owned: first.assigned.get('b')! },
        { workerId: 'c', owned: [] },
      ],
      units('x', 6).slice(1),
    );
    assert.deepEqual(followUp.revoked, []);
    assert.deepEqual(followUp.assigned.get('c'), ['x/2', 'x/5']);
  });

  it('gives up tasks of the connector it runs most of, so each connector spreads', () => {
    const result = plan(
      [
        { workerId: 'a', owned: ['c/0', 'c/1', 'c/2', 'sink/0', 'src/0'] },
        { workerId: 'b', owned: [] },
      ],
      ['c/0', 'c/1', 'c/2', 'sink/0', 'src/0'],
    );
    assert.equal(result.revoked.length, 2);
    assert.ok(
      result.revoked.some((u) => u.startsWith('c/')),
      result.revoked.join(),
    );
  });

  it('drops units that no longer exist and never gives one unit to two members', () => {
    const result = plan(
      [
        { workerId: 'a', owned: ['gone', 'gone/0', 'x/0'] },
        { workerId: 'b', owned: ['x/0'] },
      ],
      ['x/0'],
    );
    assert.deepEqual(result.assigned.get('a'), ['x/0']);
    assert.deepEqual(result.assigned.get('b'), []);
  });

  it("holds a vanished worker's units until its delay ends, then assigns them", () => {
    const lost = new Map([
      ['x/1', 5000],
      ['x', 5000],
    ]);
    const members = [{ workerId: 'a', owned: ['x/0'] }];
    const waiting = plan(members, units('x', 2), lost, 1000);
    assert.deepEqual([...waiting.delayed].sort(), ['x', 'x/1']);
    assert.equal(waiting.nextRebalanceAt, 5000);
    assert.deepEqual(waiting.assigned.get('a'), ['x/0']);
    const later = plan(members, units('x', 2), lost, 5000);
    assert.deepEqual(later.delayed, []);
    assert.deepEqual(later.assigned.get('a'), ['x', 'x/0', 'x/1']);
  });
});
