// What the Node.js host costs, for README.md: load (cold transpile, cached), session open, a
// call's latency against the mock, and the resident memory an open session adds.
//
//   node scripts/bench.js [halo|connectwise] [sessions]
//
// Uses the same environment variables as the tests (test/helpers.js).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConnector } from '../src/index.js';
import { startMock, haloWasm, connectwiseWasm } from '../test/helpers.js';

const kind = process.argv[2] ?? 'halo';
const sessions = Number(process.argv[3] ?? 20);
const wasm = kind === 'halo' ? haloWasm() : connectwiseWasm();
const mock = await startMock(kind);
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'psa-node-bench-'));
const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

let t = process.hrtime.bigint();
await loadConnector(wasm, { cacheDir });
const cold = ms(t);
t = process.hrtime.bigint();
const connector = await loadConnector(wasm, { cacheDir });
const cached = ms(t);

const opens = [];
for (let i = 0; i < 5; i++) {
  t = process.hrtime.bigint();
  const s = await connector.open(mock.settings);
  opens.push(ms(t));
  await s.close();
}
const session = await connector.open(mock.settings);
await session.call('list-statuses');
const calls = [];
for (let i = 0; i < 50; i++) {
  t = process.hrtime.bigint();
  await session.call('list-statuses');
  calls.push(ms(t));
}
await session.close();

global.gc?.();
const before = process.memoryUsage().rss;
const open = [];
for (let i = 0; i < sessions; i++) {
  const s = await connector.open(mock.settings);
  await s.call('list-statuses');
  open.push(s);
}
const after = process.memoryUsage().rss;
await Promise.all(open.map((s) => s.close()));
await mock.stop();
fs.rmSync(cacheDir, { recursive: true, force: true });

console.log(JSON.stringify({
  connector: kind,
  node: process.version,
  load_cold_ms: Math.round(cold),
  load_cached_ms: Math.round(cached),
  open_median_ms: Math.round(median(opens)),
  list_statuses_median_ms: +median(calls).toFixed(2),
  rss_per_session_mib: +((after - before) / sessions / 1048576).toFixed(1),
  sessions,
}));
