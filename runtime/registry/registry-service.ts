import { SiphonError } from '../plugin/errors.js';
import type avro from 'avsc';
import {
  compatibilityLevels,
  defaultCompatibilityLevel,
  incompatibilities,
  isCompatibilityLevel,
  parseAvroSchema,
  type CompatibilityLevel,
} from './compatibility.js';
import { canonicalSchema } from './canonical-schema.js';
import type { RegistryRecord } from './registry-records.js';
import type { RegistryMode, SchemaStore, StoredVersion } from './schema-store.js';
import type { SchemasLog } from './schemas-log.js';

/** An error with Confluent's HTTP status and `error_code`. */
export class RegistryError extends SiphonError {
  override readonly name: string = 'RegistryError';
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message, false);
  }
}

const notFound = {
  subject: (s: string) => new RegistryError(404, 40401, `Subject '${s}' not found.`),
  version: (s: string, v: string | number) =>
    new RegistryError(404, 40402, `Version ${v} not found for subject '${s}'.`),
  schema: (id?: number) =>
    new RegistryError(404, 40403, id === undefined ? 'Schema not found' : `Schema ${id} not found`),
};

/** The modes a client may set; IMPORT (registering with given ids) is not supported. */
const settableModes: readonly RegistryMode[] = ['READWRITE', 'READONLY', 'READONLY_OVERRIDE'];

export interface SchemaRequest {
  readonly schema?: unknown;
  readonly schemaType?: unknown;
  readonly references?: unknown;
}

export interface VersionResponse {
  subject: string;
  version: number;
  id: number;
  schema: string;
}

const maxVersion = 2 ** 31 - 1;

/**
 * The Schema Registry's operations on the store, with Confluent's error codes. Reads
 * answer from the local state; a miss on a schema id first catches up with the log, so
 * an id just registered through another registry is found. Writes go through SchemasLog.
 */
export class RegistryService {
  constructor(
    private readonly store: SchemaStore,
    private readonly log: SchemasLog,
  ) {}

  /**
   * Checks a request body and returns the schema as stored (whitespace removed; its
   * canonical form with `normalize`), its canonical form and its type.
   */
  parseRequest(
    body: SchemaRequest | undefined,
    normalize = false,
  ): { text: string; canonical: string; type: avro.Type } {
    if (body === undefined || body === null || typeof body !== 'object') {
      throw new RegistryError(
        422,
        42201,
        'Invalid schema: the request body must be {"schema": "<Avro schema as a string>"}',
      );
    }
    if (body.schemaType !== undefined && body.schemaType !== null && body.schemaType !== 'AVRO') {
      throw new RegistryError(
        422,
        42201,
        `Invalid schema: schemaType ${JSON.stringify(body.schemaType)} is not supported; this registry stores AVRO schemas`,
      );
    }
    if (Array.isArray(body.references) && body.references.length > 0) {
      throw new RegistryError(
        422,
        42201,
        'Invalid schema: schema references are not supported by this registry',
      );
    }
    if (typeof body.schema !== 'string') {
      throw new RegistryError(
        422,
        42201,
        'Invalid schema: "schema" must be the Avro schema as a JSON string',
      );
    }
    let type: avro.Type;
    try {
      type = parseAvroSchema(body.schema);
    } catch (error) {
      throw new RegistryError(422, 42201, (error as Error).message);
    }
    const canonical = canonicalSchema(body.schema);
    return { text: normalize ? canonical : JSON.stringify(JSON.parse(body.schema)), canonical, type };
  }

  subjects(includeDeleted: boolean, prefix = ''): string[] {
    return this.store.subjectNames(includeDeleted).filter((s) => s.startsWith(prefix));
  }

  /** GET /schemas: every subject version (with `latestOnly`, each subject's latest). */
  schemas(prefix: string, includeDeleted: boolean, latestOnly: boolean): VersionResponse[] {
    const versions = this.store
      .allVersions()
      .filter((v) => v.subject.startsWith(prefix) && (includeDeleted || !v.deleted));
    const chosen = latestOnly ? versions.filter((v, i) => versions[i + 1]?.subject !== v.subject) : versions;
    return chosen.map(toResponse);
  }

  /** GET /subjects/{s}/versions/{v}/referencedby: schema references are not supported, so none. */
  referencedBy(subject: string, versionText: string): number[] {
    this.findVersion(subject, versionText, false);
    return [];
  }

  versions(subject: string, includeDeleted: boolean): number[] {
    const versions = this.store.versions(subject, includeDeleted);
    if (versions.length === 0) throw notFound.subject(subject);
    return versions.map((v) => v.version);
  }

  version(subject: string, versionText: string, includeDeleted: boolean): VersionResponse {
    return toResponse(this.findVersion(subject, versionText, includeDeleted));
  }

  private findVersion(subject: string, versionText: string, includeDeleted: boolean): StoredVersion {
    const wanted = parseVersion(versionText);
    const all = this.store.versions(subject, true);
    const live = all.filter((v) => !v.deleted);
    if ((includeDeleted ? all : live).length === 0) throw notFound.subject(subject);
    if (wanted === 'latest') {
      const latest = live.at(-1);
      if (latest === undefined) throw notFound.version(subject, versionText);
      return latest;
    }
    const found = all.find((v) => v.version === wanted && (includeDeleted || !v.deleted));
    if (found === undefined) throw notFound.version(subject, wanted);
    return found;
  }

  async register(
    subject: string,
    body: SchemaRequest | undefined,
    normalize = false,
  ): Promise<{ id: number }> {
    const { text, canonical, type } = this.parseRequest(body, normalize);
    const existing = this.liveVersionOf(subject, canonical);
    if (existing !== undefined) return { id: existing.id };
    return this.log.write(() => {
      this.requireWritable(subject);
      // Decided again on the caught-up state: another registry may have written meanwhile.
      const again = this.liveVersionOf(subject, canonical);
      if (again !== undefined) return { records: [], result: { id: again.id } };
      const problems = this.problems(subject, type, this.store.versions(subject, false));
      if (problems.length > 0) {
        throw new RegistryError(
          409,
          409,
          `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: ${problems.join('; ')}`,
        );
      }
      const knownId = this.store.idOfSchema(canonical);
      const id = knownId ?? this.store.maxId + 1;
      const version = this.store.highestVersion(subject) + 1;
      const records: RegistryRecord[] = [
        {
          keytype: 'SCHEMA',
          subject,
          version,
          value: { subject, version, id, schema: text, deleted: false },
        },
      ];
      if (knownId === undefined) records.push({ keytype: 'ID_HIGH_WATER', value: { maxId: id } });
      return { records, result: { id } };
    });
  }

  /** POST /subjects/{s}: the version holding this schema, compared in canonical form. */
  lookup(subject: string, body: SchemaRequest | undefined, includeDeleted = false): VersionResponse {
    const { canonical } = this.parseRequest(body);
    const versions = this.store.versions(subject, includeDeleted);
    if (versions.length === 0) throw notFound.subject(subject);
    const found = versions.find((v) => v.canonical === canonical);
    if (found === undefined) throw notFound.schema();
    return toResponse(found);
  }

  async schemaById(id: number): Promise<{ schema: string }> {
    let schema = this.store.schemaById(id);
    if (schema === undefined) {
      await this.log.catchUp();
      schema = this.store.schemaById(id);
    }
    if (schema === undefined) throw notFound.schema(id);
    return { schema };
  }

  async subjectVersionsOfId(
    id: number,
    includeDeleted = false,
  ): Promise<{ subject: string; version: number }[]> {
    await this.schemaById(id);
    return this.store.usesOf(id, includeDeleted).map((v) => ({ subject: v.subject, version: v.version }));
  }

  async subjectsOfId(id: number, includeDeleted: boolean): Promise<string[]> {
    const uses = await this.subjectVersionsOfId(id, includeDeleted);
    return [...new Set(uses.map((u) => u.subject))].sort();
  }

  /** GET /mode, /mode/{s}: READWRITE unless set. */
  mode(subject: string | null, defaultToGlobal: boolean): { mode: RegistryMode } {
    const own = this.store.mode(subject);
    if (own !== undefined) return { mode: own };
    if (subject === null || defaultToGlobal) return { mode: this.store.mode(null) ?? 'READWRITE' };
    throw new RegistryError(404, 40409, `Subject '${subject}' does not have subject-level mode configured`);
  }

  async setMode(subject: string | null, body: unknown): Promise<{ mode: RegistryMode }> {
    const requested = (body as { mode?: unknown } | null)?.mode;
    const mode = typeof requested === 'string' ? requested.toUpperCase() : requested;
    if (!settableModes.includes(mode as RegistryMode)) {
      throw new RegistryError(
        422,
        42204,
        `Invalid mode ${JSON.stringify(requested ?? null)}. Valid values are ${settableModes.join(', ')} (IMPORT is not supported by this registry)`,
      );
    }
    return this.log.write(() => ({
      records: [{ keytype: 'MODE', subject, value: { mode: mode as string } }],
      result: { mode: mode as RegistryMode },
    }));
  }

  async deleteSubjectMode(subject: string): Promise<{ mode: RegistryMode }> {
    return this.log.write(() => {
      const previous = this.store.mode(subject);
      if (previous === undefined) throw notFound.subject(subject);
      return { records: [{ keytype: 'MODE', subject, value: null }], result: { mode: previous } };
    });
  }

  private requireWritable(subject: string): void {
    const mode = this.store.mode(subject) ?? this.store.mode(null) ?? 'READWRITE';
    if (mode === 'READONLY' || mode === 'READONLY_OVERRIDE') {
      throw new RegistryError(422, 42205, `Subject ${subject} is in read-only mode`);
    }
  }

  async deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    return this.log.write(() => {
      this.requireWritable(subject);
      const all = this.store.versions(subject, true);
      if (all.length === 0) throw notFound.subject(subject);
      const live = all.filter((v) => !v.deleted);
      if (!permanent) {
        if (live.length === 0) {
          throw new RegistryError(
            404,
            40404,
            `Subject '${subject}' was soft deleted. Set permanent=true to delete permanently`,
          );
        }
        return {
          records: live.map((v) => schemaRecord(v, true)),
          result: live.map((v) => v.version),
        };
      }
      if (live.length > 0) {
        throw new RegistryError(
          404,
          40405,
          `Subject '${subject}' was not deleted first before being permanently deleted`,
        );
      }
      const records: RegistryRecord[] = all.map((v) => ({
        keytype: 'SCHEMA',
        subject,
        version: v.version,
        value: null,
      }));
      if (this.store.subjectCompatibility(subject) !== undefined)
        records.push({ keytype: 'CONFIG', subject, value: null });
      return { records, result: all.map((v) => v.version) };
    });
  }

  async deleteVersion(subject: string, versionText: string, permanent: boolean): Promise<number> {
    const wanted = parseVersion(versionText);
    return this.log.write(() => {
      this.requireWritable(subject);
      const all = this.store.versions(subject, true);
      if (all.length === 0) throw notFound.subject(subject);
      const target =
        wanted === 'latest' ? all.filter((v) => !v.deleted).at(-1) : all.find((v) => v.version === wanted);
      if (target === undefined) throw notFound.version(subject, versionText);
      if (!permanent) {
        if (target.deleted) {
          throw new RegistryError(
            404,
            40406,
            `Subject '${subject}' Version ${target.version} was soft deleted. Set permanent=true to delete permanently`,
          );
        }
        return { records: [schemaRecord(target, true)], result: target.version };
      }
      if (!target.deleted) {
        throw new RegistryError(
          404,
          40407,
          `Subject '${subject}' Version ${target.version} was not deleted first before being permanently deleted`,
        );
      }
      return {
        records: [{ keytype: 'SCHEMA', subject, version: target.version, value: null }],
        result: target.version,
      };
    });
  }

  globalConfig(): { compatibilityLevel: CompatibilityLevel } {
    return { compatibilityLevel: this.store.globalCompatibility ?? defaultCompatibilityLevel };
  }

  subjectConfig(subject: string, defaultToGlobal: boolean): { compatibilityLevel: CompatibilityLevel } {
    const level = this.store.subjectCompatibility(subject);
    if (level !== undefined) return { compatibilityLevel: level };
    if (defaultToGlobal) return this.globalConfig();
    throw new RegistryError(
      404,
      40408,
      `Subject '${subject}' does not have subject-level compatibility configured`,
    );
  }

  async setConfig(subject: string | null, body: unknown): Promise<{ compatibility: CompatibilityLevel }> {
    const level = (body as { compatibility?: unknown } | null)?.compatibility;
    const normalised = typeof level === 'string' ? level.toUpperCase() : level;
    if (!isCompatibilityLevel(normalised)) {
      throw new RegistryError(
        422,
        42203,
        `Invalid compatibility level ${JSON.stringify(level ?? null)}. Valid values are ${compatibilityLevels.join(', ')}`,
      );
    }
    return this.log.write(() => ({
      records: [{ keytype: 'CONFIG', subject, value: { compatibilityLevel: normalised } }],
      result: { compatibility: normalised },
    }));
  }

  async deleteSubjectConfig(subject: string): Promise<{ compatibilityLevel: CompatibilityLevel }> {
    return this.log.write(() => {
      const previous = this.store.subjectCompatibility(subject);
      if (previous === undefined) throw notFound.subject(subject);
      return {
        records: [{ keytype: 'CONFIG', subject, value: null }],
        result: { compatibilityLevel: previous },
      };
    });
  }

  /**
   * POST /compatibility: against one version, or (`latest`, or no version: all of them)
   * the versions the subject's level checks, as registration would.
   */
  checkCompatibility(
    subject: string,
    versionText: string | null,
    body: SchemaRequest | undefined,
  ): { is_compatible: boolean; messages: string[] } {
    const { type } = this.parseRequest(body);
    const live = this.store.versions(subject, false);
    if (live.length === 0 && versionText === null) return { is_compatible: true, messages: [] };
    if (live.length === 0) throw notFound.subject(subject);
    const against =
      versionText === null || parseVersion(versionText) === 'latest'
        ? live
        : [this.findVersion(subject, versionText, false)];
    const problems = this.problems(subject, type, against);
    return { is_compatible: problems.length === 0, messages: problems };
  }

  private problems(subject: string, candidate: avro.Type, against: readonly StoredVersion[]): string[] {
    const level =
      this.store.subjectCompatibility(subject) ?? this.store.globalCompatibility ?? defaultCompatibilityLevel;
    return incompatibilities(
      candidate,
      against.map((v) => ({ version: v.version, type: parseAvroSchema(v.schema) })),
      level,
    );
  }

  private liveVersionOf(subject: string, canonical: string): StoredVersion | undefined {
    return this.store.versions(subject, false).find((v) => v.canonical === canonical);
  }
}

function schemaRecord(v: StoredVersion, deleted: boolean): RegistryRecord {
  return {
    keytype: 'SCHEMA',
    subject: v.subject,
    version: v.version,
    value: { subject: v.subject, version: v.version, id: v.id, schema: v.schema, deleted },
  };
}

function toResponse(v: StoredVersion): VersionResponse {
  return { subject: v.subject, version: v.version, id: v.id, schema: v.schema };
}

function parseVersion(text: string): number | 'latest' {
  if (text === 'latest' || text === '-1') return 'latest';
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > maxVersion) {
    throw new RegistryError(
      422,
      42202,
      `The specified version '${text}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
    );
  }
  return n;
}
