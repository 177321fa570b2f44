// Types of @psa-connector/host's own API. The contract's types (records, variants, the
// `connector-error` cases) are generated from wit/ by jco: generated/types/.

import type * as Contract from '../generated/types/interfaces/psa-connector-types.js';

export type { Contract };

/** A value in the JSON convention of `psa-harness call --json` (snake_case records, `{"case": payload}` variants). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface HostOptions {
  /** Where transpiled components are kept (keyed by sha256 and the transpiler's version). Default: `$XDG_CACHE_HOME/psa-connector/node-host` or `~/.cache/psa-connector/node-host`. */
  cacheDir?: string;
  /** Wall-clock budget of one call (an operation, `info` or `session.open`), including its HTTP requests. Default: 60 000. */
  callTimeoutMs?: number;
  /** Budget of starting a session's worker and instantiating the component in it. Default: 60 000. */
  instantiateTimeoutMs?: number;
  /** Maximum linear memory of one connector instance, in bytes. Growing past it fails (a Rust connector traps). Default: 64 MiB. */
  memoryLimitBytes?: number;
  /** V8 old-generation heap limit of each session's worker (the bindings' JavaScript, HTTP buffers). Default: 64. */
  jsHeapLimitMb?: number;
  /** Upper bound for each of the guest's HTTP timeouts (connect, first byte, between bytes). Default: 30 000. */
  requestTimeoutMs?: number;
  /** Maximum size of one HTTP response body the guest may read; the read past it fails. Default: 16 MiB. */
  maxResponseBytes?: number;
  /** Plain `http` only to loopback hosts (default true). */
  allowPlainHttpToLoopbackOnly?: boolean;
  /** The connector's stdout/stderr lines (at most 64 KiB per instance). Default: dropped. */
  log?: (stream: 'stdout' | 'stderr', line: string) => void;
  /** Every request the egress policy refused, as it happens. */
  onDenied?: (denial: EgressDenied) => void;
}

/** Base class of the host's errors. */
export class HostError extends Error {
  kind: 'load' | 'incompatible' | 'instantiate' | 'trap' | 'timeout' | 'poisoned' | 'unknown-operation' | 'invalid-arguments' | 'denied' | string;
  /** `{"host-error": message, "kind": kind}`. */
  toJSON(): { 'host-error': string; kind: string };
}
export class LoadError extends HostError { kind: 'load'; path?: string }
export class IncompatibleError extends HostError { kind: 'incompatible' }
export class InstantiateError extends HostError { kind: 'instantiate' }
export class TrapError extends HostError { kind: 'trap'; op?: string }
export class TimeoutError extends HostError { kind: 'timeout'; op: string; afterMs: number }
export class PoisonedError extends HostError { kind: 'poisoned' }
export class UnknownOperationError extends HostError { kind: 'unknown-operation'; op: string }
export class InvalidArgumentsError extends HostError { kind: 'invalid-arguments'; op: string }
/** A request the egress policy refused (recorded, not thrown: the connector got `HTTP-request-denied`). */
export class EgressDenied extends HostError {
  kind: 'denied';
  origin: string | null;
  reason: string;
  method: string;
  /** Without the query string. */
  path: string;
}

/** The connector's own typed error (`connector-error`). */
export class ConnectorError extends Error {
  /** The WIT case: `auth-failed`, `invalid-settings`, ... */
  kind: Contract.ConnectorError['tag'];
  /** The JSON convention, e.g. `{"auth-failed": "…"}`: what `psa-harness call --json` prints. */
  json: { [kind: string]: Json };
  /** jco's value. */
  payload: Contract.ConnectorError;
  toJSON(): { [kind: string]: Json };
}

/** The contract version this host runs (0.2.x accepted). */
export const CONTRACT_VERSION: string;
/** The version of @bytecodealliance/jco-transpile (part of the cache key). */
export const JCO_TRANSPILE_VERSION: string;

export function loadConnector(componentPath: string, options?: HostOptions): Promise<Connector>;

export class Connector {
  readonly path: string;
  readonly sha256: string;
  /** The exported interface, e.g. `psa:connector/connector@0.2.0`. */
  readonly exportName: string;
  readonly contractVersion: string;
  /** Whether the transpiled form came from the cache. */
  readonly cached: boolean;
  /** Each linear memory the component defines, with the cap written into it (64 KiB pages). */
  readonly memories: { minPages: number; maxPages: number }[];
  /** `info` in the JSON convention. */
  info(): { [key: string]: Json };
  /** Settings as an object (null/empty values dropped) or key/value pairs. */
  open(settings: Record<string, string | number | boolean | null> | [string, string][]): Promise<Session>;
}

export class Session {
  /** The egress allow-list, `scheme://host:port` each. */
  readonly allowed: string[];
  /** Every request the policy refused, in order. */
  readonly denied: EgressDenied[];
  /** After a trap or a timeout (or `close`): every call fails with `PoisonedError`. */
  readonly poisoned: boolean;
  /** An operation by WIT name, JSON arguments after the session, JSON result. */
  call(op: string, ...args: Json[]): Promise<Json>;
  close(): Promise<number>;

  testConnection(): Promise<Contract.ConnectionReport>;
  listOrganizations(query: Contract.OrganizationQuery): Promise<Contract.OrganizationPage>;
  getOrganization(id: string): Promise<Contract.Organization>;
  listPriorities(ticketTypeId?: string): Promise<Contract.Priority[]>;
  listStatuses(): Promise<Contract.Status[]>;
  listTicketTypes(): Promise<Contract.TicketType[]>;
  listTeams(): Promise<Contract.Team[]>;
  suggestMapping(tenants: Contract.HostTenant[]): Promise<Contract.MappingSuggestion[]>;
  validateMapping(profile: Contract.MappingProfile): Promise<Contract.ValidationReport>;
  createTicket(profile: Contract.MappingProfile, request: Contract.TicketRequest): Promise<Contract.TicketChange>;
  getTicket(id: string): Promise<Contract.Ticket>;
  listTickets(query: Contract.TicketQuery): Promise<Contract.TicketPage>;
  updateTicket(id: string, update: Contract.TicketUpdate): Promise<Contract.TicketChange>;
  addNote(id: string, note: Contract.Note): Promise<Contract.NoteAdded>;
  closeTicket(profile: Contract.MappingProfile, id: string, note?: string): Promise<Contract.TicketChange>;
  syncAlert(profile: Contract.MappingProfile, request: Contract.SyncRequest): Promise<Contract.SyncOutcome>;
  resolveAlert(profile: Contract.MappingProfile, request: Contract.ResolveRequest): Promise<Contract.ResolveOutcome>;
  ticketStates(ids: string[]): Promise<Contract.TicketState[]>;
}

export class EgressPolicy {
  static fromSettings(info: { settings_form: { key: string; kind: string; default_value: string | null }[] }, settings: [string, string][], plainHttpLoopbackOnly?: boolean): EgressPolicy;
  allow(url: string): { scheme: string; host: string; port: number };
  check(scheme: string, authority: string | undefined): { scheme: string; host: string; port: number };
  origins(): string[];
  refused: [string, Denied][];
}
export class Denied {
  kind: 'missing-host' | 'user-info' | 'unsupported-scheme' | 'plain-http-to-remote' | 'not-allowed' | 'invalid-url';
  toString(): string;
}
