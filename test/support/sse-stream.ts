/**
 * A Server-Sent Events client for tests: reads `GET /events` with fetch (so it can send
 * headers), parses each event's `id:` and JSON `data:`, and keeps them in order.
 */
export interface StreamedEvent {
  readonly id: number | null;
  readonly data: { type: string; connector?: string | null; data?: Record<string, unknown> } & Record<
    string,
    unknown
  >;
}

export class SseStream {
  readonly events: StreamedEvent[] = [];
  raw = '';
  private readonly abort = new AbortController();
  private readonly reading: Promise<void>;

  private constructor(response: Response) {
    this.reading = this.read(response).catch(() => undefined);
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
    const controller = new AbortController();
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream', ...headers },
      signal: controller.signal,
    });
    if (response.status !== 200)
      throw new Error(`GET ${url}: HTTP ${response.status} ${await response.text()}`);
    const stream = new SseStream(response);
    stream.abort.signal.addEventListener('abort', () => controller.abort());
    return stream;
  }

  /** Waits until at least `count` events (matching `filter`) arrived. */
  async waitFor(count: number, filter: (e: StreamedEvent) => boolean = () => true, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const matching = this.events.filter(filter);
      if (matching.length >= count) return matching;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(
      `timed out waiting for ${count} events; got ${JSON.stringify(this.events.filter(filter).map((e) => e.data))}`,
    );
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.reading;
  }

  private async read(response: Response): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      const text = decoder.decode(chunk, { stream: true });
      this.raw += text;
      buffer += text;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let id: number | null = null;
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) id = Number(line.slice(4));
          else if (line.startsWith('data: ')) data += line.slice(6);
        }
        if (data) this.events.push({ id, data: JSON.parse(data) as StreamedEvent['data'] });
      }
    }
  }
}
