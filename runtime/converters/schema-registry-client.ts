import { isRetriable, SiphonError } from '../plugin/errors.js';

/**
 * The few Confluent Schema Registry calls the Avro converter makes (register, look up,
 * fetch by id). Not @kafkajs/confluent-schema-registry's: its `register` also rewrites the
 * subject's compatibility level, which a converter must never do. The converter encodes
 * and decodes with avsc itself, as that client would.
 */

/** The registry's answer to a failed request: its HTTP status (0: no answer) and error_code. */
export class SchemaRegistryError extends SiphonError {
  override readonly name: string = 'SchemaRegistryError';
  constructor(
    message: string,
    readonly status: number,
    readonly errorCode: number | undefined,
    options?: ErrorOptions,
  ) {
    // Without an answer, retriable as the failure to reach the registry is.
    super(message, status === 0 && isRetriable(options?.cause), options);
  }
}

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

const contentType = 'application/vnd.schemaregistry.v1+json';

export class SchemaRegistryClient {
  private readonly authorization: string | undefined;

  constructor(
    readonly url: string,
    credentials?: RegistryCredentials,
  ) {
    this.authorization =
      credentials === undefined
        ? undefined
        : `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  }

  /** Registers (or finds) an Avro schema under a subject; returns its id. */
  async register(subject: string, schema: string): Promise<number> {
    const body = await this.call('POST', `/subjects/${encodeURIComponent(subject)}/versions`, { schema });
    return (body as { id: number }).id;
  }

  /** The id of a schema already registered under a subject (no registration). */
  async lookup(subject: string, schema: string): Promise<number> {
    const body = await this.call('POST', `/subjects/${encodeURIComponent(subject)}`, { schema });
    return (body as { id: number }).id;
  }

  async schemaById(id: number): Promise<string> {
    const body = await this.call('GET', `/schemas/ids/${id}`);
    const { schema, schemaType } = body as { schema: string; schemaType?: string };
    if (schemaType !== undefined && schemaType !== 'AVRO') {
      throw new SchemaRegistryError(`schema ${id} is ${schemaType}, not AVRO`, 422, undefined);
    }
    return schema;
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { accept: contentType };
    if (body !== undefined) headers['content-type'] = contentType;
    if (this.authorization !== undefined) headers.authorization = this.authorization;
    let response: Response;
    try {
      response = await fetch(`${this.url.replace(/\/+$/, '')}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
      throw new SchemaRegistryError(`schema registry ${this.url} is unreachable: ${cause}`, 0, undefined, {
        cause: error,
      });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      parsed = null;
    }
    if (!response.ok) {
      const { message, error_code: errorCode } = (parsed ?? {}) as { message?: string; error_code?: number };
      throw new SchemaRegistryError(
        `${method} ${path} failed with HTTP ${response.status}${errorCode === undefined ? '' : ` (error ${errorCode})`}: ${message ?? text.slice(0, 200)}`,
        response.status,
        errorCode,
      );
    }
    return parsed;
  }
}
