import { AssignerProtocol, type Admin, type Consumer, type Kafka, type PartitionAssigner } from 'kafkajs';
import type { Logger } from '../logging/logger.js';
import type { WorkUnit } from './assignment.js';
import type { ClusterMember } from './cluster-view.js';

/**
 * Membership of a worker group through Kafka's group coordinator, as Kafka Connect's
 * distributed herder does it: every worker joins the consumer group `group.id` (on the
 * configs topic, which it never consumes through this group) with Siphon's protocol. Each
 * member's metadata says who it is and what it runs; the member the coordinator picks as
 * leader computes the assignment (through `lead`), the coordinator hands each member its
 * share, and each member reads its share back from the group (kafkajs keeps the
 * assignment's user data to itself). No election or consensus of our own.
 *
 * A rebalance is asked for by a short-lived probe member that joins and leaves (kafkajs
 * has no rejoin call): a config change, a revoked unit now stopped, a delay that ended.
 */
export const workerProtocol = 'siphon-worker';

export interface MemberMetadata {
  readonly workerId: string;
  readonly url: string;
  /** The last assignment generation this member applied. */
  readonly generation: number;
  /** How far this member has read the configs topic (the leader reads at least as far). */
  readonly configOffset: number;
  readonly owned: readonly WorkUnit[];
  /** A probe that only triggers the rebalance: never a member of the cluster. */
  readonly probe?: boolean;
}

export interface JoinedMember extends MemberMetadata {
  readonly memberId: string;
}

/** What the leader hands each member. */
export interface GroupAssignment {
  readonly generation: number;
  readonly leader: ClusterMember;
  readonly members: readonly ClusterMember[];
  /** Every unit of the cluster → the worker id that runs it. */
  readonly owners: Readonly<Record<WorkUnit, string>>;
  /** Units of a vanished worker, waiting for it until `until` (scheduled.rebalance.max.delay.ms). */
  readonly lost: Readonly<Record<WorkUnit, { readonly workerId: string; readonly until: number }>>;
  /** This member's units. */
  readonly assigned: readonly WorkUnit[];
}

export interface WorkerGroupOptions {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly groupId: string;
  /** The configs topic: the group's subscription, given to the leader and never read. */
  readonly topic: string;
  readonly self: ClusterMember;
  readonly logger: Logger;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  /** What this worker runs right now, stopping units included. */
  readonly owned: () => readonly WorkUnit[];
  readonly generation: () => number;
  readonly configOffset: () => number;
  /** The leader's part: each real member's share, by member id. */
  readonly lead: (members: readonly JoinedMember[]) => Promise<ReadonlyMap<string, GroupAssignment>>;
  readonly onAssignment: (assignment: GroupAssignment) => void;
  readonly onRebalanceStarted: () => void;
  /** No heartbeat reached the coordinator for a session timeout: others may run our units now. */
  readonly onSessionLost: () => void;
}

function encodeMetadata(topics: string[], metadata: MemberMetadata): Buffer {
  return AssignerProtocol.MemberMetadata.encode({
    version: 1,
    topics,
    userData: Buffer.from(JSON.stringify(metadata)),
  });
}

function decodeMetadata(buffer: Buffer): MemberMetadata | null {
  const decoded = AssignerProtocol.MemberMetadata.decode(buffer);
  try {
    return JSON.parse(decoded?.userData.toString('utf8') || 'null') as MemberMetadata | null;
  } catch {
    return null;
  }
}

export class WorkerGroup {
  private consumer: Consumer | null = null;
  private lastContact = Date.now();
  /** When a member stuck after a lost session was last replaced (see checkSession). */
  private lastReplaced = 0;
  private watchdog: NodeJS.Timeout | null = null;
  private sessionLost = false;
  private probing: Promise<void> | null = null;
  private probeAgain = false;
  private closed = false;

  constructor(private readonly options: WorkerGroupOptions) {}

  private assigner(metadata: () => MemberMetadata): PartitionAssigner {
    const { topic } = this.options;
    return () => ({
      name: workerProtocol,
      version: 1,
      protocol: ({ topics }) => ({ name: workerProtocol, metadata: encodeMetadata(topics, metadata()) }),
      assign: async ({ members }) => {
        const joined: JoinedMember[] = [];
        for (const member of members) {
          const info = decodeMetadata(member.memberMetadata);
          if (info && !info.probe) joined.push({ ...info, memberId: member.memberId });
        }
        const shares = await this.options.lead(joined);
        // The first real member holds the configs partition, so the group has a subscription owner.
        const holder = joined.map((m) => m.memberId).sort()[0];
        return members.map((member) => ({
          memberId: member.memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: 1,
            assignment: member.memberId === holder ? { [topic]: [0] } : {},
            userData: Buffer.from(JSON.stringify(shares.get(member.memberId) ?? null)),
          }),
        }));
      },
    });
  }

  async join(): Promise<void> {
    await this.connectMember();
    this.watchdog = setInterval(() => this.checkSession(), Math.min(1000, this.options.heartbeatIntervalMs));
    this.watchdog.unref();
  }

  private async connectMember(): Promise<void> {
    const { groupId, topic, self, logger } = this.options;
    const consumer = this.createConsumer(() => ({
      workerId: self.workerId,
      url: self.url,
      generation: this.options.generation(),
      configOffset: this.options.configOffset(),
      owned: this.options.owned(),
    }));
    this.consumer = consumer;
    // A member that was replaced (checkSession) speaks for this worker no more.
    const current = () => this.consumer === consumer;
    consumer.on(consumer.events.HEARTBEAT, () => current() && this.contact());
    consumer.on(consumer.events.REBALANCING, () => current() && this.options.onRebalanceStarted());
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      if (!current()) return;
      this.contact();
      void this.readAssignment(payload.memberId).catch((error: unknown) =>
        logger.warn('could not read this worker’s assignment; waiting for the next rebalance', { error }),
      );
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!current()) return;
      logger.error('the worker group member crashed', {
        groupId,
        error: payload.error,
        restart: payload.restart,
      });
      this.options.onRebalanceStarted();
      // kafkajs restarts itself after retriable failures; after any other, join anew.
      if (!payload.restart && !this.closed) this.rejoinLater(consumer);
    });
    await consumer.connect();
    await consumer.subscribe({ topic });
    await consumer.run({ autoCommit: false, eachMessage: async () => {} });
  }

  private replaceMember(): void {
    const stuck = this.consumer;
    this.options.logger.warn(
      'the worker group member heard nothing since its session was lost; joining anew',
      {
        groupId: this.options.groupId,
      },
    );
    this.consumer = null;
    // Not awaited: a stuck member may take long to disconnect, and it is ignored meanwhile.
    void stuck?.disconnect().catch(() => undefined);
    void this.connectMember().catch((error: unknown) => this.rejoinFailed(error));
  }

  private rejoinLater(crashed: Consumer): void {
    const timer = setTimeout(() => {
      if (this.closed || this.consumer !== crashed) return;
      void crashed
        .disconnect()
        .catch(() => undefined)
        .then(() => this.connectMember())
        .catch((error: unknown) => this.rejoinFailed(error));
    }, this.options.heartbeatIntervalMs);
    timer.unref();
  }

  private rejoinFailed(error: unknown): void {
    this.options.logger.warn('could not rejoin the worker group; trying again', { error });
    if (this.consumer) this.rejoinLater(this.consumer);
  }

  /** Asks the coordinator for a new rebalance; concurrent requests share one. */
  requestRebalance(): void {
    if (this.closed) return;
    if (this.probing) {
      this.probeAgain = true;
      return;
    }
    this.probing = (async () => {
      do {
        this.probeAgain = false;
        await this.probe().catch((error: unknown) =>
          this.options.logger.warn('could not ask for a rebalance', { error }),
        );
      } while (this.probeAgain && !this.closed);
    })().finally(() => {
      this.probing = null;
    });
  }

  async leave(): Promise<void> {
    this.closed = true;
    if (this.watchdog) clearInterval(this.watchdog);
    await this.probing?.catch(() => undefined);
    await this.consumer?.disconnect();
    this.consumer = null;
  }

  private createConsumer(metadata: () => MemberMetadata): Consumer {
    const { kafka, groupId, sessionTimeoutMs, heartbeatIntervalMs, rebalanceTimeoutMs } = this.options;
    return kafka.consumer({
      groupId,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: heartbeatIntervalMs,
      rebalanceTimeout: rebalanceTimeoutMs,
      partitionAssigners: [this.assigner(metadata)],
      // The member never processes records: short fetch waits keep its heartbeats on time.
      maxWaitTimeInMs: Math.min(1000, heartbeatIntervalMs),
    });
  }

  private async probe(): Promise<void> {
    const { self, topic, rebalanceTimeoutMs } = this.options;
    const probe = this.createConsumer(() => ({
      workerId: `${self.workerId}#probe`,
      url: self.url,
      generation: 0,
      configOffset: 0,
      owned: [],
      probe: true,
    }));
    try {
      const joined = new Promise<void>((resolve, reject) => {
        probe.on(probe.events.GROUP_JOIN, () => resolve());
        probe.on(probe.events.CRASH, ({ payload }) => reject(payload.error));
        setTimeout(
          () => reject(new Error('the rebalance probe did not join in time')),
          rebalanceTimeoutMs,
        ).unref();
      });
      await probe.connect();
      await probe.subscribe({ topic });
      await probe.run({ autoCommit: false, eachMessage: async () => {} });
      await joined;
    } finally {
      // Leaving starts the rebalance that hands out the real assignment.
      await probe.disconnect().catch(() => undefined);
    }
  }

  private async readAssignment(memberId: string): Promise<void> {
    const { admin, groupId } = this.options;
    const { groups } = await admin.describeGroups([groupId]);
    const group = groups[0];
    // Not stable: another rebalance began; its GROUP_JOIN brings the next assignment.
    if (!group || group.state !== 'Stable') return;
    const member = group.members.find((m) => m.memberId === memberId);
    if (!member) return;
    const decoded = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
    const share = JSON.parse(decoded?.userData.toString('utf8') || 'null') as GroupAssignment | null;
    if (share && !this.closed) {
      this.sessionLost = false;
      this.options.onAssignment(share);
    }
  }

  private contact(): void {
    this.lastContact = Date.now();
  }

  private checkSession(): void {
    if (this.closed) return;
    const { sessionTimeoutMs } = this.options;
    if (this.sessionLost) {
      // kafkajs rejoins by itself once the coordinator answers, or crashes and is rejoined;
      // after a broker restart it has been seen doing neither, silent for minutes. A member
      // that has heard nothing for another session timeout is replaced by a new one.
      const now = Date.now();
      if (now - this.lastContact < 2 * sessionTimeoutMs || now - this.lastReplaced < sessionTimeoutMs) return;
      this.lastReplaced = now;
      this.replaceMember();
      return;
    }
    if (Date.now() - this.lastContact < sessionTimeoutMs) return;
    this.sessionLost = true;
    this.options.logger.error(
      'no heartbeat reached the group coordinator for a session timeout: stopping this worker’s tasks until it rejoins',
      { groupId: this.options.groupId, sessionTimeoutMs: this.options.sessionTimeoutMs },
    );
    this.options.onSessionLost();
  }
}
