// @psa-connector/host: run psa:connector components (PSA connectors) in Node.js.
//
//   const connector = await loadConnector('halo_connector.wasm');
//   const session = await connector.open({ base_url, client_id, client_secret });
//   const report = await session.call('test-connection');          // JSON convention
//   const page = await session.listOrganizations({ includeInactive: false }); // jco's typed values
//
// See README.md for the guarantees of the limits.

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import {
  ConnectorError, HostError, LoadError, IncompatibleError, InstantiateError, TrapError, TimeoutError,
  PoisonedError, UnknownOperationError, InvalidArgumentsError, EgressDenied, hostErrorFrom,
} from './errors.js';
import { EgressPolicy, Denied } from './policy.js';
import { PROVIDED_IMPORTS } from './imports.js';
import { capMemories } from './memory.js';
import { camel, snake } from './convert.js';
import { schema } from './schema.js';

export {
  ConnectorError, HostError, LoadError, IncompatibleError, InstantiateError, TrapError, TimeoutError,
  PoisonedError, UnknownOperationError, InvalidArgumentsError, EgressDenied, EgressPolicy, Denied,
};

const require = createRequire(import.meta.url);
/** The jco transpiler's version, part of the cache key. */
export const JCO_TRANSPILE_VERSION = JSON.parse(fs.readFileSync(
  path.join(path.dirname(require.resolve('@bytecodealliance/jco-transpile')), '..', 'package.json'),
  'utf8',
)).version;

const INTERFACE = 'psa:connector/connector';
/** The contract version this host runs (wit/ at build time), and the ones it accepts: the same 0.x minor. */
export const CONTRACT_VERSION = schema.version;

const DEFAULTS = {
  callTimeoutMs: 60_000,
  instantiateTimeoutMs: 60_000,
  memoryLimitBytes: 64 * 1024 * 1024,
  jsHeapLimitMb: 64,
  requestTimeoutMs: 30_000,
  maxResponseBytes: 16 * 1024 * 1024,
  allowPlainHttpToLoopbackOnly: true,
};

function defaultCacheDir() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'psa-connector', 'node-host');
}

function parseVersion(text) {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(text ?? '');
  return m ? m.slice(1).map(Number) : null;
}

/** The policy: same major, and for 0.x the same minor (wit/README.md). */
function compatible([a, b], [x, y]) {
  return a === x && (a > 0 || b === y);
}

function supportedVersions() {
  const [a, b] = parseVersion(CONTRACT_VERSION);
  return `${a}.${b}.x`;
}

/** Reads the contract version a component exports, as the Rust host's `contract_of`. */
function contractOf(exportNames) {
  const name = exportNames.find((n) => n.startsWith(INTERFACE));
  if (!name) {
    throw new IncompatibleError(`the component exports no \`${INTERFACE}\` interface: it is not a psa:connector connector (this host runs contract versions ${supportedVersions()}; \`${INTERFACE}@${CONTRACT_VERSION}\` is the current one)`, { exports: exportNames });
  }
  const text = name.startsWith(`${INTERFACE}@`) ? name.slice(INTERFACE.length + 1) : '';
  const version = parseVersion(text);
  if (!version) {
    throw new IncompatibleError(`the component exports \`${name}\`, without a version this host can read (this host runs contract versions ${supportedVersions()})`);
  }
  const current = parseVersion(CONTRACT_VERSION);
  if (!compatible(version, current)) {
    const newer = version[0] > current[0] || (version[0] === current[0] && version[1] > current[1]);
    const whatToDo = newer
      ? `it is newer than this host: upgrade @psa-connector/host to one that supports ${text}, or build the connector against ${CONTRACT_VERSION}`
      : `this host does not run it: rebuild the connector against ${CONTRACT_VERSION} (psa-connector-sdk for ${CONTRACT_VERSION}; see wit/README.md for what changed), or run it in the Rust host (psa-host), which adapts older contracts`;
    throw new IncompatibleError(`the component was built against psa:connector@${text}; this host runs ${supportedVersions()}: ${whatToDo}`, { contractVersion: text });
  }
  return { exportName: name, contractVersion: text };
}

/**
 * The transpiled component in the cache, transpiling it on a miss. The cache key is the
 * component's SHA-256 and the transpiler's version; entries are written to a temporary
 * directory and renamed into place, so a reader never sees half an entry.
 */
async function transpiled(bytes, sha256, cacheDir) {
  const dir = path.join(cacheDir, `${sha256}-jco-transpile-${JCO_TRANSPILE_VERSION}`);
  const metaPath = path.join(dir, 'meta.json');
  if (fs.existsSync(metaPath)) {
    return { dir, meta: JSON.parse(fs.readFileSync(metaPath, 'utf8')), cached: true };
  }
  let result;
  try {
    result = await transpileBytes(bytes, {
      name: 'connector',
      instantiation: { tag: 'async' },
      emitTypescriptDeclarations: false,
      noTypescript: true,
    });
  } catch (e) {
    const isCoreModule = bytes[4] === 1 && bytes[5] === 0;
    if (isCoreModule) throw new IncompatibleError('the file is a core WebAssembly module, not a component: it is not a psa:connector connector');
    throw new LoadError(`cannot transpile the component: ${e?.message ?? e}`);
  }
  const meta = { imports: result.imports, exports: result.exports.map(([n]) => n), core: [], js: 'connector.mjs' };
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cacheDir, '.tmp-'));
  for (const [name, data] of Object.entries(result.files)) {
    if (name.endsWith('.d.ts')) continue;
    // The bindings are an ES module; `.mjs` so Node loads it as one wherever the cache is.
    const out = name.endsWith('.js') ? 'connector.mjs' : name;
    if (name.endsWith('.wasm')) meta.core.push(name);
    fs.writeFileSync(path.join(tmp, out), data);
  }
  fs.writeFileSync(path.join(tmp, 'meta.json'), JSON.stringify(meta));
  try {
    fs.renameSync(tmp, dir);
  } catch (e) {
    // Another process won the race; its entry is the same.
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(metaPath)) throw e;
  }
  return { dir, meta, cached: false };
}

/**
 * Loads a connector component: transpiles it (or takes it from the cache), checks its contract
 * version and its imports, compiles its core modules with the memory cap, and reads its `info`.
 *
 * @param {string} componentPath
 * @param {import('./index.d.ts').HostOptions} [options]
 * @returns {Promise<Connector>}
 */
export async function loadConnector(componentPath, options = {}) {
  const opts = { ...DEFAULTS, ...options };
  let bytes;
  try {
    bytes = fs.readFileSync(componentPath);
  } catch (e) {
    throw new LoadError(`cannot load connector component ${componentPath}: ${e.message}`, { path: componentPath });
  }
  if (bytes.length < 8 || bytes.readUInt32BE(0) !== 0x0061736d) {
    throw new LoadError(`cannot load connector component ${componentPath}: not a WebAssembly file`, { path: componentPath });
  }
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  const { dir, meta, cached } = await transpiled(bytes, sha256, opts.cacheDir ?? defaultCacheDir());
  const { exportName, contractVersion } = contractOf(meta.exports);
  const foreign = meta.imports.filter((i) => !PROVIDED_IMPORTS.includes(i));
  if (foreign.length > 0) {
    throw new IncompatibleError(`the component imports ${foreign.map((i) => `\`${i}\``).join(', ')}, which this host does not provide (a connector may import only wasi:http, wasi:io, wasi:clocks and wasi:cli; see wit/world.wit)`, { imports: foreign });
  }
  const modules = {};
  const memories = [];
  for (const name of meta.core) {
    let capped;
    try {
      capped = capMemories(fs.readFileSync(path.join(dir, name)), opts.memoryLimitBytes);
    } catch (e) {
      throw new IncompatibleError(`core module ${name}: ${e.message}`);
    }
    memories.push(...capped.memories);
    modules[name] = await WebAssembly.compile(capped.bytes);
  }
  const connector = new Connector({
    path: componentPath, sha256, exportName, contractVersion, opts, modules, memories, cached,
    jsPath: path.join(dir, meta.js),
  });
  const worker = await connector.spawn(new EgressPolicy(opts.allowPlainHttpToLoopbackOnly), 'info');
  try {
    connector.infoJson = await worker.call('info', [], true);
  } finally {
    worker.close();
  }
  return connector;
}

/** One worker thread and the instance in it. */
class Instance {
  constructor(worker, opts, onDenied, onOutput) {
    this.worker = worker;
    this.opts = opts;
    this.nextId = 1;
    /** @type {Map<number, {resolve: Function, reject: Function, op: string}>} */
    this.pending = new Map();
    this.dead = null;
    this.onDenied = onDenied;
    worker.on('message', (msg) => {
      if (msg.type === 'denied') {
        this.onDenied(msg.denial);
        return;
      }
      if (msg.type === 'output') {
        onOutput(msg.stream, msg.text);
        return;
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if ('ok' in msg) p.resolve(msg.ok);
      else if ('err' in msg) p.reject(new ConnectorError(msg.err.json, msg.err.payload));
      else {
        const error = hostErrorFrom(msg.host);
        p.reject(error);
        // After a trap the instance's state is unknown: the session is poisoned, its worker ends.
        if (error instanceof TrapError) {
          this.#die(error);
          this.worker.terminate();
        }
      }
    });
    worker.on('error', (e) => this.#die(new TrapError(`the connector's worker failed: ${e.code ? `${e.code}: ` : ''}${e.message}`, { cause: e.code })));
    worker.on('exit', (code) => this.#die(new TrapError(`the connector's worker exited (${code})`)));
  }

  #die(error) {
    if (this.dead) return;
    this.dead = error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  /**
   * One call in the worker, within the time budget: on timeout the worker is terminated and
   * the call fails with `TimeoutError`.
   */
  call(op, args, json, timeoutMs = this.opts.callTimeoutMs) {
    if (this.dead) return Promise.reject(new PoisonedError());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = new TimeoutError(`connector call \`${op}\` timed out after ${timeoutMs} ms`, { op, afterMs: timeoutMs });
        this.pending.delete(id);
        this.#die(error);
        reject(error);
        this.worker.terminate();
      }, timeoutMs);
      const done = (f) => (v) => { clearTimeout(timer); f(v); };
      this.pending.set(id, { resolve: done(resolve), reject: done(reject), op });
      this.worker.postMessage({ id, op, args, json });
    });
  }

  close() {
    this.#die(new PoisonedError('the session is closed'));
    return this.worker.terminate();
  }
}

/** A loaded connector component. */
export class Connector {
  constructor(fields) {
    Object.assign(this, fields);
    /** @type {object} the connector's `info`, in the JSON convention */
    this.infoJson = null;
  }

  /** The component's `info` in the JSON convention (`psa-harness call info --json`). */
  info() {
    return structuredClone(this.infoJson);
  }

  /** A worker with an instance of the component, behind `policy`. */
  async spawn(policy, label, onDenied = () => {}) {
    const worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: {
        jsPath: this.jsPath,
        modules: this.modules,
        policy: policy.toJSON(),
        exportName: this.exportName,
        requestTimeoutMs: this.opts.requestTimeoutMs,
        maxResponseBytes: this.opts.maxResponseBytes,
      },
      resourceLimits: { maxOldGenerationSizeMb: this.opts.jsHeapLimitMb },
      // Not the host process's own flags (`--input-type`, `--eval`, loaders...).
      execArgv: [],
      name: `psa-connector ${label}`,
    });
    const instance = new Instance(worker, this.opts, onDenied, outputSink(this.opts.log));
    // A session the platform forgets to close does not keep the process alive (after the
    // listeners: adding a 'message' listener refs the worker's port again).
    worker.unref();
    let started;
    // Instantiation (a worker's start, compiling the bindings, the component's start functions)
    // has a budget of its own, so a short call budget does not also bound a worker's start.
    const budget = this.opts.instantiateTimeoutMs;
    await new Promise((resolve, reject) => {
      const id = 0;
      const timer = setTimeout(() => {
        instance.pending.delete(id);
        instance.worker.terminate();
        reject(new TimeoutError(`instantiating the connector timed out after ${budget} ms`, { op: 'instantiate', afterMs: budget }));
      }, budget);
      const done = (f) => (v) => { clearTimeout(timer); f(v); };
      instance.pending.set(id, { resolve: done((v) => { started = v; resolve(); }), reject: done(reject), op: 'instantiate' });
      worker.postMessage({ type: 'init', id });
    });
    if (started.missing.length > 0) {
      instance.close();
      throw new IncompatibleError(`the component exports ${this.exportName} without ${started.missing.map((f) => `\`${f}\``).join(', ')}: it does not match the contract's functions`, { missing: started.missing });
    }
    return instance;
  }

  /**
   * Opens a session: derives the egress allow-list from the settings' `url` fields, starts the
   * session's worker and calls `session.open`. Rejects with `ConnectorError` (`invalid-settings`
   * for a missing or malformed setting, or a URL the host's policy refuses) or a `HostError`.
   *
   * @param {Record<string, string|number|boolean|null> | [string, string][]} settings
   */
  async open(settings) {
    const pairs = settingsPairs(settings);
    const policy = EgressPolicy.fromSettings(this.infoJson, pairs, this.opts.allowPlainHttpToLoopbackOnly);
    // Unparseable values are left to the connector, which validates its own settings.
    const refused = policy.refused.find(([, r]) => r.kind !== 'invalid-url');
    if (refused) {
      const [key, reason] = refused;
      const label = this.infoJson.settings_form.find((f) => f.key === key)?.label ?? key;
      const json = { 'invalid-settings': { key, message: `${label}: ${reason}` } };
      throw new ConnectorError(json, { tag: 'invalid-settings', val: { key, message: json['invalid-settings'].message } });
    }
    const session = new Session(this, policy);
    session.instance = await this.spawn(policy, 'session', (d) => session.recordDenial(d));
    try {
      await session.instance.call('open', [pairs], true);
    } catch (e) {
      session.instance.close();
      throw e;
    }
    return session;
  }
}

function settingsPairs(settings) {
  if (Array.isArray(settings)) return settings.map(([k, v]) => [String(k), String(v)]);
  const pairs = [];
  for (const [key, value] of Object.entries(settings ?? {})) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'object') throw new TypeError(`setting \`${key}\` must be a string, number or boolean`);
    const text = String(value);
    if (text.trim() !== '') pairs.push([key, text]);
  }
  return pairs;
}

/** Forwards the connector's stdout/stderr to `log`, at most 64 KiB a worker. */
function outputSink(log) {
  let budget = 64 * 1024;
  return (stream, chunk) => {
    if (budget <= 0 || !log) return;
    const text = chunk.slice(0, budget);
    budget -= text.length;
    for (const line of text.split('\n')) if (line !== '') log(stream, line);
  };
}

/**
 * A connector session in its own worker. Calls run one at a time, each within the time budget.
 * After a trap or a timeout the session is poisoned: every later call fails with
 * `PoisonedError`; open a new session.
 */
export class Session {
  constructor(connector, policy) {
    this.connector = connector;
    /** The allow-list, `scheme://host:port` each. */
    this.allowed = policy.origins();
    /** @type {EgressDenied[]} every request the egress policy refused, in order */
    this.denied = [];
    this.instance = null;
    this.queue = Promise.resolve();
  }

  recordDenial(d) {
    const e = new EgressDenied(`request denied: ${d.method} ${d.origin ?? '(no origin)'}${d.path}: ${d.reason}`, d);
    this.denied.push(e);
    this.connector.opts.onDenied?.(e);
  }

  /** Whether an earlier call trapped or timed out (or the session was closed). */
  get poisoned() {
    return this.instance.dead !== null;
  }

  /** Runs calls one after the other; each one's time budget starts when it starts. */
  _run(op, args, json) {
    const run = () => this.instance.call(op, args, json);
    const result = this.queue.then(run, run);
    this.queue = result.then(() => {}, () => {});
    return result;
  }

  /**
   * Calls an operation by its WIT name (`list-organizations`; `_` is accepted for `-`) with one
   * JSON value per parameter after the session (trailing `option` parameters may be left out).
   * Resolves to the operation's result in the JSON convention of `psa-harness call --json`;
   * rejects with `ConnectorError` (its `json` is the error document) or a `HostError`.
   */
  call(op, ...args) {
    const name = String(op).replaceAll('_', '-');
    if (name === 'info') return Promise.resolve(this.connector.info());
    if (name === 'open' || !schema.functions[`session.${name}`]) return Promise.reject(new UnknownOperationError(name));
    return this._run(name, args, true);
  }

  /** Ends the session's worker. */
  close() {
    return this.instance.close();
  }
}

// The typed API: one method per operation of the contract (`testConnection`, `syncAlert`...),
// taking and returning jco's values (generated/types/), e.g. `{ includeInactive: false }`.
for (const [key, fn] of Object.entries(schema.functions)) {
  if (!key.startsWith('session.') || fn.static) continue;
  const op = fn.method;
  Session.prototype[camel(op)] = function typed(...args) {
    return this._run(op, args, false);
  };
}

export { snake, camel };
