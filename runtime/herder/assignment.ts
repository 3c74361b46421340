/**
 * The leader's assignment of connectors and tasks to the members of a worker group, as a
 * pure function (KIP-415's incremental cooperative rules, simplified):
 *
 * - sticky: a member keeps every unit it runs that still exists;
 * - units nobody runs go to the least loaded members, connectors and tasks balanced apart;
 * - a member above its fair share gives the excess up: the unit is revoked now and assigned
 *   in a follow-up rebalance once its old owner has stopped it, so one unit never runs on
 *   two workers at once;
 * - a unit whose worker vanished (its status still names a worker that is gone) waits until
 *   `lostUntil`: `scheduled.rebalance.max.delay.ms` gives that worker time to come back.
 */

/** A connector (`name`) or one of its tasks (`name/3`); names never contain `/`. */
export type WorkUnit = string;

export function taskUnit(connector: string, task: number): WorkUnit {
  return `${connector}/${task}`;
}

/** The connector a unit belongs to, and its task id (null for the connector itself). */
export function parseUnit(unit: WorkUnit): { connector: string; task: number | null } {
  const slash = unit.lastIndexOf('/');
  if (slash < 0) return { connector: unit, task: null };
  return { connector: unit.slice(0, slash), task: Number(unit.slice(slash + 1)) };
}

export interface MemberWork {
  readonly workerId: string;
  /** What the member runs (or is still stopping) as it joined. */
  readonly owned: readonly WorkUnit[];
}

export interface AssignmentInput {
  readonly members: readonly MemberWork[];
  /** Every unit that should run somewhere. */
  readonly units: readonly WorkUnit[];
  /** Units whose last owner vanished, with the time until which they wait for it. */
  readonly lostUntil: ReadonlyMap<WorkUnit, number>;
  readonly now: number;
}

export interface AssignmentPlan {
  /** workerId → the units it runs in this generation (sorted). */
  readonly assigned: ReadonlyMap<string, readonly WorkUnit[]>;
  /** Units taken from their owner for balance; they go elsewhere in the follow-up. */
  readonly revoked: readonly WorkUnit[];
  /** Lost units still waiting for their worker. */
  readonly delayed: readonly WorkUnit[];
  /** When the leader must rebalance again (a delay ends), or null. */
  readonly nextRebalanceAt: number | null;
}

export function planAssignment(input: AssignmentInput): AssignmentPlan {
  const members = [...input.members].sort((a, b) => a.workerId.localeCompare(b.workerId));
  const wanted = new Set(input.units);
  const kept = new Map<string, WorkUnit[]>(members.map((m) => [m.workerId, []]));
  const claimed = new Set<WorkUnit>();
  for (const member of members) {
    for (const unit of [...member.owned].sort()) {
      // A unit two members claim (a worker restarted under a reused id) stays with the first.
      if (!wanted.has(unit) || claimed.has(unit)) continue;
      claimed.add(unit);
      kept.get(member.workerId)!.push(unit);
    }
  }
  const delayed: WorkUnit[] = [];
  let nextRebalanceAt: number | null = null;
  const free: WorkUnit[] = [];
  for (const unit of input.units) {
    if (claimed.has(unit)) continue;
    const until = input.lostUntil.get(unit);
    if (until !== undefined && until > input.now) {
      delayed.push(unit);
      nextRebalanceAt = nextRebalanceAt === null ? until : Math.min(nextRebalanceAt, until);
    } else {
      free.push(unit);
    }
  }
  const assigned = new Map<string, WorkUnit[]>(members.map((m) => [m.workerId, []]));
  const revoked: WorkUnit[] = [];
  if (members.length > 0) {
    for (const isTask of [false, true]) {
      const ofKind = (units: readonly WorkUnit[]) =>
        units.filter((u) => (parseUnit(u).task !== null) === isTask);
      balanceKind(
        members.map((m) => m.workerId),
        new Map(members.map((m) => [m.workerId, ofKind(kept.get(m.workerId)!)])),
        ofKind(free),
        assigned,
        revoked,
      );
    }
  }
  for (const units of assigned.values()) units.sort();
  return { assigned, revoked: revoked.sort(), delayed, nextRebalanceAt };
}

/** Fills `assigned` with one kind of unit: what members keep, then free units, least loaded first. */
function balanceKind(
  workerIds: readonly string[],
  kept: ReadonlyMap<string, readonly WorkUnit[]>,
  free: readonly WorkUnit[],
  assigned: Map<string, WorkUnit[]>,
  revoked: WorkUnit[],
): void {
  const total = free.length + [...kept.values()].reduce((n, units) => n + units.length, 0);
  const base = Math.floor(total / workerIds.length);
  let extra = total % workerIds.length;
  // The members already above the base keep the extra slots first: fewer moves.
  const byLoad = [...workerIds].sort(
    (a, b) => kept.get(b)!.length - kept.get(a)!.length || a.localeCompare(b),
  );
  const quota = new Map<string, number>();
  for (const id of byLoad) {
    const more = extra > 0 && kept.get(id)!.length > base ? 1 : 0;
    extra -= more;
    quota.set(id, base + more);
  }
  for (const id of [...byLoad].reverse()) {
    if (extra > 0 && quota.get(id) === base) {
      quota.set(id, base + 1);
      extra--;
    }
  }
  const load = new Map<string, number>();
  for (const id of workerIds) {
    const keep = [...kept.get(id)!];
    // Giving up the connector this member runs most of spreads each connector's tasks.
    while (keep.length > quota.get(id)!) {
      const unit = mostCrowded(keep);
      keep.splice(keep.indexOf(unit), 1);
      revoked.push(unit);
    }
    assigned.get(id)!.push(...keep);
    load.set(id, keep.length);
  }
  // Free units fill the members below their quota; revoked units wait for the follow-up.
  for (const unit of free) {
    const connector = parseUnit(unit).connector;
    const siblings = (w: string) =>
      assigned.get(w)!.filter((u) => parseUnit(u).connector === connector).length;
    const id = workerIds
      .filter((w) => load.get(w)! < quota.get(w)!)
      .sort((a, b) => load.get(a)! - load.get(b)! || siblings(a) - siblings(b) || a.localeCompare(b))[0];
    if (id === undefined) break;
    assigned.get(id)!.push(unit);
    load.set(id, load.get(id)! + 1);
  }
}

/** The last unit of the connector with the most units in `units`. */
function mostCrowded(units: readonly WorkUnit[]): WorkUnit {
  const counts = new Map<string, number>();
  for (const unit of units) {
    const connector = parseUnit(unit).connector;
    counts.set(connector, (counts.get(connector) ?? 0) + 1);
  }
  let best = units[units.length - 1]!;
  for (const unit of units) {
    const count = counts.get(parseUnit(unit).connector)!;
    if (count >= counts.get(parseUnit(best).connector)!) best = unit;
  }
  return best;
}
