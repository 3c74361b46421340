import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/**
 * The console at `/ui`: Preact + htm (and uPlot for the charts) served as ES modules
 * straight from the installed packages, plus the console's own files in `assets/`. No build
 * step and no CDN: what the worker serves is what is in the package, and it works offline.
 * Only the files listed here are served; the pages hold no data (that comes from the REST
 * API and /events with the user's credentials), so `/ui` itself needs no authentication.
 */
const assetsDir = join(dirname(fileURLToPath(import.meta.url)), 'assets');
const require = createRequire(import.meta.url);
/** A file next to a package's CommonJS entry (its `dist` folder; not every package exports package.json). */
const besideEntry = (specifier: string, file: string) => join(dirname(require.resolve(specifier)), file);

const vendorFiles: Readonly<Record<string, string>> = {
  'preact.js': besideEntry('preact', 'preact.module.js'),
  'preact-hooks.js': besideEntry('preact/hooks', 'hooks.module.js'),
  'htm.js': besideEntry('htm', 'htm.module.js'),
  'uplot.js': besideEntry('uplot', 'uPlot.esm.js'),
  'uplot.css': besideEntry('uplot', 'uPlot.min.css'),
};

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

function load(path: string): { body: Buffer; type: string } {
  return { body: readFileSync(path), type: contentTypes[extname(path)] ?? 'application/octet-stream' };
}

export function registerUiRoutes(app: FastifyInstance): void {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(assetsDir)) files.set(name, load(join(assetsDir, name)));
  for (const [name, path] of Object.entries(vendorFiles)) files.set(`vendor/${name}`, load(path));
  const index = files.get('index.html');
  if (!index) throw new Error(`the console's index.html is missing from ${assetsDir}`);

  app.get('/ui', async (_request, reply) => reply.redirect('/ui/'));
  app.get('/ui/', async (_request, reply) =>
    reply.type(index.type).header('cache-control', 'no-cache').send(index.body),
  );
  app.get<{ Params: { '*': string } }>('/ui/*', async (request, reply) => {
    const file = files.get(request.params['*']);
    if (!file) {
      return reply.code(404).send({ error_code: 404, message: `HTTP 404 Not Found: ${request.url}` });
    }
    return reply.type(file.type).header('cache-control', 'no-cache').send(file.body);
  });
}
