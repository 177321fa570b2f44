// Where a connector session may send HTTP requests: the same rules as the wasmtime host
// (host-harness/host/src/policy.rs).
//
// The allow-list is derived from the session's settings, not from the component: every field of
// the connector's settings form whose kind is `url` contributes exactly the scheme, host and port
// of its value (the port defaulting by scheme; a field's default value when the setting is
// absent or empty). Everything else is denied. Hosts are compared exactly (after lower-casing
// and IP normalisation), so `127.1`, `evil.com.` or `user@host` forms in a request never match
// an allowed origin. Plain `http` can be restricted to loopback hosts (the default).

import net from 'node:net';

const DEFAULT_PORT = { http: 80, https: 443 };

/** Why a URL or a request was refused (the messages of policy.rs's `Denied`). */
export class Denied {
  /** @param {'missing-host'|'user-info'|'unsupported-scheme'|'plain-http-to-remote'|'not-allowed'|'invalid-url'} kind */
  constructor(kind, detail = '') {
    this.kind = kind;
    this.detail = detail;
  }
  toString() {
    switch (this.kind) {
      case 'missing-host': return 'the URL has no host';
      case 'user-info': return 'URLs with user information are not allowed';
      case 'unsupported-scheme': return `scheme \`${this.detail}\` is not allowed`;
      case 'plain-http-to-remote': return `plain http is allowed only to loopback hosts, not to \`${this.detail}\`; use https`;
      case 'not-allowed': return `${this.detail} is not in the connector's allow-list`;
      default: return `not a valid URL: ${this.detail}`;
    }
  }
}

/** `scheme://host:port`, IPv6 hosts in brackets (the Rust host's `Origin` display). */
export function originString({ scheme, host, port }) {
  return host.includes(':') ? `${scheme}://[${host}]:${port}` : `${scheme}://${host}:${port}`;
}

/** Whether an origin's host is a loopback address or `localhost`. */
export function isLoopback(host) {
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) return canonicalIpv6(host) === '::1';
  return host === 'localhost';
}

function canonicalIpv6(host) {
  // WHATWG URL serialises IPv6 in RFC 5952 form, as Rust's `Ipv6Addr` does.
  return new URL(`http://[${host}]/`).hostname.slice(1, -1);
}

export class EgressPolicy {
  /** @param {boolean} plainHttpLoopbackOnly */
  constructor(plainHttpLoopbackOnly = true) {
    /** @type {{scheme: string, host: string, port: number}[]} */
    this.allowed = [];
    /** @type {[string, Denied][]} settings keys whose values were not added, and why */
    this.refused = [];
    this.plainHttpLoopbackOnly = plainHttpLoopbackOnly;
  }

  /**
   * The policy of a session: the origins of the values of the `url` fields of `info`'s
   * settings form.
   * @param {{settings_form: {key: string, kind: string, default_value: string|null}[]}} info JSON convention
   * @param {[string, string][]} settings
   */
  static fromSettings(info, settings, plainHttpLoopbackOnly = true) {
    const policy = new EgressPolicy(plainHttpLoopbackOnly);
    for (const field of info.settings_form.filter((f) => f.kind === 'url')) {
      let value = [...settings].reverse().find(([k, v]) => k === field.key && v.trim() !== '')?.[1]?.trim();
      if (value === undefined && field.default_value && field.default_value.trim() !== '') value = field.default_value;
      if (value === undefined) continue;
      try {
        policy.allow(value);
      } catch (e) {
        if (!(e instanceof Denied)) throw e;
        policy.refused.push([field.key, e]);
      }
    }
    return policy;
  }

  /** Adds the origin of `url` to the allow-list and returns it; throws `Denied`. */
  allow(url) {
    let parsed;
    try {
      parsed = new URL(url);
    } catch (e) {
      throw new Denied('invalid-url', e.message);
    }
    if (parsed.username !== '' || parsed.password !== '') throw new Denied('user-info');
    const scheme = parsed.protocol.slice(0, -1).toLowerCase();
    if (!(scheme in DEFAULT_PORT)) throw new Denied('unsupported-scheme', scheme);
    if (parsed.hostname === '') throw new Denied('missing-host');
    let host = parsed.hostname.toLowerCase();
    if (host.startsWith('[')) host = host.slice(1, -1);
    const port = parsed.port === '' ? DEFAULT_PORT[scheme] : Number(parsed.port);
    const origin = { scheme, host, port };
    this.#checkPlainHttp(origin);
    if (!this.allowed.some((o) => sameOrigin(o, origin))) this.allowed.push(origin);
    return origin;
  }

  /** The allowed origins, as `scheme://host:port`. */
  origins() {
    return this.allowed.map(originString);
  }

  /**
   * Checks an outgoing request (wasi:http's scheme and authority). Returns its origin when it
   * is allowed; throws `Denied` otherwise.
   * @param {string} scheme `http`, `https` or another
   * @param {string|undefined} authority `host[:port]`
   */
  check(scheme, authority) {
    const origin = requestOrigin(scheme, authority);
    this.#checkPlainHttp(origin);
    if (!this.allowed.some((o) => sameOrigin(o, origin))) throw new Denied('not-allowed', originString(origin));
    return origin;
  }

  #checkPlainHttp(origin) {
    if (this.plainHttpLoopbackOnly && origin.scheme === 'http' && !isLoopback(origin.host)) {
      throw new Denied('plain-http-to-remote', origin.host);
    }
  }

  toJSON() {
    return { allowed: this.allowed, plainHttpLoopbackOnly: this.plainHttpLoopbackOnly };
  }

  static fromJSON(o) {
    const p = new EgressPolicy(o.plainHttpLoopbackOnly);
    p.allowed = o.allowed;
    return p;
  }
}

function sameOrigin(a, b) {
  return a.scheme === b.scheme && a.host === b.host && a.port === b.port;
}

/**
 * The origin a request addresses, normalised the same way as allow-list entries but without
 * lenient parsing: the host must already be in canonical form to match.
 */
export function requestOrigin(scheme, authority) {
  scheme = (scheme ?? '').toLowerCase();
  if (!(scheme in DEFAULT_PORT)) throw new Denied('unsupported-scheme', scheme);
  if (!authority) throw new Denied('missing-host');
  if (authority.includes('@')) throw new Denied('user-info');
  let rawHost;
  let rawPort;
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    if (end < 0) throw new Denied('invalid-url', 'unclosed IPv6 bracket');
    rawHost = authority.slice(1, end);
    const rest = authority.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) throw new Denied('invalid-url', 'bad authority');
    rawPort = rest === '' ? undefined : rest.slice(1);
  } else {
    const colon = authority.lastIndexOf(':');
    rawHost = colon < 0 ? authority : authority.slice(0, colon);
    rawPort = colon < 0 ? undefined : authority.slice(colon + 1);
  }
  if (rawHost === '') throw new Denied('missing-host');
  let host;
  if (net.isIPv6(rawHost)) host = canonicalIpv6(rawHost);
  else host = rawHost.toLowerCase();
  let port = DEFAULT_PORT[scheme];
  if (rawPort !== undefined && rawPort !== '') {
    if (!/^[0-9]{1,5}$/.test(rawPort) || Number(rawPort) > 65535) throw new Denied('invalid-url', 'bad port');
    port = Number(rawPort);
  }
  return { scheme, host, port };
}
