import type pg from 'pg';

/** One row of pg_type, as much as type mapping needs. */
export interface PgType {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  /** b base, d domain, e enum, c composite, r range, m multirange, p pseudo. */
  readonly kind: string;
  /** 'A' for arrays. */
  readonly category: string;
  readonly baseTypeOid: number;
  readonly domainTypmod: number;
  readonly elementOid: number;
  readonly delimiter: string;
  readonly enumLabels: readonly string[] | null;
}

const typeQuery = `
SELECT t.oid::int AS oid, n.nspname AS schema, t.typname AS name, t.typtype AS kind, t.typcategory AS category,
       t.typbasetype::int AS base_oid, t.typtypmod AS domain_typmod, t.typelem::int AS element_oid, t.typdelim AS delimiter,
       CASE WHEN t.typtype = 'e' THEN
         (SELECT array_to_json(array_agg(e.enumlabel ORDER BY e.enumsortorder))::text FROM pg_enum e WHERE e.enumtypid = t.oid)
       END AS enum_labels
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace`;

interface TypeRow {
  oid: string;
  schema: string;
  name: string;
  kind: string;
  category: string;
  base_oid: string;
  domain_typmod: string;
  element_oid: string;
  delimiter: string;
  enum_labels: string | null;
}

function toType(row: TypeRow): PgType {
  return {
    oid: Number(row.oid),
    schema: row.schema,
    name: row.name,
    kind: row.kind,
    category: row.category,
    baseTypeOid: Number(row.base_oid),
    domainTypmod: Number(row.domain_typmod),
    elementOid: Number(row.element_oid),
    delimiter: row.delimiter,
    enumLabels: row.enum_labels === null ? null : (JSON.parse(row.enum_labels) as string[]),
  };
}

/**
 * The database's types by OID, loaded once and refreshed for OIDs seen for the first
 * time (an enum or domain created while streaming). Bounded by the catalog's size.
 */
export class TypeRegistry {
  private readonly types = new Map<number, PgType>();

  constructor(private readonly client: pg.Client) {}

  async load(): Promise<void> {
    const result = await this.client.query<TypeRow>(typeQuery);
    for (const row of result.rows) this.types.set(Number(row.oid), toType(row));
  }

  /** The type, reloading it (and enum labels, which change with ALTER TYPE ... ADD VALUE) when `refresh`. */
  async get(oid: number, refresh = false): Promise<PgType | undefined> {
    if (refresh || !this.types.has(oid)) {
      const result = await this.client.query<TypeRow>(`${typeQuery} WHERE t.oid = $1`, [oid]);
      const row = result.rows[0];
      if (row !== undefined) this.types.set(oid, toType(row));
    }
    return this.types.get(oid);
  }

  /** Resolves a type and everything a mapping needs beneath it (domain base, array element). */
  async resolve(oid: number): Promise<PgType | undefined> {
    const type = await this.get(oid, this.types.get(oid)?.kind === 'e');
    if (type === undefined) return undefined;
    if (type.kind === 'd') await this.resolve(type.baseTypeOid);
    if (type.category === 'A' && type.elementOid !== 0) await this.resolve(type.elementOid);
    return type;
  }

  known(oid: number): PgType | undefined {
    return this.types.get(oid);
  }
}
