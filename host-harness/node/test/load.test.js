// Loading: the contract version a component exports, imports this host does not provide,
// files that are not components, and the transpile cache.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { loadConnector, IncompatibleError, LoadError, JCO_TRANSPILE_VERSION, CONTRACT_VERSION } from '../src/index.js';
import { haloWasm, CACHE_DIR } from './helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'psa-node-load-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A component exporting one instance named `name` (with one function), from WAT. */
async function componentExporting(name, imports = '') {
  const wat = `(component
    ${imports}
    (core module $m (func (export "f")))
    (core instance $ci (instantiate $m))
    (func $f (canon lift (core func $ci "f")))
    (instance $i (export "info" (func $f)))
    (export "${name}" (instance $i)))`;
  const file = path.join(dir, `${crypto.randomUUID()}.wasm`);
  fs.writeFileSync(file, await parse(wat));
  return file;
}

test('a newer contract version is refused with what to do', async () => {
  const file = await componentExporting('psa:connector/connector@0.9.0');
  const error = await loadConnector(file, { cacheDir: CACHE_DIR }).catch((e) => e);
  assert.ok(error instanceof IncompatibleError, String(error));
  assert.equal(error.kind, 'incompatible');
  assert.match(error.message, /built against psa:connector@0\.9\.0; this host runs 0\.2\.x: it is newer than this host/);
});

test('an older contract version is refused (this host has no adapter; psa-host has)', async () => {
  const file = await componentExporting('psa:connector/connector@0.1.0');
  const error = await loadConnector(file, { cacheDir: CACHE_DIR }).catch((e) => e);
  assert.ok(error instanceof IncompatibleError, String(error));
  assert.match(error.message, /psa:connector@0\.1\.0.*rebuild the connector against 0\.2\.0/);
});

test('a patch version passes the version check; missing functions are then refused', async () => {
  // The WAT component exports only a function named `info` (of the wrong type) and no session.
  const file = await componentExporting('psa:connector/connector@0.2.7');
  const error = await loadConnector(file, { cacheDir: CACHE_DIR }).catch((e) => e);
  assert.ok(error instanceof IncompatibleError, String(error));
  assert.doesNotMatch(error.message, /built against/);
  assert.match(error.message, /without `\[static\]session\.open`, `\[method\]session\.test-connection`/);
  assert.ok(!error.missing.includes('info'));
});

test('a component that is not a connector is refused', async () => {
  const file = await componentExporting('acme:other/thing@1.0.0');
  const error = await loadConnector(file, { cacheDir: CACHE_DIR }).catch((e) => e);
  assert.ok(error instanceof IncompatibleError, String(error));
  assert.match(error.message, /exports no `psa:connector\/connector` interface/);
});

test('a component importing the filesystem is refused before it runs', async () => {
  const file = await componentExporting('psa:connector/connector@0.2.0', `
    (import "wasi:filesystem/preopens@0.2.12" (instance $p (export "get" (func))))
    (core func $g (canon lower (func $p "get")))
    (core module $u (import "p" "g" (func)))
    (core instance (instantiate $u (with "p" (instance (export "g" (func $g))))))`);
  const error = await loadConnector(file, { cacheDir: CACHE_DIR }).catch((e) => e);
  assert.ok(error instanceof IncompatibleError, String(error));
  assert.match(error.message, /imports `wasi:filesystem\/preopens`, which this host does not provide/);
});

test('a core module and a text file are typed errors', async () => {
  const core = path.join(dir, 'core.wasm');
  fs.writeFileSync(core, await parse('(module (func (export "f")))'));
  const coreError = await loadConnector(core, { cacheDir: CACHE_DIR }).catch((e) => e);
  assert.ok(coreError instanceof IncompatibleError, String(coreError));
  assert.match(coreError.message, /core WebAssembly module, not a component/);
  const text = path.join(dir, 'notes.txt');
  fs.writeFileSync(text, 'hello');
  const textError = await loadConnector(text, { cacheDir: CACHE_DIR }).catch((e) => e);
  assert.ok(textError instanceof LoadError, String(textError));
  const missing = await loadConnector(path.join(dir, 'missing.wasm')).catch((e) => e);
  assert.ok(missing instanceof LoadError);
  assert.equal(missing.kind, 'load');
});

test('the transpiled component is cached by sha256 and transpiler version', async () => {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'psa-node-cache-'));
  try {
    const first = await loadConnector(haloWasm(), { cacheDir });
    assert.equal(first.cached, false);
    const sha = crypto.createHash('sha256').update(fs.readFileSync(haloWasm())).digest('hex');
    assert.equal(first.sha256, sha);
    const entries = fs.readdirSync(cacheDir);
    assert.deepEqual(entries, [`${sha}-jco-transpile-${JCO_TRANSPILE_VERSION}`]);
    const second = await loadConnector(haloWasm(), { cacheDir });
    assert.equal(second.cached, true);
    assert.deepEqual(second.info(), first.info());
    assert.equal(first.info().contract_version, CONTRACT_VERSION);
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('a memory cap below what the component starts with is refused at load', async () => {
  const error = await loadConnector(haloWasm(), { cacheDir: CACHE_DIR, memoryLimitBytes: 64 * 1024 }).catch((e) => e);
  assert.ok(error instanceof IncompatibleError, String(error));
  assert.match(error.message, /more than the memory cap of 65536 bytes/);
});
