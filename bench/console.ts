import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { CONSOLE_DIST } from '../api/console';
import { signToken } from '../auth/token';
import { createStores } from '../db/stores';
import { buildConsoleIfChanged } from '../scripts/console-build';
import { deploymentRow, routeTo } from '../support/deployment-rows';
import { chromiumPath } from '../support/chromium';
import { registerServableModel } from '../support/servable-model';
import { BENCH_SECRET, benchApp, startBenchStack } from './stack';
import { summarize, type Summary } from './stats';
import { serveApi, listeningPort } from '../api/server';

export interface ConsoleBench {
  /** The JavaScript and CSS the first page loads, gzipped (target ≤ 400 kB of JavaScript). */
  initialJsGzipKb: number;
  initialCssGzipKb: number;
  /** Navigation → the overview drawn with its data, against a warm API (target ≤ 1,000 ms); null without Chromium. */
  interactiveMs: Summary | null;
  /** The API process's CPU (% of one core) with no console open, and with 10 tabs polling the overview. */
  apiCpuIdlePercent: number | null;
  apiCpuTenTabsPercent: number | null;
  /** Requests per second the 10 tabs send. */
  tenTabsRequestsPerSecond: number | null;
}

const SPECIALIZATIONS = 3;
const TABS = 10;
const CPU_WINDOW_MS = 20_000;

/** The assets index.html loads first, gzipped, in kB. */
function initialAssets(): { js: number; css: number } {
  const html = fs.readFileSync(path.join(CONSOLE_DIST, 'index.html'), 'utf8');
  const sizes = { js: 0, css: 0 };
  for (const [, asset] of html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)) {
    const kb = zlib.gzipSync(fs.readFileSync(path.join(CONSOLE_DIST, asset)), { level: 9 }).length / 1024;
    if (asset.endsWith('.js')) sizes.js += kb;
    else sizes.css += kb;
  }
  return sizes;
}

/** This process's CPU (the API serves from it) over `ms`, as % of one core. */
async function cpuPercent(ms: number): Promise<number> {
  const before = process.cpuUsage();
  const started = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const used = process.cpuUsage(before);
  return ((used.user + used.system) / 1_000 / (performance.now() - started)) * 100;
}

/**
 * The console's budgets: what the first page downloads, how soon the overview is drawn with its
 * data against a warm API, and what 10 open tabs polling every 2 s cost the API's process.
 */
export async function benchConsole({ rounds = 3 } = {}): Promise<ConsoleBench> {
  buildConsoleIfChanged(() => undefined);
  const sizes = initialAssets();
  const browserPath = chromiumPath();
  const result: ConsoleBench = {
    initialJsGzipKb: Math.round(sizes.js),
    initialCssGzipKb: Math.round(sizes.css),
    interactiveMs: null,
    apiCpuIdlePercent: null,
    apiCpuTenTabsPercent: null,
    tenTabsRequestsPerSecond: null,
  };
  if (!browserPath) return result;

  const { config, sequelize, temporal, close } = await startBenchStack();
  const stores = createStores(sequelize, config);
  const api = benchApp({ config, sequelize, temporal, stores });
  let requests = 0;
  const server = serveApi(
    (req) => {
      requests++;
      return api.app.fetch(req);
    },
    { port: 0, hostname: '127.0.0.1' },
  );
  const base = `http://127.0.0.1:${await listeningPort(server)}`;
  const browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] });
  try {
    // What an operator sees on a small platform: a few specializations, each served by a model.
    for (let i = 0; i < SPECIALIZATIONS; i++) {
      const specialization = `bench-console-${i}`;
      const model = await registerServableModel({ config, sequelize }, specialization);
      const deploymentId = await deploymentRow(sequelize, specialization, model, { status: 'promoted', by: 'bench' });
      await routeTo(sequelize, specialization, { stable: deploymentId, by: 'bench' });
    }
    const token = signToken(BENCH_SECRET, { sub: 'bench', level: 'read', ttlSeconds: 3600 });
    const overview = async () => {
      const page = await browser.newPage();
      await page.goto(`${base}/#token=${token}`);
      await page
        .getByRole('article', { name: `specialization bench-console-${SPECIALIZATIONS - 1}` })
        .getByText('Stable')
        .waitFor();
      return page;
    };
    (await overview()).close().catch(() => undefined); // warm: the API's first requests, the browser's first page
    const interactive: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const page = await browser.newPage();
      const started = performance.now();
      await page.goto(`${base}/#token=${token}`);
      await page
        .getByRole('article', { name: `specialization bench-console-${SPECIALIZATIONS - 1}` })
        .getByText('Stable')
        .waitFor();
      interactive.push(performance.now() - started);
      await page.close();
    }
    result.interactiveMs = summarize(interactive);

    result.apiCpuIdlePercent = await cpuPercent(CPU_WINDOW_MS);
    const tabs = await Promise.all(Array.from({ length: TABS }, overview));
    const countedFrom = requests;
    const started = performance.now();
    result.apiCpuTenTabsPercent = await cpuPercent(CPU_WINDOW_MS);
    result.tenTabsRequestsPerSecond = Math.round(((requests - countedFrom) / (performance.now() - started)) * 1_000);
    await Promise.all(tabs.map((t) => t.close()));
  } finally {
    await browser.close();
    await new Promise<void>((r) => server.close(() => r()));
    await api.close();
    await close();
  }
  return result;
}

if (require.main === module)
  benchConsole({ rounds: Number(process.env.BENCH_ROUNDS ?? 3) })
    .then((r) => {
      console.log(JSON.stringify(r, null, 2));
      process.exit(0);
    })
    .catch((err) => {
      console.error(`bench: ${(err as Error).message}`);
      process.exit(1);
    });
