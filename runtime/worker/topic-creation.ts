import { ConfigError } from '../plugin/errors.js';
import type { ConfigDef } from '../plugin/index.js';

/**
 * Kafka Connect's topic creation for source connectors (KIP-158): with
 * `topic.creation.default.replication.factor` and `.partitions` set, the worker creates
 * each topic before the first record goes to it (an existing topic is left as it is).
 * `topic.creation.groups` names further groups; a topic takes the settings of the first
 * group whose `topic.creation.<group>.include` regexes match it and whose `.exclude` ones
 * do not, else the default group's. Every other `topic.creation.<group>.<key>` is a Kafka
 * topic config, e.g. `topic.creation.default.max.message.bytes=8388608` for large rows or
 * `topic.creation.default.compression.type=gzip`. Groups inherit the default group's
 * partitions and replication factor when they do not set their own.
 */
export const topicCreationConfigKeys: ConfigDef = [
  {
    name: 'topic.creation.groups',
    type: 'list',
    default: [],
    importance: 'low',
    group: 'Topic Creation',
    documentation:
      'Groups of topic creation settings besides default, each with topic.creation.<group>.include/exclude (comma-separated regexes), .partitions, .replication.factor and any Kafka topic config (topic.creation.<group>.<config>).',
  },
  {
    name: 'topic.creation.default.replication.factor',
    type: 'int',
    default: null,
    importance: 'low',
    group: 'Topic Creation',
    documentation:
      'Replication factor of the topics the worker creates (-1: the broker default). With topic.creation.default.partitions it turns topic creation on; any topic.creation.default.<config> (e.g. max.message.bytes) becomes a topic config.',
  },
  {
    name: 'topic.creation.default.partitions',
    type: 'int',
    default: null,
    importance: 'low',
    group: 'Topic Creation',
    documentation: 'Partitions of the topics the worker creates (-1: the broker default).',
  },
];

export interface NewTopicSettings {
  readonly numPartitions: number;
  readonly replicationFactor: number;
  readonly configEntries: { name: string; value: string }[];
}

interface Group {
  readonly name: string;
  readonly include: readonly RegExp[];
  readonly exclude: readonly RegExp[];
  readonly settings: NewTopicSettings;
}

const groupKeys = new Set(['include', 'exclude', 'partitions', 'replication.factor']);

export class TopicCreation {
  private constructor(
    private readonly groups: readonly Group[],
    private readonly defaults: NewTopicSettings,
  ) {}

  /** The connector's topic creation, or null when it does not ask for it (or the worker disables it). */
  static of(config: Readonly<Record<string, string>>, workerEnabled: boolean): TopicCreation | null {
    const partitions = config['topic.creation.default.partitions'];
    const replication = config['topic.creation.default.replication.factor'];
    if (!workerEnabled || partitions === undefined || replication === undefined) return null;
    const settingsOf = (group: string, inherited?: NewTopicSettings): NewTopicSettings => {
      const prefix = `topic.creation.${group}.`;
      const configEntries = Object.entries(config)
        .filter(([key]) => key.startsWith(prefix) && !groupKeys.has(key.slice(prefix.length)))
        .map(([key, value]) => ({ name: key.slice(prefix.length), value }));
      return {
        numPartitions: integer(
          config[`${prefix}partitions`],
          inherited?.numPartitions,
          `${prefix}partitions`,
        ),
        replicationFactor: integer(
          config[`${prefix}replication.factor`],
          inherited?.replicationFactor,
          `${prefix}replication.factor`,
        ),
        configEntries: [
          ...(inherited?.configEntries ?? []).filter((e) => !configEntries.some((o) => o.name === e.name)),
          ...configEntries,
        ],
      };
    };
    const defaults = settingsOf('default');
    const names = (config['topic.creation.groups'] ?? '')
      .split(',')
      .map((g) => g.trim())
      .filter((g) => g !== '' && g !== 'default');
    const groups = names.map((name) => ({
      name,
      include: regexes(config[`topic.creation.${name}.include`]),
      exclude: regexes(config[`topic.creation.${name}.exclude`]),
      settings: settingsOf(name, defaults),
    }));
    return new TopicCreation(groups, defaults);
  }

  settingsFor(topic: string): NewTopicSettings {
    const group = this.groups.find(
      (g) => g.include.some((r) => r.test(topic)) && !g.exclude.some((r) => r.test(topic)),
    );
    return group?.settings ?? this.defaults;
  }
}

function integer(text: string | undefined, inherited: number | undefined, key: string): number {
  if (text === undefined) {
    if (inherited === undefined) throw new ConfigError(key, `${key} is required for topic creation`);
    return inherited;
  }
  const n = Number(text);
  if (!Number.isInteger(n) || (n < 1 && n !== -1)) {
    throw new ConfigError(key, `${key} must be a positive integer or -1 (the broker default), got "${text}"`);
  }
  return n;
}

function regexes(text: string | undefined): RegExp[] {
  return (text ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '')
    .map((r) => new RegExp(`^(?:${r})$`));
}
