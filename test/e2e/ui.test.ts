// The web UI in a real browser (Debian's Chromium driven by playwright-core) against
// `npm start`, as a user opens it: both workers listed, a submitted driver shown with its
// worker, killed from the page, the π example's application page with its executors, and
// a driver's and an executor's log page, followed while they write.
// Screenshots go to test-results/.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequest } from '../harness/spark-submit.js';
import { example, fixture } from './cluster.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'test-results';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `npm start` in its own process group, resolved with its output once it is ready. */
async function npmStart(args: string[]) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'sparkplane-ui-'));
  const child = spawn(
    'npm',
    ['start', '--', '--port', String(port), '--data-dir', dataDir, '--cores', '4', ...args],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start not ready:\n${output}`)), 90_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('sparkplane ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}):\n${output}`)));
  });
  return {
    output,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    async stop() {
      if (child.pid) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        process.kill(-child.pid, 'SIGINT');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * `npm start` and a Chromium page on it, for the tests of one describe block: started
 * before them, stopped after them.
 */
function uiSession(args: string[]) {
  const ui = {} as { server: Awaited<ReturnType<typeof npmStart>>; browser: Browser; page: Page };
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ui.server = await npmStart(args);
    ui.browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
        '--disable-quic',
      ],
    });
    ui.page = await ui.browser.newPage({ viewport: { width: 1280, height: 900 } });
    ui.page.on('dialog', (dialog) => dialog.accept());
  }, 120_000);
  afterAll(async () => {
    await ui.browser?.close();
    await ui.server?.stop();
  }, 60_000);
  return ui;
}

describe('the web UI', () => {
  const ui = uiSession([]);
  const url = (path: string) => ui.server.url(path);
  const post = async (path: string, body: unknown) =>
    (await (
      await fetch(url(path), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    ).json()) as Record<string, unknown>;

  it('lists both workers, and the summary counts them', async () => {
    await ui.page.goto(url('/'));
    await ui.page.locator('#workers tbody tr').nth(1).waitFor();
    const rows = await ui.page.locator('#workers tbody tr').allInnerTexts();
    expect(rows).toHaveLength(2);
    for (const row of rows)
      expect(row).toMatch(/^worker-\S+\t127\.0\.0\.1:\d+\tALIVE\t4 \(0 Used\)/);
    await expect
      .poll(() => ui.page.locator('#worker-counts').innerText())
      .toBe('Workers: 2 Alive, 0 Dead, 0 Decommissioned, 0 Unknown');
  });

  it('shows a submitted driver on its worker, kills it from the page, and shows KILLED', async () => {
    const created = await post('/v1/submissions/create', createRequest(fixture('sleep.mjs')));
    const driverId = String(created.submissionId);
    let workerId = '';
    await expect
      .poll(
        async () => {
          const status = (await (
            await fetch(url(`/v1/submissions/status/${driverId}`))
          ).json()) as Record<string, string>;
          workerId = status.workerId ?? '';
          return status.driverState;
        },
        { timeout: 30_000 },
      )
      .toBe('RUNNING');

    // No reload: the page refreshes itself.
    const row = ui.page.locator('#running-drivers tbody tr', { hasText: driverId });
    await row.waitFor({ timeout: 20_000 });
    await expect.poll(() => row.innerText(), { timeout: 20_000 }).toContain('RUNNING');
    expect(await row.innerText()).toContain(workerId);
    await ui.page.screenshot({ path: join(ARTIFACTS, 'ui-driver-running.png'), fullPage: true });

    await row.getByRole('button', { name: '(kill)' }).click();
    const killed = ui.page.locator('#completed-drivers tbody tr', { hasText: driverId });
    await killed.waitFor({ timeout: 20_000 });
    expect(await killed.innerText()).toContain('KILLED');
    await ui.page.screenshot({ path: join(ARTIFACTS, 'ui-driver-killed.png'), fullPage: true });
  });

  it("links the π example's application to its page, which lists its executors", async () => {
    const created = await post(
      '/v1/submissions/create',
      createRequest(example, {
        args: ['8', '100000'],
        props: {
          'spark.app.name': 'pi (ui)',
          'spark.cores.max': '2',
          'spark.executor.memory': '512m',
        },
      }),
    );
    expect(created.success).toBe(true);
    await ui.page.goto(url('/'));
    const appLink = ui.page.locator('#running-apps a, #completed-apps a').first();
    await appLink.waitFor({ timeout: 30_000 });
    await appLink.click();
    await ui.page.waitForURL(/\/app\/\?appId=app-/);
    await expect
      .poll(
        async () => ui.page.locator('#executors tbody tr, #removed-executors tbody tr').count(),
        {
          timeout: 30_000,
        },
      )
      .toBeGreaterThan(0);
    const executorRows = await ui.page
      .locator('#executors tbody tr, #removed-executors tbody tr')
      .allInnerTexts();
    for (const row of executorRows) expect(row).toMatch(/^\d+\tworker-\S+ \(127\.0\.0\.1:\d+\)\t/);
    await ui.page.screenshot({ path: join(ARTIFACTS, 'ui-application.png'), fullPage: true });
  });

  it("follows a driver's stdout from its row while it writes, then shows its stderr", async () => {
    const created = await post(
      '/v1/submissions/create',
      createRequest(fixture('chatter.mjs'), { args: ['40', '100'] }),
    );
    const driverId = String(created.submissionId);
    await ui.page.goto(url('/'));
    const row = ui.page.locator('#running-drivers tbody tr', { hasText: driverId });
    await row.getByRole('link', { name: 'stdout' }).click();
    await ui.page.waitForURL(/\/\?driverId=driver-\d+-\d+&logType=stdout$/);
    expect(await ui.page.locator('h1').innerText()).toBe(`stdout log page for ${driverId}`);
    const log = ui.page.locator('pre.log');
    const status = ui.page.locator('#log-status');
    // The first lines while the driver still writes; the rest comes by itself.
    await expect.poll(() => log.innerText(), { timeout: 20_000 }).toContain('line 1 at ');
    expect(await log.innerText()).not.toContain('line 40 ');
    expect(await status.innerText()).toMatch(/^Showing bytes 0 - \d+, following…$/);
    await expect.poll(() => log.innerText(), { timeout: 20_000 }).toContain('line 40 ');
    await expect
      .poll(() => status.innerText(), { timeout: 20_000 })
      .toMatch(/^Showing bytes 0 - \d+, complete$/);
    await ui.page.screenshot({ path: join(ARTIFACTS, 'ui-driver-log.png'), fullPage: true });
    const stdout = await (await fetch(url(`/v1/drivers/${driverId}/logs/stdout`))).text();
    expect(await log.textContent()).toBe(stdout);
    expect(await status.innerText()).toBe(
      `Showing bytes 0 - ${Buffer.byteLength(stdout)}, complete`,
    );

    await ui.page.getByRole('link', { name: 'stderr', exact: true }).click();
    await ui.page.waitForURL(/logType=stderr$/);
    await expect.poll(() => status.innerText(), { timeout: 20_000 }).toMatch(/, complete$/);
    expect(await log.innerText()).toMatch(/^Launch Command: .*\nerr 1\n.*\nerr 40\n$/s);

    await ui.page.getByRole('link', { name: 'Back to Master' }).click();
    await ui.page.locator('#completed-drivers tbody tr', { hasText: driverId }).waitFor();
  });

  it('says so on the log page of a driver there is not', async () => {
    await ui.page.goto(url('/?driverId=driver-20990101000000-9999&logType=stdout'));
    await expect
      .poll(() =>
        ui.page
          .locator('#log-status .error')
          .innerText()
          .catch(() => ''),
      )
      .toBe('No driver driver-20990101000000-9999');
  });

  it("links each executor of the π example's application to its stderr", async () => {
    const created = await post(
      '/v1/submissions/create',
      createRequest(example, { args: ['4', '10000'], props: { 'spark.app.name': 'pi (ui logs)' } }),
    );
    expect(created.success).toBe(true);
    await ui.page.goto(url('/'));
    const app = ui.page.locator('#running-apps tr, #completed-apps tr', {
      hasText: 'pi (ui logs)',
    });
    await app.getByRole('link').first().click({ timeout: 30_000 });
    await ui.page.waitForURL(/\/app\/\?appId=app-/);
    const executor = ui.page.locator('#executors tbody tr, #removed-executors tbody tr').first();
    await executor.getByRole('link', { name: 'stderr' }).click({ timeout: 30_000 });
    await ui.page.waitForURL(/\/\?appId=app-\d+-\d+&executorId=\d+&logType=stderr$/);
    await expect
      .poll(() => ui.page.locator('pre.log').innerText(), { timeout: 20_000 })
      .toMatch(/^Spark Executor Command: /);
    await ui.page.screenshot({ path: join(ARTIFACTS, 'ui-executor-log.png'), fullPage: true });
  });

  it('shows a Spark Connect session as a driver and an application, with its address', async () => {
    const created = await post('/v1/sessions', { name: 'ui', idleTimeoutSec: 600 });
    const sessionId = String(created.sessionId);
    await ui.page.goto(url('/'));
    const driver = ui.page.locator('#running-drivers tbody tr', { hasText: sessionId });
    await expect
      .poll(() => driver.innerText(), { timeout: 90_000 })
      .toMatch(/Spark Connect session ui: READY at sc:\/\/localhost:150\d\d/);
    const app = ui.page.locator('#running-apps tbody tr', { hasText: '(Spark Connect session)' });
    expect(await app.innerText()).toContain('ui');
    // No token anywhere on the page.
    expect(await ui.page.content()).not.toContain(String(created.token));
    await ui.page.screenshot({ path: join(ARTIFACTS, 'ui-session.png'), fullPage: true });
    await fetch(url(`/v1/sessions/${sessionId}`), { method: 'DELETE' });
  });
});

describe('the web UI with auth on', () => {
  const ui = uiSession(['--auth', '--workers', '1']);

  it('asks for a token, refuses a wrong one, shows the cluster with the right one', async () => {
    const token = /· token (\S+)/.exec(ui.server.output)?.[1];
    expect(token).toBeDefined();
    await ui.page.goto(ui.server.url('/'));
    const prompt = ui.page.getByLabel('Token');
    await prompt.waitFor();
    await prompt.fill('eyJhbGciOiJIUzI1NiJ9.e30.bm90IHNpZ25lZA');
    const refused = ui.page.waitForResponse((r) => new URL(r.url()).pathname === '/json');
    await ui.page.getByRole('button', { name: 'Use token' }).click();
    expect((await refused).status()).toBe(401);
    await ui.page.getByLabel('Token').waitFor();
    expect(await ui.page.locator('#workers').count()).toBe(0);

    await ui.page.getByLabel('Token').fill(token ?? '');
    await ui.page.getByRole('button', { name: 'Use token' }).click();
    await ui.page.locator('#workers tbody tr').first().waitFor();
    expect(await ui.page.locator('#workers tbody tr').count()).toBe(1);
    await ui.page.screenshot({ path: join(ARTIFACTS, 'ui-auth.png'), fullPage: true });

    await ui.page.getByRole('button', { name: 'Forget token' }).click();
    await ui.page.getByLabel('Token').waitFor();
  });
});
