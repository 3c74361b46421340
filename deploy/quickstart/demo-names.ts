/**
 * Every name the quick-start demo creates, derived from one suffix so that a test can
 * run the demo beside a user's own quick start without touching it.
 */
export interface DemoNames {
  readonly sourceDatabase: string;
  readonly replicaDatabase: string;
  readonly topicPrefix: string;
  readonly slot: string;
  readonly publication: string;
  readonly workerGroup: string;
  readonly sourceConnector: string;
  readonly postgresSink: string;
  readonly mariadbSink: string;
}

export function demoNames(suffix: string): DemoNames {
  const tail = suffix ? `_${suffix}` : '';
  const dash = suffix ? `-${suffix}` : '';
  return {
    sourceDatabase: `inventory${tail}`,
    replicaDatabase: `replica${tail}`,
    topicPrefix: `inventory${tail}`,
    slot: `siphon_quickstart${tail}`,
    publication: `siphon_quickstart${tail}`,
    workerGroup: `siphon-quickstart${dash}`,
    sourceConnector: `inventory-source${dash}`,
    postgresSink: `replica-postgres${dash}`,
    mariadbSink: `replica-mariadb${dash}`,
  };
}
