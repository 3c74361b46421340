import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { deleteTopics, eventually, uniqueNames, WorkerProcess } from '../fixtures/worker-harness.js';
import { connectorConfig, createTestDatabase } from './source-postgres-harness.js';

/**
 * The console in a real browser (Debian's chromium through playwright-core): it loads /ui,
 * shows a running PostgreSQL source with live lag and retention, creates a second source
 * through the form (a bad port is flagged next to its field first), pauses it behind a
 * confirmation and sees PAUSED arrive through /events without a reload. Screenshots go to
 * test-artifacts/console/.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = join(root, 'test-artifacts/console');
const names = uniqueNames('console');
const existing = `${names.group}-inventory`;
const created = `${names.group}-orders`;
const secret = `pw-${names.group}`;
let worker: WorkerProcess;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let context: BrowserContext | null = null;
let profile = '';
let writer: NodeJS.Timeout | null = null;

before(async () => {
  await mkdir(artifacts, { recursive: true });
  database = await createTestDatabase();
  await database.client.query('CREATE TABLE orders (id serial PRIMARY KEY, note text)');
  worker = await WorkerProcess.start(names, {
    SIPHON_EVENTS_LAG_INTERVAL_MS: '500',
    SIPHON_RETENTION_CHECK_INTERVAL_MS: '1000',
  });
  const response = await worker.api('POST', '/connectors', {
    name: existing,
    config: {
      'connector.class': 'postgres',
      ...connectorConfig(database.name, { 'topic.prefix': `${names.group}-a` }),
    },
  });
  assert.equal(response.status, 201, response.text);
  writer = setInterval(() => {
    void database.client.query("INSERT INTO orders (note) VALUES ('live')").catch(() => undefined);
  }, 200);
  profile = await mkdtemp(join(tmpdir(), 'siphon-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  if (writer) clearInterval(writer);
  await context?.close().catch(() => undefined);
  if (profile) await rm(profile, { recursive: true, force: true });
  if (worker) {
    for (const name of [existing, created])
      await worker.api('DELETE', `/connectors/${name}`).catch(() => undefined);
    worker.kill('SIGTERM');
    await worker.waitForExit();
  }
  await database?.drop();
  await deleteTopics(names.group);
});

const card = (page: Page, name: string) => page.locator(`article.card[data-connector="${name}"]`);

test('the console shows live connectors, creates one through the form and pauses it', async () => {
  assert.ok(context);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  await page.goto(`${worker.url}/ui`);
  try {
    await useTheConsole(page, problems);
  } catch (error) {
    await page.screenshot({ path: join(artifacts, 'failure.png'), fullPage: true });
    throw new Error(`${(error as Error).message}\npage errors: ${problems.join('\n')}`, { cause: error });
  }
});

async function useTheConsole(page: Page, problems: string[]): Promise<void> {
  // The existing source, live: its lag and retention numbers arrive over /events.
  const inventory = card(page, existing);
  await inventory.locator('[data-role="state"]', { hasText: 'RUNNING' }).waitFor({ timeout: 60000 });
  await page.locator('[data-role="stream"]', { hasText: 'live' }).waitFor({ timeout: 30000 });
  const retained = inventory.locator('.stat', { hasText: 'retained' }).locator('.stat-value');
  await eventually('retention shown', async () => /\d/.test(await retained.innerText()), 30000);
  const behind = inventory.locator('.stat', { hasText: 'behind' }).locator('.stat-value');
  await eventually('lag in bytes shown', async () => /\d/.test(await behind.innerText()), 30000);
  const throughput = inventory.locator('.stat', { hasText: 'records/s' }).locator('.stat-value');
  await eventually('throughput shown', async () => /\d/.test(await throughput.innerText()), 30000);
  await page.screenshot({ path: join(artifacts, '1-live.png') });

  // Create through the form: a bad port first.
  assert.deepEqual(problems, []);
  await page.locator('[data-action="create"]').click();
  const form = page.locator('form.form');
  await form
    .locator('#field-plugin')
    .selectOption({ label: 'io.siphon.connector.postgresql.PostgresConnector (source)' });
  await form.locator('#field-name').fill(created);
  await form.locator('[id="field-database.hostname"]').fill('127.0.0.1');
  await form.locator('[id="field-database.port"]').fill('99999');
  const portError = form.locator('[data-field="database.port"] .field-error');
  await portError.waitFor({ timeout: 30000 });
  assert.match(await portError.innerText(), /not a port/);
  await page.screenshot({ path: join(artifacts, '2-form-error.png') });

  await form.locator('[id="field-database.port"]').fill('5432');
  await portError.waitFor({ state: 'detached', timeout: 30000 });
  const config = connectorConfig(database.name, { 'topic.prefix': `${names.group}-b` });
  await form.locator('[id="field-database.user"]').fill('postgres');
  // The local server trusts 127.0.0.1, so any password works; it must never be shown again.
  await form.locator('[id="field-database.password"]').fill(secret);
  await form.locator('[id="field-database.dbname"]').fill(database.name);
  await form.locator('[id="field-topic.prefix"]').fill(config['topic.prefix'] ?? '');
  await form.getByRole('button', { name: /Show all/ }).click();
  await form.locator('[id="field-slot.name"]').fill(config['slot.name'] ?? '');
  await form.locator('[id="field-publication.name"]').fill(config['publication.name'] ?? '');
  await form.getByText('Valid', { exact: true }).waitFor({ timeout: 30000 });
  await form.getByRole('button', { name: 'Create' }).click();
  await form.waitFor({ state: 'detached', timeout: 30000 });

  const orders = card(page, created);
  await orders.locator('[data-role="state"]', { hasText: 'RUNNING' }).waitFor({ timeout: 60000 });
  const stored = (await worker.api('GET', `/connectors/${created}`)).json as {
    config: Record<string, string>;
  };
  assert.equal(stored.config['database.port'], '5432');
  assert.equal(stored.config['slot.name'], config['slot.name']);

  // Editing shows the stored config with the password still masked.
  await orders.locator('[data-action="edit"]').click();
  const edit = page.locator('form.form');
  await edit.locator('[id="field-database.password"]').waitFor();
  assert.equal(await edit.locator('[id="field-database.password"]').inputValue(), '[hidden]');
  assert.equal(await edit.locator('[id="field-slot.name"]').inputValue(), config['slot.name']);
  assert.ok(!(await page.content()).includes(secret), 'the password never reaches the page');
  await edit.getByRole('button', { name: 'Cancel' }).click();
  await edit.waitFor({ state: 'detached' });

  // Pause, confirmed; the state changes through the event stream, without a reload.
  await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
  await orders.locator('[data-action="pause"]').click();
  await page.locator('[data-role="confirm"]').click();
  await orders.locator('[data-role="state"]', { hasText: 'PAUSED' }).waitFor({ timeout: 30000 });
  assert.equal(
    await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded),
    true,
  );
  const status = (await worker.api('GET', `/connectors/${created}/status`)).json as {
    connector: { state: string };
  };
  assert.equal(status.connector.state, 'PAUSED');
  await page.locator('.event-log .event-connector', { hasText: created }).first().waitFor();
  await page.screenshot({ path: join(artifacts, '3-paused.png'), fullPage: true });
  assert.deepEqual(problems, []);
}
