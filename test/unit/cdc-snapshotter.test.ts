import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CdcCoordinator,
  Snapshotter,
  type LostPosition,
  type SnapshotMode,
} from '../../runtime/cdc/index.js';
import { ConfigError } from '../../runtime/plugin/index.js';
import { FakeCdcContext, FakeCdcSource, type FakeOffset } from '../support/fake-cdc-source.js';

const streamable: LostPosition = {
  problem: 'replication slot "s" is gone but offsets exist: changes made since were lost',
  otherFix: 'restore the slot',
  canStreamFromNow: true,
};
const notStreamable: LostPosition = {
  problem: 'the binlog file mysql-bin.000001 holding the stored offset (pos 4) is no longer on the server',
  otherFix: "delete the connector's offsets",
  canStreamFromNow: false,
};

type Stored = 'none' | 'in-progress' | 'completed';
type Lost = 'kept' | 'lost, log can restart' | 'lost, log cannot restart';

/** What a start does, as the calls the coordinator makes on the source's ports (or how it fails). */
async function start(mode: SnapshotMode, stored: Stored, lost: Lost): Promise<string> {
  const offset: FakeOffset | null =
    stored === 'none' ? null : { pos: 7, inProgress: stored === 'in-progress' };
  const fake = new FakeCdcContext(offset);
  const source = new FakeCdcSource(fake.controller, {
    lost: lost === 'kept' ? null : lost === 'lost, log can restart' ? streamable : notStreamable,
    stopOnStream: true,
  });
  try {
    await new CdcCoordinator(fake.context, new Snapshotter(mode), source).run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.key, 'snapshot.mode');
    return [...source.calls, 'fail'].join(', ');
  }
  return source.calls.join(', ') || 'stop';
}

const modes: readonly SnapshotMode[] = [
  'initial',
  'initial_only',
  'always',
  'when_needed',
  'no_data',
  'never',
];

/** [mode, stored offset, stored position] → the calls. The position is only asked about when a stored offset is streamed from. */
const expected: Record<SnapshotMode, Record<Stored, Record<Lost, string>>> = {
  initial: {
    none: all('snapshot rows, prepare 100 from snapshot, stream 100'),
    'in-progress': {
      kept: 'lost? 7, snapshot rows resuming 7, prepare 100 from snapshot, stream 100',
      'lost, log can restart': 'lost? 7, fail',
      'lost, log cannot restart': 'lost? 7, fail',
    },
    completed: {
      kept: 'lost? 7, prepare 7 from stored offset, stream 7',
      'lost, log can restart': 'lost? 7, fail',
      'lost, log cannot restart': 'lost? 7, fail',
    },
  },
  initial_only: {
    none: all('snapshot rows'),
    'in-progress': all('snapshot rows resuming 7'),
    completed: all('stop'),
  },
  always: {
    none: all('snapshot rows, prepare 100 from snapshot, stream 100'),
    'in-progress': all('lost? 7, snapshot rows, prepare 100 from snapshot, stream 100'),
    completed: all('lost? 7, snapshot rows, prepare 100 from snapshot, stream 100'),
  },
  when_needed: {
    none: all('snapshot rows, prepare 100 from snapshot, stream 100'),
    'in-progress': {
      kept: 'lost? 7, snapshot rows resuming 7, prepare 100 from snapshot, stream 100',
      'lost, log can restart': 'lost? 7, snapshot rows, prepare 100 from snapshot, stream 100',
      'lost, log cannot restart': 'lost? 7, snapshot rows, prepare 100 from snapshot, stream 100',
    },
    completed: {
      kept: 'lost? 7, prepare 7 from stored offset, stream 7',
      'lost, log can restart': 'lost? 7, snapshot rows, prepare 100 from snapshot, stream 100',
      'lost, log cannot restart': 'lost? 7, snapshot rows, prepare 100 from snapshot, stream 100',
    },
  },
  no_data: streamOnly(),
  never: streamOnly(),
};

function all(calls: string): Record<Lost, string> {
  return { kept: calls, 'lost, log can restart': calls, 'lost, log cannot restart': calls };
}

function streamOnly(): Record<Stored, Record<Lost, string>> {
  const stored = {
    kept: 'lost? 7, prepare 7 from stored offset, stream 7',
    'lost, log can restart': 'lost? 7, prepare 7 from stored offset, stream 7',
    'lost, log cannot restart': 'lost? 7, fail',
  };
  return {
    none: all('snapshot schema, prepare 100 from snapshot, stream 100'),
    'in-progress': stored,
    completed: stored,
  };
}

describe('Snapshotter, as the coordinator applies it', () => {
  for (const mode of modes) {
    it(`${mode}: every stored offset, position kept or lost`, async () => {
      for (const stored of ['none', 'in-progress', 'completed'] as const) {
        for (const lost of ['kept', 'lost, log can restart', 'lost, log cannot restart'] as const) {
          assert.equal(await start(mode, stored, lost), expected[mode][stored][lost], `${stored}, ${lost}`);
        }
      }
    });
  }

  it('a snapshot stopped by the task does not stream', async () => {
    const fake = new FakeCdcContext(null);
    const source = new FakeCdcSource(fake.controller, { snapshotEndsAt: null });
    await new CdcCoordinator(fake.context, new Snapshotter('initial'), source).run();
    assert.deepEqual(source.calls, ['snapshot rows']);
  });
});

describe('Snapshotter', () => {
  it('names the lost position and both fixes', () => {
    for (const mode of ['initial', 'initial_only'] as const) {
      assert.throws(
        () => new Snapshotter(mode).onLostPosition(streamable),
        (error: unknown) =>
          error instanceof ConfigError &&
          !error.retriable &&
          error.message ===
            'replication slot "s" is gone but offsets exist: changes made since were lost. Set snapshot.mode=when_needed to take a new snapshot, or restore the slot',
      );
    }
    assert.throws(
      () => new Snapshotter('no_data').onLostPosition(notStreamable),
      /no longer on the server\. Set snapshot\.mode=when_needed to take a new snapshot, or delete the connector's offsets$/,
    );
  });

  it('streams in every mode but initial_only', () => {
    assert.deepEqual(
      modes.filter((mode) => !new Snapshotter(mode).streams),
      ['initial_only'],
    );
  });
});
