// Typed errors. A connector's own failure (the WIT `connector-error`) is a `ConnectorError`;
// everything the host or the runtime decides is a `HostError` subclass, as in the Rust host
// (`psa_host::HostError`). Messages never contain settings values.

/**
 * The connector answered with its typed error (`connector-error` in the contract).
 * `kind` is the WIT case (`auth-failed`, `invalid-settings`...), `payload` jco's
 * `{ tag, val }`, `json` the JSON convention (`{"auth-failed": "…"}`), exactly what
 * `psa-harness call --json` prints on stderr.
 */
export class ConnectorError extends Error {
  constructor(json, payload) {
    const [kind] = Object.keys(json);
    const val = json[kind];
    const text = typeof val === 'string' ? val : val && typeof val === 'object' && 'message' in val ? val.message : JSON.stringify(val);
    super(`${kind}: ${text}`);
    this.name = 'ConnectorError';
    /** @type {string} */
    this.kind = kind;
    this.json = json;
    this.payload = payload;
  }
  toJSON() {
    return this.json;
  }
}

/** Base class of the host's errors; `kind` names the case. */
export class HostError extends Error {
  constructor(kind, message, details = {}) {
    super(message);
    this.name = 'HostError';
    /** @type {string} */
    this.kind = kind;
    Object.assign(this, details);
  }
  /** `{"host-error": message, "kind": kind}`: the CLI's `host-error` document plus the kind. */
  toJSON() {
    return { 'host-error': this.message, kind: this.kind };
  }
}

/** The component file cannot be read, or is not a component. */
export class LoadError extends HostError {
  constructor(message, details) { super('load', message, details); this.name = 'LoadError'; }
}

/** Not a psa:connector component, an unsupported contract version, or an import this host does not provide. */
export class IncompatibleError extends HostError {
  constructor(message, details) { super('incompatible', message, details); this.name = 'IncompatibleError'; }
}

/** Instantiating the component failed (its start function trapped, memory below its minimum...). */
export class InstantiateError extends HostError {
  constructor(message, details) { super('instantiate', message, details); this.name = 'InstantiateError'; }
}

/** The guest trapped (panic, `unreachable`, out of its memory cap, `exit`). The session is poisoned. */
export class TrapError extends HostError {
  constructor(message, details) { super('trap', message, details); this.name = 'TrapError'; }
}

/** The call ran out of its time budget; its worker was terminated. The session is poisoned. */
export class TimeoutError extends HostError {
  constructor(message, details) { super('timeout', message, details); this.name = 'TimeoutError'; }
}

/** An earlier call of this session trapped or timed out (or the session was closed); open a new one. */
export class PoisonedError extends HostError {
  constructor(message = 'the connector session is poisoned by an earlier trap or timeout; open a new session', details) {
    super('poisoned', message, details);
    this.name = 'PoisonedError';
  }
}

/** The operation name given to `call` is not an operation of the contract. */
export class UnknownOperationError extends HostError {
  constructor(op) { super('unknown-operation', `unknown connector operation \`${op}\``, { op }); this.name = 'UnknownOperationError'; }
}

/** The JSON arguments given to `call` do not fit the operation's parameter types. */
export class InvalidArgumentsError extends HostError {
  constructor(op, message) { super('invalid-arguments', `invalid arguments for \`${op}\`: ${message}`, { op }); this.name = 'InvalidArgumentsError'; }
}

/**
 * One request the egress policy refused. It is not thrown: the connector gets wasi:http's
 * `HTTP-request-denied` (and usually answers `transport`); the session records each denial
 * (`session.denied`) and the host's `onDenied` option sees it.
 */
export class EgressDenied extends HostError {
  constructor(message, details) { super('denied', message, details); this.name = 'EgressDenied'; }
}

/** Rebuilds a host error sent by the worker (`{kind, message, ...}`). */
export function hostErrorFrom({ kind, message, ...details }) {
  const cls = {
    load: LoadError, incompatible: IncompatibleError, instantiate: InstantiateError, trap: TrapError,
    timeout: TimeoutError, poisoned: PoisonedError, denied: EgressDenied,
  }[kind];
  if (kind === 'unknown-operation') return new UnknownOperationError(details.op);
  if (kind === 'invalid-arguments') {
    const e = new InvalidArgumentsError(details.op, '');
    e.message = message;
    return e;
  }
  return cls ? new cls(message, details) : new HostError(kind, message, details);
}
