/** What REST, the CLI and the metrics know of the cluster: its members, its leader and who runs what. */
export interface ClusterMember {
  readonly workerId: string;
  readonly url: string;
}

export interface ClusterView {
  readonly kafkaClusterId: string;
  readonly selfId: string;
  readonly selfUrl: string;
  /** null while no assignment has been received (joining or rebalancing). */
  readonly leader: ClusterMember | null;
  readonly rebalancing: boolean;
  readonly generation: number;
  readonly members: readonly ClusterMember[];
  /** Which worker runs what: connector name → worker id; `name/task` → worker id. */
  readonly connectorOwners: ReadonlyMap<string, string>;
  readonly taskOwners: ReadonlyMap<string, string>;
}
