// What this host gives a connector component: the imports of the `psa-connector` world
// (wit/world.wit), from @bytecodealliance/preview2-shim, with the host's own
// `wasi:http/outgoing-handler` in front of the shim's (the egress allow-list and the timeout
// cap), no environment variables, no arguments, no working directory, and `exit` as a trap.
// Nothing else: a component importing anything more is refused at load (index.js).

import { cli, clocks, http, io } from '@bytecodealliance/preview2-shim';
import { Denied } from './policy.js';

/** The import names (jco strips the `@0.2.x` version) a connector may have. */
export const PROVIDED_IMPORTS = [
  'wasi:cli/environment', 'wasi:cli/exit', 'wasi:cli/stderr', 'wasi:cli/stdin', 'wasi:cli/stdout',
  'wasi:cli/terminal-input', 'wasi:cli/terminal-output', 'wasi:cli/terminal-stderr',
  'wasi:cli/terminal-stdin', 'wasi:cli/terminal-stdout',
  'wasi:clocks/monotonic-clock', 'wasi:clocks/wall-clock',
  'wasi:http/outgoing-handler', 'wasi:http/types',
  'wasi:io/error', 'wasi:io/poll', 'wasi:io/streams',
];

/** `wasi:cli/exit` called by the guest: the call ends as a trap. */
export class ConnectorExit extends Error {
  constructor(code) {
    super(`the connector called wasi:cli/exit (${code})`);
    this.name = 'ConnectorExit';
  }
}

const SCHEMES = { HTTP: 'http', HTTPS: 'https' };

/**
 * The imports object for jco's `instantiate`.
 * @param {import('./policy.js').EgressPolicy} policy
 * @param {(denial: { origin: string|null, reason: string, method: string, path: string }) => void} onDenied
 * @param {{ requestTimeoutMs?: number }} [limits]
 */
export function hostImports(policy, onDenied, limits = {}) {
  const capNs = BigInt(limits.requestTimeoutMs ?? 30_000) * 1_000_000n;
  capResponseBodies(limits.maxResponseBytes ?? 16 * 1024 * 1024);
  const outgoingHandler = {
    handle(request, options) {
      const scheme = request.scheme();
      const schemeName = scheme === undefined ? '' : SCHEMES[scheme.tag] ?? String(scheme.val ?? scheme.tag);
      const authority = request.authority();
      try {
        policy.check(schemeName, authority);
      } catch (e) {
        if (!(e instanceof Denied)) throw e;
        // What is reported leaves out the query (it may carry data) and any user information
        // in the authority (it may carry credentials).
        const pathOnly = (request.pathWithQuery() ?? '').split('?')[0];
        const host = authority ? authority.slice(authority.lastIndexOf('@') + 1) : null;
        onDenied({ origin: host ? `${schemeName}://${host}` : null, reason: e.toString(), method: request.method().tag, path: pathOnly });
        throw { tag: 'HTTP-request-denied' };
      }
      return http.outgoingHandler.handle(request, capTimeouts(options, capNs));
    },
  };
  return {
    'wasi:cli/environment': {
      getEnvironment: () => [],
      getArguments: () => [],
      initialCwd: () => undefined,
    },
    'wasi:cli/exit': {
      exit(status) {
        throw new ConnectorExit(status?.tag === 'ok' ? 'ok' : 'err');
      },
      exitWithCode(code) {
        throw new ConnectorExit(code);
      },
    },
    'wasi:cli/stderr': cli.stderr,
    'wasi:cli/stdin': cli.stdin,
    'wasi:cli/stdout': cli.stdout,
    'wasi:cli/terminal-input': cli.terminalInput,
    'wasi:cli/terminal-output': cli.terminalOutput,
    'wasi:cli/terminal-stderr': cli.terminalStderr,
    'wasi:cli/terminal-stdin': cli.terminalStdin,
    'wasi:cli/terminal-stdout': cli.terminalStdout,
    'wasi:clocks/monotonic-clock': clocks.monotonicClock,
    'wasi:clocks/wall-clock': clocks.wallClock,
    'wasi:http/outgoing-handler': outgoingHandler,
    'wasi:http/types': http.types,
    'wasi:io/error': io.error,
    'wasi:io/poll': io.poll,
    'wasi:io/streams': io.streams,
  };
}

/**
 * Caps what the guest may read of one HTTP response body: the read that would pass `maxBytes`
 * fails with a stream error (`last-operation-failed`) instead of returning data, as the Rust
 * host's `max_response_bytes` does. Patches this thread's preview2-shim classes (each worker
 * has its own copy of the shim), once.
 */
let cappedAt = null;
function capResponseBodies(maxBytes) {
  if (cappedAt !== null) {
    cappedAt = maxBytes;
    return;
  }
  cappedAt = maxBytes;
  const read = new WeakMap();
  const { IncomingBody } = http.types;
  const { InputStream } = io.streams;
  const stream = IncomingBody.prototype.stream;
  IncomingBody.prototype.stream = function cappedStream() {
    const s = stream.call(this);
    read.set(s, 0);
    return s;
  };
  for (const name of ['read', 'blockingRead', 'skip', 'blockingSkip']) {
    const original = InputStream.prototype[name];
    InputStream.prototype[name] = function counted(len) {
      if (!read.has(this)) return original.call(this, len);
      const before = read.get(this);
      if (before >= cappedAt) throw tooLarge();
      // Never more than what is left under the cap.
      const allowed = BigInt(Math.min(Number(len), cappedAt - before + 1));
      const result = original.call(this, allowed);
      const n = typeof result === 'bigint' ? Number(result) : result.length;
      read.set(this, before + n);
      if (before + n > cappedAt) throw tooLarge();
      return result;
    };
  }
}

function tooLarge() {
  return {
    tag: 'last-operation-failed',
    val: new io.error.Error(new Error(`the response body is larger than the host's limit of ${cappedAt} bytes`)),
  };
}

/** Each HTTP timeout the guest asked for, at most `capNs` (the guest's own when shorter). */
function capTimeouts(options, capNs) {
  const opts = options ?? new http.types.RequestOptions();
  for (const [get, set] of [
    ['connectTimeout', 'setConnectTimeout'],
    ['firstByteTimeout', 'setFirstByteTimeout'],
    ['betweenBytesTimeout', 'setBetweenBytesTimeout'],
  ]) {
    const current = opts[get]();
    if (current === undefined || current > capNs) opts[set](capNs);
  }
  return opts;
}

