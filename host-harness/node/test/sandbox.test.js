// What this host contains: egress outside the allow-list, a runaway call, a connector that
// allocates without bound, a panic, the environment. With the hostile fixture
// (tests/fixtures/hostile-connector) and the mocks.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  loadConnector, ConnectorError, TimeoutError, TrapError, PoisonedError,
} from '../src/index.js';
import { startMock, haloWasm, hostileWasm, CACHE_DIR } from './helpers.js';

/** A loopback HTTP server that counts the requests it gets: the place egress must not reach. */
async function canary() {
  const server = http.createServer((req, res) => {
    server.hits.push(`${req.method} ${req.url}`);
    res.end('reached');
  });
  server.hits = [];
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, server, close: () => new Promise((r) => server.close(r)) };
}

const hostile = () => hostileWasm();

test('egress: a request to a host no url setting names is denied, and never arrives', async (t) => {
  const allowed = await canary();
  const foreign = await canary();
  t.after(() => Promise.all([allowed.close(), foreign.close()]));
  const connector = await loadConnector(hostile(), { cacheDir: CACHE_DIR });
  const session = await connector.open({ base_url: allowed.url, target_url: `${foreign.url}/exfiltrate?secret=1`, mode: 'egress' });
  t.after(() => session.close());
  const error = await session.call('test-connection').catch((e) => e);
  assert.ok(error instanceof ConnectorError, String(error));
  assert.equal(error.kind, 'transport');
  assert.match(error.message, /HttpRequestDenied/);
  assert.deepEqual(foreign.server.hits, [], 'the foreign host got no request');
  assert.equal(session.denied.length, 1);
  const [denial] = session.denied;
  assert.equal(denial.kind, 'denied');
  assert.equal(denial.origin, foreign.url);
  assert.match(denial.reason, /not in the connector's allow-list/);
  assert.doesNotMatch(denial.message, /secret=1/, 'the query string is not reported');
  // The same session still reaches its own host.
  const healthy = await connector.open({ base_url: allowed.url, mode: 'healthy' });
  t.after(() => healthy.close());
  assert.equal((await healthy.call('test-connection')).ok, true);
  assert.deepEqual(allowed.server.hits, ['GET /api/authinfo']);
});

test('egress: credentials in a foreign URL are neither sent nor reported', async (t) => {
  const allowed = await canary();
  const foreign = await canary();
  t.after(() => Promise.all([allowed.close(), foreign.close()]));
  const connector = await loadConnector(hostile(), { cacheDir: CACHE_DIR });
  const target = foreign.url.replace('http://', 'http://admin:hunter2@');
  const session = await connector.open({ base_url: allowed.url, target_url: `${target}/x`, mode: 'egress' });
  t.after(() => session.close());
  await assert.rejects(session.call('test-connection'), ConnectorError);
  assert.deepEqual(foreign.server.hits, []);
  // preview2-shim already refuses such an authority when the request is built; a denial, if
  // any, must not carry the credentials.
  for (const d of session.denied) assert.doesNotMatch(JSON.stringify({ ...d, message: d.message }), /hunter2/);
});

test('egress: plain http to a remote host is refused at open, naming the setting', async () => {
  const connector = await loadConnector(haloWasm(), { cacheDir: CACHE_DIR });
  const error = await connector.open({ base_url: 'http://halo.example.com', client_id: 'a', client_secret: 'b' }).catch((e) => e);
  assert.ok(error instanceof ConnectorError, String(error));
  assert.equal(error.kind, 'invalid-settings');
  assert.equal(error.json['invalid-settings'].key, 'base_url');
  assert.match(error.json['invalid-settings'].message, /plain http is allowed only to loopback hosts/);
  assert.doesNotMatch(JSON.stringify(error), /"b"/);
});

test('egress: a settings base URL the mock is not on gets no request to the mock', async (t) => {
  const mock = await startMock('halo');
  t.after(() => mock.stop());
  const decoy = await canary();
  t.after(() => decoy.close());
  const connector = await loadConnector(haloWasm(), { cacheDir: CACHE_DIR });
  // Halo discovers its authorisation server from /api/authinfo; the canary answers garbage, so
  // the connector can only fail, and nothing may go to any other origin.
  const session = await connector.open({ ...mock.settings, base_url: decoy.url });
  t.after(() => session.close());
  await assert.rejects(session.call('test-connection'), ConnectorError);
  for (const d of session.denied) assert.match(d.reason, /allow-list/);
  assert.ok(decoy.server.hits.length > 0);
});

test('time budget: a spinning call is stopped, the session is poisoned, others go on', async (t) => {
  const connector = await loadConnector(hostile(), { cacheDir: CACHE_DIR, callTimeoutMs: 3000 });
  const session = await connector.open({ base_url: 'http://127.0.0.1:9', mode: 'spin' });
  const error = await session.call('test-connection').catch((e) => e);
  assert.ok(error instanceof TimeoutError, String(error));
  assert.equal(error.kind, 'timeout');
  assert.equal(error.op, 'test-connection');
  assert.equal(session.poisoned, true);
  await assert.rejects(session.call('list-statuses'), PoisonedError);
  // Another session of the same connector is unaffected.
  const other = await connector.open({ base_url: 'http://127.0.0.1:9', mode: 'panic-not' });
  t.after(() => other.close());
  const answer = await other.call('test-connection').catch((e) => e);
  assert.ok(answer instanceof ConnectorError);
  assert.equal(answer.kind, 'invalid-input');
});

test('time budget: a call waiting on a slow PSA is stopped', async (t) => {
  // The mock delays every answer to the organizations read by 30 s.
  const mock = await startMock('halo', { faults: ['kind=slow,secs=30,endpoint=GET /api/client,every'] });
  t.after(() => mock.stop());
  const connector = await loadConnector(haloWasm(), { cacheDir: CACHE_DIR, callTimeoutMs: 5000 });
  const session = await connector.open(mock.settings);
  const error = await session.call('list-organizations', { include_inactive: false, page: 1, page_size: 5 }).catch((e) => e);
  assert.ok(error instanceof TimeoutError, String(error));
  assert.match(error.message, /list-organizations.*5000 ms/);
  assert.equal(session.poisoned, true);
});

test('memory cap: a connector allocating without bound traps at the cap', async (t) => {
  const cap = 32 * 1024 * 1024;
  const connector = await loadConnector(hostile(), { cacheDir: CACHE_DIR, memoryLimitBytes: cap });
  assert.ok(connector.memories.length >= 1);
  assert.ok(connector.memories.every((m) => m.maxPages * 65536 <= cap));
  const session = await connector.open({ base_url: 'http://127.0.0.1:9', mode: 'alloc' });
  const error = await session.call('test-connection').catch((e) => e);
  assert.ok(error instanceof TrapError, String(error));
  assert.equal(error.kind, 'trap');
  assert.equal(session.poisoned, true);
  await assert.rejects(session.call('test-connection'), PoisonedError);
});

test('a panic is a trap that poisons the session; its message reaches the log', async () => {
  const lines = [];
  const connector = await loadConnector(hostile(), { cacheDir: CACHE_DIR, log: (stream, line) => lines.push(`${stream}: ${line}`) });
  const session = await connector.open({ base_url: 'http://127.0.0.1:9', mode: 'panic' });
  const error = await session.call('test-connection').catch((e) => e);
  assert.ok(error instanceof TrapError, String(error));
  assert.match(error.message, /test-connection/);
  await assert.rejects(session.call('test-connection'), PoisonedError);
  // The worker's stderr arrives on its own channel, not ordered with the call's answer.
  for (let i = 0; i < 100 && !lines.includes('stderr: hostile panic'); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(lines.includes('stderr: hostile panic'), JSON.stringify(lines));
});

test('the connector sees no environment variables and no arguments', async (t) => {
  process.env.PSA_NODE_HOST_CANARY_SECRET = 'must-not-leak';
  const connector = await loadConnector(hostile(), { cacheDir: CACHE_DIR });
  const session = await connector.open({ base_url: 'http://127.0.0.1:9', mode: 'fs-env' });
  t.after(() => session.close());
  const error = await session.call('test-connection').catch((e) => e);
  assert.ok(error instanceof ConnectorError, String(error));
  assert.match(error.message, /vars=0/);
  assert.match(error.message, /home=None/);
  assert.match(error.message, /args=0/);
});

test('a session left open does not keep the process alive', async () => {
  const { spawnSync } = await import('node:child_process');
  const script = `
    import { loadConnector } from ${JSON.stringify(new URL('../src/index.js', import.meta.url).href)};
    const c = await loadConnector(${JSON.stringify(hostile())}, { cacheDir: ${JSON.stringify(CACHE_DIR)} });
    const s = await c.open({ base_url: 'http://127.0.0.1:9', mode: 'none' });
    await s.call('test-connection').catch((e) => console.log(e.kind));
  `;
  // A process kept alive would never end: the generous limit only turns that hang into a failure.
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, `${run.signal ?? ''} ${run.stderr}`);
  assert.equal(run.stdout.trim(), 'invalid-input');
});

test('response cap: a body longer than maxResponseBytes fails the read, typed', async (t) => {
  const mock = await startMock('halo');
  t.after(() => mock.stop());
  const query = { include_inactive: false, page: 1, page_size: 50 };
  const roomy = await loadConnector(haloWasm(), { cacheDir: CACHE_DIR });
  const ok = await roomy.open(mock.settings);
  t.after(() => ok.close());
  assert.equal((await ok.call('list-organizations', query)).items.length, 50);
  // The token answer fits in 4 KiB; 50 organizations do not.
  const tight = await loadConnector(haloWasm(), { cacheDir: CACHE_DIR, maxResponseBytes: 4096 });
  const session = await tight.open(mock.settings);
  t.after(() => session.close());
  const error = await session.call('list-organizations', query).catch((e) => e);
  assert.ok(error instanceof ConnectorError, String(error));
  assert.match(error.message, /larger than the host's limit of 4096 bytes/);
  assert.equal(session.poisoned, false);
});
