import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyRangeWhere } from '../../connectors/source-mysql/snapshot-chunks.js';

describe('MySQL snapshot key ranges', () => {
  it('reads a whole table without conditions, and after a key as the one-connection snapshot always did', () => {
    assert.deepEqual(keyRangeWhere(['id'], null, null), { where: '', params: [] });
    assert.deepEqual(keyRangeWhere(['a', 'b'], [1, 'x'], null), {
      where: 'WHERE (`a` > ?) OR (`a` = ? AND `b` > ?)',
      params: [1, 1, 'x'],
    });
  });

  it('bounds a range up to its last key, included', () => {
    assert.deepEqual(keyRangeWhere(['a', 'b'], null, [5, 'y']), {
      where: 'WHERE (`a` < ?) OR (`a` = ? AND `b` <= ?)',
      params: [5, 5, 'y'],
    });
    assert.deepEqual(keyRangeWhere(['id'], [10], [20]), {
      where: 'WHERE ((`id` > ?)) AND ((`id` <= ?))',
      params: [10, 20],
    });
  });
});
