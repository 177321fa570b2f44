// What the tests need from the Rust side: the psa-harness binary (it starts the mocks), the two
// bundled connector components and the hostile test connector.
//
// Given by environment variables (the Rust test host-harness/cli/tests/node.rs sets the first
// three), or found by building them with cargo:
//
// | variable | what | without it |
// |---|---|---|
// | PSA_HARNESS_BIN | the psa-harness binary | `cargo build -p psa-harness --message-format=json` |
// | PSA_HALO_WASM | the HaloPSA component | the same build's `HALO_CONNECTOR_WASM` |
// | PSA_CONNECTWISE_WASM | the ConnectWise component | the same build's `CONNECTWISE_CONNECTOR_WASM` |
// | PSA_HOSTILE_WASM | tests/fixtures/hostile-connector | built with cargo into its own target dir |
//
// cargo runs with CARGO_TARGET_DIR (default ~/.cache/psa-connector/target, as the repository's
// scripts use).

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '..', '..', '..');
const TARGET_DIR = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache', 'psa-connector', 'target');

/** A fresh transpile cache per test run (it is also what the cache test inspects). */
export const CACHE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'psa-node-host-cache-'));
process.on('exit', () => fs.rmSync(CACHE_DIR, { recursive: true, force: true }));

function cargoEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  // Variables of an outer cargo (when run from `cargo test`) that must not reach ours.
  for (const key of Object.keys(env)) {
    if (key.startsWith('CARGO_') && !['CARGO_HOME', 'CARGO_TARGET_DIR'].includes(key)) delete env[key];
    if (['RUSTFLAGS', 'RUSTC_WRAPPER', 'RUSTC_WORKSPACE_WRAPPER', 'MAKEFLAGS', 'MFLAGS'].includes(key)) delete env[key];
  }
  return env;
}

let built;
/** Builds psa-harness and returns the binary and the bundled components' paths. */
function cargoBuildHarness() {
  if (built) return built;
  const out = execFileSync('cargo', ['build', '-p', 'psa-harness', '--message-format=json'], {
    cwd: REPO, env: cargoEnv({ CARGO_TARGET_DIR: TARGET_DIR }), maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'inherit'],
  }).toString();
  built = {};
  for (const line of out.split('\n')) {
    if (!line.startsWith('{')) continue;
    const msg = JSON.parse(line);
    if (msg.reason === 'build-script-executed') {
      for (const [k, v] of msg.env ?? []) built[k] = v;
    }
    if (msg.reason === 'compiler-artifact' && msg.executable && msg.target?.name === 'psa-harness') {
      built.PSA_HARNESS_BIN = msg.executable;
    }
  }
  return built;
}

export function harnessBin() {
  return process.env.PSA_HARNESS_BIN || cargoBuildHarness().PSA_HARNESS_BIN;
}

export function haloWasm() {
  return process.env.PSA_HALO_WASM || cargoBuildHarness().HALO_CONNECTOR_WASM;
}

export function connectwiseWasm() {
  return process.env.PSA_CONNECTWISE_WASM || cargoBuildHarness().CONNECTWISE_CONNECTOR_WASM;
}

/** The hostile fixture, built with cargo into a target dir of its own (no lock shared with an outer cargo). */
export function hostileWasm() {
  if (process.env.PSA_HOSTILE_WASM) return process.env.PSA_HOSTILE_WASM;
  const target = path.join(TARGET_DIR, 'node-host-hostile-target');
  execFileSync('cargo', [
    'build', '--release', '--target=wasm32-wasip2', '--manifest-path',
    path.join(REPO, 'tests', 'fixtures', 'hostile-connector', 'Cargo.toml'),
  ], { cwd: REPO, env: cargoEnv({ CARGO_TARGET_DIR: target }), stdio: ['ignore', 'inherit', 'inherit'] });
  return path.join(target, 'wasm32-wasip2', 'release', 'hostile_connector.wasm');
}

/**
 * Starts `psa-harness mock-halo` or `mock-connectwise` on a free loopback port and reads the
 * settings it prints. `faults` are `--fault` rules.
 * @returns {Promise<{ url: string, settings: Record<string, string|null>, stop: () => Promise<void>, kind: string }>}
 */
export function startMock(kind, { faults = [] } = {}) {
  const args = [kind === 'halo' ? 'mock-halo' : 'mock-connectwise', '--addr', '127.0.0.1:0'];
  for (const f of faults) args.push('--fault', f);
  const child = spawn(harnessBin(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`psa-harness ${args.join(' ')} exited (${code}) before it was ready: ${stderr}`)));
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!stdout.includes('press Ctrl-C')) return;
      const url = /listening on (\S+)/.exec(stdout)[1];
      const json = stdout.slice(stdout.indexOf('\n{') + 1, stdout.lastIndexOf('\n}') + 2);
      const settings = JSON.parse(json);
      child.removeAllListeners('exit');
      resolve({
        kind,
        url,
        settings,
        stop: () => new Promise((done) => {
          if (child.exitCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
        }),
      });
    });
  });
}

/**
 * A ticket as the mock holds it, read through the PSA's own API (not through the connector):
 * Halo with an OAuth token, ConnectWise with its API keys. `closed` is the mock's own verdict.
 */
export async function mockTicket(mock, id) {
  if (mock.kind === 'halo') {
    const s = mock.settings;
    const tokenRes = await fetch(`${mock.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: s.client_id, client_secret: s.client_secret, scope: 'all' }),
    });
    const { access_token: token } = await tokenRes.json();
    const res = await fetch(`${mock.url}/api/Tickets/${id}`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status === 404) return null;
    const ticket = await res.json();
    // The mock's closed status (psa_mock::halo::seed_ids::STATUS_CLOSED).
    return { raw: ticket, closed: ticket.status_id === 9 };
  }
  const s = mock.settings;
  const auth = Buffer.from(`${s.company_id}+${s.public_key}:${s.private_key}`).toString('base64');
  const res = await fetch(`${mock.url}/v4_6_release/apis/3.0/service/tickets/${id}`, {
    headers: { authorization: `Basic ${auth}`, clientId: s.client_id },
  });
  if (res.status === 404) return null;
  const ticket = await res.json();
  return { raw: ticket, closed: ticket.closedFlag === true };
}

/** Runs `psa-harness call --json` and returns its parsed stdout (or stderr on failure). */
export function harnessCallJson(componentPath, settings, args) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'psa-node-call-'));
  const settingsPath = path.join(dir, 'settings.json');
  fs.writeFileSync(settingsPath, JSON.stringify(settings));
  try {
    const out = execFileSync(harnessBin(), ['call', '--json', '--component', componentPath, '--settings', settingsPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    return { ok: JSON.parse(out.toString()) };
  } catch (e) {
    return { err: JSON.parse(e.stderr.toString()) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
