import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  binlogSettingsProblem,
  missingBinlogPrivileges,
} from '../../connectors/source-mysql/mysql-server.js';

const good = { logBin: 1, format: 'ROW', image: 'FULL', serverId: 1 };

test('binlog settings: off, not ROW, not FULL and a clashing server id each name the fix', () => {
  assert.equal(binlogSettingsProblem(good, 5400), undefined);
  assert.match(
    binlogSettingsProblem({ ...good, logBin: 0 }, 5400)!,
    /binary log is off .* add log_bin=mysql-bin/,
  );
  assert.match(
    binlogSettingsProblem({ ...good, format: 'MIXED' }, 5400)!,
    /binlog_format is MIXED .* SET GLOBAL binlog_format = 'ROW'/,
  );
  assert.match(
    binlogSettingsProblem({ ...good, image: 'MINIMAL' }, 5400)!,
    /binlog_row_image is MINIMAL .* SET GLOBAL binlog_row_image = 'FULL'/,
  );
  assert.match(binlogSettingsProblem(good, 1)!, /database.server.id=1 is the source server's own server_id/);
});

test('privileges from SHOW GRANTS, MariaDB and MySQL spellings', () => {
  assert.deepEqual(
    missingBinlogPrivileges(['GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION']),
    [],
  );
  assert.deepEqual(
    missingBinlogPrivileges(['GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `cdc`@`%`']),
    [],
  );
  assert.deepEqual(
    missingBinlogPrivileges([
      "GRANT SELECT, RELOAD, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'cdc'@'%'",
    ]),
    [],
  );
  assert.deepEqual(
    missingBinlogPrivileges([
      'GRANT SELECT, REPLICATION SLAVE ADMIN ON *.* TO `cdc`@`%`',
      'GRANT ALL PRIVILEGES ON `shop`.* TO `cdc`@`%`',
    ]),
    ['REPLICATION SLAVE', 'REPLICATION CLIENT'],
    'SLAVE ADMIN is not SLAVE, and privileges on one database do not count',
  );
});
