import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * An in-process TCP proxy on 127.0.0.1 in front of a shared server: stopping it is an
 * outage of that server for whoever connects through the proxy (open connections are
 * cut, new ones refused), without touching the server other tests use.
 */
export class TcpProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  /** The proxy's port; kept across stop/start so clients reconnect to the same address. */
  port = 0;

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
  ) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Cuts every connection and refuses new ones for `ms`, then accepts them again. */
  async outage(ms: number): Promise<void> {
    await this.stop();
    await new Promise((resolve) => setTimeout(resolve, ms));
    await this.start();
  }
}
