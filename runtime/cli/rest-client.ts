/**
 * The CLI's client of the worker REST API. Errors come back as Kafka Connect's
 * `{error_code, message}` and are raised with that message.
 */
export class RestClientError extends Error {
  override readonly name = 'RestClientError';

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface RestClientOptions {
  readonly url: string;
  readonly token?: string;
  readonly basic?: string;
}

export class RestClient {
  constructor(private readonly options: RestClientOptions) {}

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
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
      );
    }
    const text = await response.text();
    const json = text ? (JSON.parse(text) as unknown) : null;
    if (!response.ok) {
      const message = (json as { message?: string } | null)?.message ?? `HTTP ${response.status}`;
      throw new RestClientError(response.status, message);
    }
    return json as T;
  }
}
