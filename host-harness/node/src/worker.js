// The worker thread one connector instance runs in (one session, or the throwaway instance
// `info` runs in). The main thread (`index.js`) terminates it when a call runs out of its time
// budget, which is why the component never runs on the main thread.
//
// It instantiates the transpiled component with this host's imports (imports.js: the egress
// policy's outgoing handler, no environment, no arguments) and the core modules compiled by
// the main thread with the memory cap, then answers one message at a time:
// `{ id, op, args, json }` → `{ id, ok }` | `{ id, err: { json, payload } }` | `{ id, host: { kind, message } }`.

import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { hostImports, ConnectorExit } from './imports.js';
import { EgressPolicy } from './policy.js';
import { camel, jsonToJs, jsToJson, paramsFromJson, ConversionError } from './convert.js';
import { schema } from './schema.js';

const { jsPath, modules, policy: policyJson, exportName } = workerData;
const policy = EgressPolicy.fromJSON(policyJson);

let connector;
let session;

function post(message) {
  parentPort.postMessage(message);
}

// The connector's stdout and stderr (written by preview2-shim's I/O thread, a worker nested in
// this one, whose output is piped into this thread's streams) go to the main thread as
// messages, for the `log` option; nothing reaches the host process's own stdout.
for (const name of ['stdout', 'stderr']) {
  process[name].write = (chunk, encoding, callback) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    post({ type: 'output', stream: name, text });
    if (typeof encoding === 'function') encoding();
    else if (typeof callback === 'function') callback();
    return true;
  };
}

const imports = hostImports(policy, (denial) => post({ type: 'denied', denial }), {
  requestTimeoutMs: workerData.requestTimeoutMs,
  maxResponseBytes: workerData.maxResponseBytes,
});

async function init() {
  const { instantiate } = await import(pathToFileURL(jsPath).href);
  const exports = await instantiate((name) => {
    const module = modules[name];
    if (!module) throw new Error(`no compiled core module ${name}`);
    return module;
  }, imports);
  connector = exports[exportName];
  if (!connector) throw new Error(`the component does not export ${exportName}`);
}

/** The contract's functions the component's bindings lack (jco names them in camelCase). */
function missingFunctions() {
  const missing = [];
  for (const [key, fn] of Object.entries(schema.functions)) {
    const present = !fn.resource
      ? typeof connector[camel(key)] === 'function'
      : fn.static
        ? typeof connector.Session?.[camel(fn.method)] === 'function'
        : typeof connector.Session?.prototype?.[camel(fn.method)] === 'function';
    if (!present) missing.push(key.replace('session.', '[method]session.').replace('[method]session.open', '[static]session.open'));
  }
  return missing;
}

/** Whether a thrown value is the `err` of the operation's `result` (jco throws the payload). */
function isResultErr(e) {
  return e !== null && typeof e === 'object' && !(e instanceof Error) && typeof e.tag === 'string';
}

function describeTrap(e) {
  if (e instanceof ConnectorExit) return e.message;
  if (e instanceof Error) return `${e.constructor.name}: ${e.message}`;
  return String(e);
}

const errorType = () => schema.types['connector-error'];

/** A host error decided in the worker (not a trap): sent back as `{ host }`. */
class HostReply {
  constructor(host) {
    this.host = host;
  }
}

function call(op, args, json) {
  if (op === 'info') {
    const fn = schema.functions.info;
    const value = connector.info();
    return json ? jsToJson(schema, fn.result, value) : value;
  }
  const key = op === 'open' ? 'session.open' : `session.${op}`;
  const fn = schema.functions[key];
  if (!fn) throw new HostReply({ kind: 'unknown-operation', message: `unknown connector operation \`${op}\``, op });
  let params;
  try {
    params = json ? paramsFromJson(schema, op, fn, args) : args;
  } catch (e) {
    if (e instanceof ConversionError) throw new HostReply({ kind: 'invalid-arguments', message: `invalid arguments for \`${op}\`: ${e.message}`, op });
    throw e;
  }
  if (op === 'open') {
    session = connector.Session.open(...params);
    return undefined;
  }
  if (!session) throw new HostReply({ kind: 'poisoned', message: 'the session is not open' });
  const method = session[camel(op)];
  if (typeof method !== 'function') throw new HostReply({ kind: 'unknown-operation', message: `unknown connector operation \`${op}\``, op });
  const value = method.apply(session, params);
  const okType = fn.result?.k === 'result' ? fn.result.ok : fn.result;
  return json ? (okType ? jsToJson(schema, okType, value) : null) : value;
}

parentPort.on('message', async (msg) => {
  if (msg.type === 'init') {
    try {
      await init();
      post({ id: msg.id, ok: { missing: missingFunctions() } });
    } catch (e) {
      post({ id: msg.id, host: { kind: 'instantiate', message: `cannot instantiate the connector: ${describeTrap(e)}` } });
    }
    return;
  }
  const { id, op, args, json } = msg;
  let result;
  try {
    result = { ok: call(op, args, json) };
  } catch (e) {
    if (e instanceof HostReply) {
      result = { host: e.host };
    } else if (isResultErr(e)) {
      result = { err: { payload: e, json: jsToJson(schema, errorType(), e) } };
    } else {
      // A trap, or a JavaScript error inside the bindings: the instance's state is unknown.
      result = { host: { kind: 'trap', message: `connector trapped in \`${op}\`: ${describeTrap(e)}`, op } };
    }
  }
  post({ id, ...result });
});
