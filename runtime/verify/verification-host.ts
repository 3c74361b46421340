import type { Admin } from 'kafkajs';
import type { ConnectorPlugin, ParsedConfig } from '../plugin/index.js';

/** What a verification needs from the worker (runtime/worker/worker.ts implements it). */
export interface VerificationHost {
  connectorNames(): string[];
  resolvedConnector(name: string): {
    plugin: ConnectorPlugin;
    config: ParsedConfig;
    raw: Record<string, string>;
  };
  /** Topics a connector produced to (source) or consumed (sink). */
  activeTopics(name: string): string[];
  /** Source: stored source offsets; sink: the consumer group's committed offsets. */
  offsets(
    name: string,
  ): Promise<{ partition: Record<string, unknown>; offset: Record<string, unknown> | null }[]>;
  connectorStatus(name: string): { connector: { state: string } };
  readonly kafkaAdmin: Admin;
}
