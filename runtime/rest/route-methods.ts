import type { FastifyInstance } from 'fastify';

interface RecordedRoute {
  readonly pattern: RegExp;
  readonly methods: Set<string>;
}

function patternOf(url: string): RegExp {
  const segments = url.split('/').map((segment) => {
    if (segment.startsWith(':')) return '[^/]+';
    if (segment === '*') return '.*';
    return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${segments.join('/')}$`);
}

/**
 * The methods each registered path answers, so a known path asked with another method
 * gets Kafka Connect's 405 rather than a 404. Routes are recorded as they are added (an
 * `onRoute` hook), so routes registered by any module count without being listed here.
 */
export class RouteMethods {
  private readonly routes = new Map<string, RecordedRoute>();

  /** Call before any route is registered. */
  record(app: FastifyInstance): void {
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const recorded = this.routes.get(route.url) ?? { pattern: patternOf(route.url), methods: new Set() };
      for (const method of methods) recorded.methods.add(method.toUpperCase());
      this.routes.set(route.url, recorded);
    });
  }

  /** Methods answered at `path` (no query string); empty when the path is unknown. */
  allowed(path: string): string[] {
    const methods = new Set<string>();
    for (const route of this.routes.values()) {
      if (route.pattern.test(path)) for (const method of route.methods) methods.add(method);
    }
    return [...methods].sort();
  }
}
