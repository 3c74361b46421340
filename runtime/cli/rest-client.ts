import { isRetriable, SiphonError } from '../plugin/errors.js';

/**
 * The CLI's client of the worker REST API. Errors come back as Kafka Connect's
 * `{error_code, message}` and are raised with that message.
 */
export class RestClientError extends SiphonError {
  override readonly name: string = 'RestClientError';

  constructor(
    /** The HTTP status of the worker's answer; 0 when there was none. */
    readonly status: number,
    message: string,
    options?: ErrorOptions,
  ) {
    // A worker that fails (5xx) or cannot be reached may answer a moment later.
    super(message, status >= 500 || isRetriable(options?.cause), options);
  }
}

/** The quoted texts of `Warning: 299 agent "text", …` headers (fetch joins repeated headers). */
function warningTexts(header: string | null): string[] {
  if (!header) return [];
  return [...header.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)].map((m) =>
    (m[1] ?? '').replace(/\\(.)/g, '$1'),
  );
}

export interface RestClientOptions {
  readonly url: string;
  readonly token?: string;
  readonly basic?: string;
}

export class RestClient {
  constructor(private readonly options: RestClientOptions) {}

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    return (await this.exchange<T>(method, path, body)).body;
  }

  /** The body and the texts of the response's `Warning` headers. */
  async exchange<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ body: T; warnings: string[] }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    else if (this.options.basic)
      headers.authorization = `Basic ${Buffer.from(this.options.basic).toString('base64')}`;
    let response: Response;
    try {
      response = await fetch(new URL(path, this.options.url), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new RestClientError(
        0,
        `Cannot reach the worker at ${this.options.url} (${(error as Error).cause ?? (error as Error).message}); ` +
          'is it running? Set --url or SIPHON_URL.',
        { cause: error },
      );
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // Not the worker (a proxy's HTML page …): say what came back.
      throw new RestClientError(
        response.status,
        `HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`,
      );
    }
    if (!response.ok) {
      const message = (json as { message?: string } | null)?.message ?? `HTTP ${response.status}`;
      throw new RestClientError(response.status, message);
    }
    return { body: json as T, warnings: warningTexts(response.headers.get('warning')) };
  }
}
