import { canonicalSchema } from './canonical-schema.js';
import type { CompatibilityLevel } from './compatibility.js';
import { isCompatibilityLevel } from './compatibility.js';
import type { RegistryRecord, SchemaValue } from './registry-records.js';

export interface StoredVersion {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  readonly schema: string;
  /** `schema` in canonical form: what lookups and registrations compare. */
  readonly canonical: string;
  readonly deleted: boolean;
}

export type RegistryMode = 'READWRITE' | 'READONLY' | 'READONLY_OVERRIDE' | 'IMPORT';

/**
 * The registry's state: what the `_schemas` log says after applying it in order. Every
 * registry on the same topic applies the same records in the same order, so all agree.
 */
export class SchemaStore {
  private readonly subjects = new Map<string, Map<number, StoredVersion>>();
  private readonly schemasById = new Map<number, string>();
  /** Schema ids by canonical form. */
  private readonly idsBySchema = new Map<string, number>();
  private readonly modes = new Map<string | null, RegistryMode>();
  private readonly subjectLevels = new Map<string, CompatibilityLevel>();
  private globalLevel: CompatibilityLevel | undefined;
  private highestId = 0;

  apply(record: RegistryRecord): void {
    switch (record.keytype) {
      case 'SCHEMA':
        this.applySchema(record.subject, record.version, record.value);
        break;
      case 'CONFIG': {
        const level = record.value?.compatibilityLevel;
        if (record.subject === null) this.globalLevel = isCompatibilityLevel(level) ? level : undefined;
        else if (isCompatibilityLevel(level)) this.subjectLevels.set(record.subject, level);
        else this.subjectLevels.delete(record.subject);
        break;
      }
      case 'MODE':
        if (record.value === null) this.modes.delete(record.subject);
        else this.modes.set(record.subject, record.value.mode as RegistryMode);
        break;
      case 'ID_HIGH_WATER':
        if (record.value !== null) this.highestId = Math.max(this.highestId, record.value.maxId);
        break;
      case 'NOOP':
        break;
    }
  }

  private applySchema(subject: string, version: number, value: SchemaValue | null): void {
    let versions = this.subjects.get(subject);
    if (value === null) {
      const removed = versions?.get(version);
      versions?.delete(version);
      if (versions?.size === 0) this.subjects.delete(subject);
      if (removed !== undefined && !this.isReferenced(removed.id)) {
        this.schemasById.delete(removed.id);
        this.idsBySchema.delete(removed.canonical);
      }
      return;
    }
    if (versions === undefined) {
      versions = new Map();
      this.subjects.set(subject, versions);
    }
    const canonical = canonicalForm(value.schema);
    versions.set(version, {
      subject,
      version,
      id: value.id,
      schema: value.schema,
      canonical,
      deleted: value.deleted === true,
    });
    this.schemasById.set(value.id, value.schema);
    this.idsBySchema.set(canonical, value.id);
    this.highestId = Math.max(this.highestId, value.id);
  }

  private isReferenced(id: number): boolean {
    for (const versions of this.subjects.values()) {
      for (const v of versions.values()) if (v.id === id) return true;
    }
    return false;
  }

  /** Subject names with a live version (or any version, with `includeDeleted`). */
  subjectNames(includeDeleted: boolean): string[] {
    return [...this.subjects.entries()]
      .filter(([, versions]) => includeDeleted || [...versions.values()].some((v) => !v.deleted))
      .map(([name]) => name)
      .sort();
  }

  /** A subject's versions, oldest first. */
  versions(subject: string, includeDeleted: boolean): StoredVersion[] {
    const versions = [...(this.subjects.get(subject)?.values() ?? [])];
    return versions.filter((v) => includeDeleted || !v.deleted).sort((a, b) => a.version - b.version);
  }

  highestVersion(subject: string): number {
    return Math.max(0, ...[...(this.subjects.get(subject)?.keys() ?? [])]);
  }

  schemaById(id: number): string | undefined {
    return this.schemasById.get(id);
  }

  idOfSchema(canonical: string): number | undefined {
    return this.idsBySchema.get(canonical);
  }

  /** Live and deleted versions of every subject, by subject then version. */
  allVersions(): StoredVersion[] {
    return [...this.subjects.keys()].sort().flatMap((subject) => this.versions(subject, true));
  }

  /** The mode set for `subject` (null: the global mode), if any. */
  mode(subject: string | null): RegistryMode | undefined {
    return this.modes.get(subject);
  }

  /** Where a schema id is used: every live (or any) subject version holding it. */
  usesOf(id: number, includeDeleted = false): StoredVersion[] {
    return [...this.subjects.values()].flatMap((versions) =>
      [...versions.values()].filter((v) => v.id === id && (includeDeleted || !v.deleted)),
    );
  }

  get maxId(): number {
    return this.highestId;
  }

  get globalCompatibility(): CompatibilityLevel | undefined {
    return this.globalLevel;
  }

  subjectCompatibility(subject: string): CompatibilityLevel | undefined {
    return this.subjectLevels.get(subject);
  }
}

/** A stored text that is not JSON (written by another tool) is compared as it is. */
function canonicalForm(schema: string): string {
  try {
    return canonicalSchema(schema);
  } catch {
    return schema;
  }
}
