import { AssignerProtocol, type Consumer, type Kafka, type PartitionAssigner } from 'kafkajs';
import type { Logger } from '../logging/logger.js';
import { ConflictError } from '../plugin/errors.js';

/**
 * Makes sure one live worker per `group.id` runs the group's connectors. Every worker
 * joins the Kafka consumer group `<group.id>` on the configs topic (one partition) with
 * an assignor that always gives that partition to the oldest member: the first worker
 * keeps it, a second live worker gets nothing and refuses to start. A worker that died
 * (kill -9) leaves the group when its session times out, so its replacement takes over
 * after at most `sessionTimeoutMs`.
 */
const protocolName = 'siphon-worker-lock';

interface MemberInfo {
  readonly startedAt: number;
  readonly workerId: string;
}

/** Another live worker runs this worker's group.id: this one must not run its connectors. */
export class WorkerGroupLockError extends ConflictError {
  override readonly name: string = 'WorkerGroupLockError';
}

function lockAssigner(topic: string, self: MemberInfo): PartitionAssigner {
  return () => ({
    name: protocolName,
    version: 1,
    protocol: ({ topics }) => ({
      name: protocolName,
      metadata: AssignerProtocol.MemberMetadata.encode({
        version: 1,
        topics,
        userData: Buffer.from(JSON.stringify(self)),
      }),
    }),
    assign: async ({ members }) => {
      const described = members.map((member) => {
        const metadata = AssignerProtocol.MemberMetadata.decode(member.memberMetadata);
        const info = JSON.parse(metadata?.userData.toString('utf8') || '{}') as Partial<MemberInfo>;
        return { memberId: member.memberId, startedAt: info.startedAt ?? Number.MAX_SAFE_INTEGER };
      });
      described.sort((a, b) => a.startedAt - b.startedAt || a.memberId.localeCompare(b.memberId));
      const owner = described[0]?.memberId;
      return members.map((member) => ({
        memberId: member.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: member.memberId === owner ? { [topic]: [0] } : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
  });
}

export class WorkerGroupLock {
  private constructor(private readonly consumer: Consumer) {}

  static async acquire(options: {
    kafka: Kafka;
    groupId: string;
    topic: string;
    workerId: string;
    logger: Logger;
    sessionTimeoutMs?: number;
    /** Called if a later rebalance hands the group to another worker. */
    onLost: () => void;
  }): Promise<WorkerGroupLock> {
    const { kafka, groupId, topic, workerId, logger } = options;
    const self: MemberInfo = { startedAt: Date.now(), workerId };
    const sessionTimeout = options.sessionTimeoutMs ?? 10000;
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout,
      heartbeatInterval: Math.min(3000, Math.floor(sessionTimeout / 4)),
      rebalanceTimeout: sessionTimeout + 5000,
      partitionAssigners: [lockAssigner(topic, self)],
      // The lock never processes records; a short fetch wait keeps shutdown quick.
      maxWaitTimeInMs: 1000,
    });
    let held = false;
    const joined = new Promise<boolean>((resolve, reject) => {
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        const owns = (payload.memberAssignment[topic] ?? []).length > 0;
        if (!held) {
          held = owns;
          resolve(owns);
        } else if (!owns) {
          held = false;
          logger.error('another worker took over this worker group; stopping', { groupId });
          options.onLost();
        }
      });
      // kafkajs restarts itself after retriable crashes, e.g. a store topic created a
      // moment ago whose metadata has not reached every client yet.
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) reject(payload.error);
      });
    });
    await consumer.connect();
    await consumer.subscribe({ topic });
    await consumer.run({ autoCommit: false, eachMessage: async () => {} });
    const owns = await joined;
    if (!owns) {
      const holder = await describeHolder(kafka, groupId, workerId).catch(() => 'another worker');
      await consumer.disconnect();
      throw new WorkerGroupLockError(
        `Another live worker (${holder}) already runs group.id "${groupId}". Two workers with one group.id ` +
          `would run the same connectors twice: stop that worker first, or give this worker its own group.id ` +
          `and its own config/offset/status storage topics.`,
      );
    }
    return new WorkerGroupLock(consumer);
  }

  async release(): Promise<void> {
    await this.consumer.disconnect();
  }
}

async function describeHolder(kafka: Kafka, groupId: string, selfId: string): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    const others = (groups[0]?.members ?? [])
      .map((m) => {
        const metadata = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
        return (JSON.parse(metadata?.userData.toString('utf8') || '{}') as Partial<MemberInfo>).workerId;
      })
      .filter((id) => id && id !== selfId);
    return others.length > 0 ? `worker_id ${others.join(', ')}` : 'another worker';
  } finally {
    await admin.disconnect();
  }
}
