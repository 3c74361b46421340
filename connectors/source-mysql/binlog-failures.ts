import { ConfigError, isAccessDenied, SiphonError } from '../../runtime/plugin/index.js';
import type { MySqlSourceConfig } from './config.js';

/**
 * Binlog failures the user must act on, with clear messages. Which failures are worth
 * reading again from the last position is the runtime's one policy (isConnectionLost).
 */

/** The errors users can act on, with the action. */
export function explain(error: Error, config: MySqlSourceConfig): Error {
  const errno = (error as { errno?: number }).errno;
  if (errno === 4052 || /same server_uuid\/server_id/i.test(error.message)) {
    return new ConfigError(
      'database.server.id',
      `another binlog reader connected with database.server.id=${config.serverId}, and the server dropped this connector's connection; give each connector (and replica) its own database.server.id`,
      { cause: error },
    );
  }
  if (errno === 1236 && /could not find first log file|purged|not find.*log/i.test(error.message)) {
    // The position is lost: reading again cannot find it.
    return new SiphonError(
      `the binlog position to resume from is no longer on the server (purged): ${error.message}. Set snapshot.mode=when_needed to take a new snapshot, or delete the connector's offsets`,
      false,
      { cause: error },
    );
  }
  if (isAccessDenied(error)) {
    return new SiphonError(
      `database.user "${config.user}" may not read the binlog: ${error.message}. Grant it REPLICATION SLAVE and REPLICATION CLIENT`,
      false,
      { cause: error },
    );
  }
  return error;
}
