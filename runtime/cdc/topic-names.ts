import type { TaskLogger } from '../plugin/index.js';

/**
 * Kafka topic names allow only ASCII letters, digits, `.`, `_` and `-`, at most 249
 * characters. A table whose name has other characters (`we"ird;tab le`, `ünïcode_表`) gets
 * the name with each of them replaced by `_`, as Debezium's topic naming does; the change
 * is logged once per table.
 */
const maxTopicLength = 249;

export function sanitizedTopicName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Why `topic` (already sanitised) still cannot be a Kafka topic, or undefined. */
export function topicNameProblem(topic: string): string | undefined {
  if (topic === '.' || topic === '..') return `"${topic}" is not a valid Kafka topic name`;
  if (topic.length > maxTopicLength) {
    return `its topic name would be ${topic.length} characters long, more than Kafka's ${maxTopicLength}; use a shorter topic.prefix or a RegexRouter transform`;
  }
  return undefined;
}

const logged = new WeakMap<TaskLogger, Set<string>>();

/**
 * The topic of a table's change events: `unsanitised` (`<prefix>.<schema>.<table>`)
 * sanitised, logged on the task's logger the first time it differs.
 */
export function dataCollectionTopic(unsanitised: string, logger: TaskLogger): string {
  const topic = sanitizedTopicName(unsanitised);
  if (topic !== unsanitised) {
    let seen = logged.get(logger);
    if (seen === undefined) {
      seen = new Set();
      logged.set(logger, seen);
    }
    if (!seen.has(unsanitised)) {
      seen.add(unsanitised);
      logger.warn('table name is not a valid Kafka topic name; its events go to the sanitised topic', {
        table: unsanitised,
        topic,
      });
    }
  }
  return topic;
}
