/**
 * API benchmark (`npm run bench:api`): latency and throughput of the HTTP API over the real stack
 * (in-memory devserver, one worker with the real activities, Redis single-node clusters as local
 * processes), at 50 concurrent clients (autocannon), printed as a table. No test runs it.
 *
 *   npm run bench:api -- [--duration 10] [--connections 50] [--clusters 8]
 *
 * 1. `GET /v1/clusters/:name`: one query to a cluster entity per request, requests spread over the clusters.
 * 2. `POST /v1/clusters/:name/backups`, accepted or busy: an Update per request. The entity runs one
 *    operation at a time, so most answers are 409 "cluster busy" (the validator refuses) and some 202
 *    (the handler starts a backup child workflow). Latency is over both; the counts of each are printed.
 * 3. `POST /v1/clusters/:name/backups`, 202 only: one client per cluster starts a backup, waits for it
 *    to finish (polling its operation), and starts the next; only the POSTs are timed. Concurrency
 *    is the number of clusters (one operation at a time per cluster), not 50.
 */
import autocannon, { type Result } from 'autocannon';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ADMIN, startApiEnvironment, type ApiEnvironment } from '../../api/testing/environment';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    clusters: { type: 'string', default: '8' },
  },
});
const DURATION_S = Number(values.duration);
const CONNECTIONS = Number(values.connections);
const CLUSTERS = Number(values.clusters);
const PLAN = { cpu: 1, ramMb: 256, diskGb: 1 };

interface Row {
  name: string;
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  statuses: string;
}

async function waitForOperation(api: ApiEnvironment, url: string): Promise<void> {
  for (let polls = 0; polls < 1200; polls++) {
    const answer = await api.request('GET', url);
    const status = (answer.body as { status?: string }).status;
    if (status && status !== 'running') {
      if (status !== 'succeeded') throw new Error(`${url} ended ${status}: ${answer.text}`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not finish`);
}

async function createClusters(api: ApiEnvironment): Promise<string[]> {
  const names = Array.from({ length: CLUSTERS }, (_, i) => `bench-${i + 1}`);
  for (const name of names) {
    const answer = await api.request('POST', '/v1/clusters', {
      body: { name, engine: 'redis', version: '7', mode: 'single', plan: PLAN, settings: { autoFailover: false } },
    });
    if (answer.status !== 202) throw new Error(`creating ${name}: ${answer.status} ${answer.text}`);
    await waitForOperation(api, (answer.body as { operationUrl: string }).operationUrl);
  }
  return names;
}

function statusesOf(result: Result): string {
  return Object.entries(result.statusCodeStats ?? {})
    .map(([code, stats]) => `${code}×${stats.count ?? 0}`)
    .join(' ');
}

async function cannon(api: ApiEnvironment, name: string, method: 'GET' | 'POST', paths: string[]): Promise<Row> {
  const result = await autocannon({
    url: api.baseUrl,
    connections: CONNECTIONS,
    duration: DURATION_S,
    requests: paths.map((path) => ({
      method,
      path,
      headers: { authorization: `Bearer ${ADMIN.token}`, 'content-type': 'application/json' },
      ...(method === 'POST' ? { body: '{}' } : {}),
    })),
  });
  if (result.errors > 0 || result.timeouts > 0) {
    throw new Error(`${name}: ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return {
    name,
    requests: result.requests.total,
    perSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    statuses: statusesOf(result),
  };
}

/** One client per cluster: POST a backup (timed), wait for it to finish, repeat until the time is up. */
async function acceptedOnly(api: ApiEnvironment, clusters: string[]): Promise<Row> {
  const latencies: number[] = [];
  const deadline = Date.now() + DURATION_S * 1000;
  const started = Date.now();
  await Promise.all(
    clusters.map(async (cluster) => {
      while (Date.now() < deadline) {
        const t0 = performance.now();
        const answer = await api.request('POST', `/v1/clusters/${cluster}/backups`, { body: {} });
        const ms = performance.now() - t0;
        if (answer.status === 409) continue; // a scheduled run or the previous operation's follow-up
        if (answer.status !== 202) throw new Error(`backup of ${cluster}: ${answer.status} ${answer.text}`);
        latencies.push(ms);
        await waitForOperation(api, (answer.body as { operationUrl: string }).operationUrl);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]);
  return {
    name: `POST backups, 202 only (${clusters.length} clients)`,
    requests: latencies.length,
    perSecond: Math.round((latencies.length / (Date.now() - started)) * 1000 * 10) / 10,
    p50: at(0.5),
    p99: at(0.99),
    max: Math.round(latencies.at(-1) ?? 0),
    statuses: `202×${latencies.length}`,
  };
}

function print(rows: Row[]): void {
  console.log(
    `\nAPI benchmark: ${CONNECTIONS} connections, ${DURATION_S} s per run, ${CLUSTERS} Redis clusters; ` +
      `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), load average ${os.loadavg()[0].toFixed(2)} at the end\n`,
  );
  const header = ['run', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'answers'];
  const table = rows.map((r) => [r.name, r.requests, r.perSecond, r.p50, r.p99, r.max, r.statuses].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  for (const row of [header, ...table]) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
}

async function main(): Promise<void> {
  const api = await startApiEnvironment();
  const stop = () => void api.teardown().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const clusters = await createClusters(api);
    const rows: Row[] = [];
    rows.push(
      await cannon(
        api,
        'GET /v1/clusters/:name',
        'GET',
        clusters.map((c) => `/v1/clusters/${c}`),
      ),
    );
    rows.push(
      await cannon(
        api,
        'POST backups, accepted or busy',
        'POST',
        clusters.map((c) => `/v1/clusters/${c}/backups`),
      ),
    );
    // Let the last backups of the previous run finish before timing the 202 path.
    for (const cluster of clusters) {
      for (let polls = 0; polls < 600; polls++) {
        const state = (await api.request('GET', `/v1/clusters/${cluster}`)).body as { operation?: unknown };
        if (!state.operation) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    rows.push(await acceptedOnly(api, clusters));
    print(rows);
  } finally {
    await api.teardown();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
