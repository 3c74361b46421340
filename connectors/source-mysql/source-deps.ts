import type { EventDispatcher, TableFilter } from '../../runtime/cdc/index.js';
import type { SourceTaskContext } from '../../runtime/plugin/index.js';
import type { SourcePartition } from '../../runtime/record/index.js';
import type { MySqlSourceConfig } from './config.js';
import type { KafkaSchemaHistory } from './schema-history.js';
import type { TableCatalog } from './table-catalog.js';
import type { TableEvents } from './table-events.js';
import type { TableStructure } from './table-structure.js';

/** What the snapshot and the binlog reader of one task share: its config, catalog, history and dispatcher. */
export interface MySqlSourceDeps {
  readonly config: MySqlSourceConfig;
  readonly filter: TableFilter;
  readonly catalog: TableCatalog;
  readonly history: KafkaSchemaHistory;
  /** Null for a table that cannot be captured (already reported): its rows are skipped. */
  readonly eventsFor: (table: TableStructure) => TableEvents | null;
  readonly context: SourceTaskContext;
  readonly partition: SourcePartition;
  readonly dispatcher: EventDispatcher;
}
