// Unit tests: the egress policy (the cases of policy.rs's tests), the JSON convention, the
// memory cap's rewriting, and that generated/ matches wit/.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { EgressPolicy, Denied, requestOrigin } from '../src/policy.js';
import { jsonToJs, jsToJson, paramsFromJson, ConversionError } from '../src/convert.js';
import { capMemories } from '../src/memory.js';
import { schema } from '../src/schema.js';
import { generate } from '../scripts/generate.js';

const info = {
  settings_form: [
    { key: 'base_url', kind: 'url', default_value: null },
    { key: 'auth_url', kind: 'url', default_value: 'https://auth.example.com' },
    { key: 'client_id', kind: 'text', default_value: null },
  ],
};

test('policy: origins come from the url settings (and defaults), exactly', () => {
  const p = EgressPolicy.fromSettings(info, [['base_url', 'https://Halo.Example.com/api'], ['client_id', 'https://x.example.com']]);
  assert.deepEqual(p.origins(), ['https://halo.example.com:443', 'https://auth.example.com:443']);
  assert.equal(p.check('https', 'halo.example.com').port, 443);
  assert.equal(p.check('https', 'HALO.example.com:443').host, 'halo.example.com');
  for (const [scheme, authority] of [['https', 'x.example.com'], ['http', 'halo.example.com'], ['https', 'halo.example.com:8443'], ['https', 'halo.example.com.'], ['https', 'user@halo.example.com'], ['ftp', 'halo.example.com']]) {
    assert.throws(() => p.check(scheme, authority), Denied, `${scheme}://${authority}`);
  }
});

test('policy: plain http only to loopback, IP forms normalised', () => {
  const p = EgressPolicy.fromSettings(info, [['base_url', 'http://127.0.0.1:8080']]);
  assert.ok(p.origins().includes('http://127.0.0.1:8080'));
  assert.throws(() => p.check('http', '127.1:8080'), Denied, '127.1 is not canonical in a request');
  const remote = EgressPolicy.fromSettings(info, [['base_url', 'http://halo.example.com']]);
  assert.equal(remote.refused.length, 1);
  assert.equal(remote.refused[0][1].kind, 'plain-http-to-remote');
  assert.match(remote.refused[0][1].toString(), /plain http is allowed only to loopback hosts, not to `halo.example.com`; use https/);
  const allowAll = EgressPolicy.fromSettings(info, [['base_url', 'http://halo.example.com']], false);
  assert.deepEqual(allowAll.refused, []);
  const v6 = EgressPolicy.fromSettings(info, [['base_url', 'http://[::1]:9000']]);
  assert.equal(v6.check('http', '[0:0:0:0:0:0:0:1]:9000').host, '::1');
  assert.ok(v6.origins().includes('http://[::1]:9000'));
  assert.throws(() => EgressPolicy.fromSettings(info, []).allow('https://u:p@x.example.com'), (e) => e.kind === 'user-info');
  assert.equal(requestOrigin('https', 'a.example.com:8443').port, 8443);
});

test('convert: the JSON convention round-trips through jco values', () => {
  const profile = schema.types['mapping-profile'] && { k: 'ref', name: 'mapping-profile' };
  const js = jsonToJs(schema, profile, { strategy: 'create-only', reopen_window_hours: 4, tenants: [{ tenant_id: 't', organization_id: '1', site_id: null }] });
  assert.equal(js.reopenWindowHours, 4);
  assert.deepEqual(js.tenants, [{ tenantId: 't', organizationId: '1', siteId: undefined }]);
  assert.deepEqual(js.priorities, [], 'a missing list is empty');
  assert.equal(js.ticketTypeId, undefined, 'a missing option is none');
  const back = jsToJson(schema, profile, js);
  assert.equal(back.ticket_type_id, null);
  assert.deepEqual(back.rules, []);
  const err = { k: 'ref', name: 'connector-error' };
  assert.deepEqual(jsonToJs(schema, err, { 'invalid-settings': { key: 'base_url', message: 'm' } }), { tag: 'invalid-settings', val: { key: 'base_url', message: 'm' } });
  assert.deepEqual(jsToJson(schema, err, { tag: 'rate-limited', val: 30 }), { 'rate-limited': 30 });
  assert.throws(() => jsonToJs(schema, profile, { strategy: 'sometimes', reopen_window_hours: 1 }), /strategy: expected one of/);
  assert.throws(() => jsonToJs(schema, profile, { strategy: 'create-only', reopen_window_hours: -1 }), /reopen_window_hours/);
  assert.throws(() => jsonToJs(schema, profile, { strategy: 'create-only', reopen_window_hours: 1, extra: 1 }), /unknown field `extra`/);
  assert.throws(() => jsonToJs(schema, profile, { reopen_window_hours: 1 }), /strategy: missing field/);
  const fn = schema.functions['session.list-priorities'];
  assert.deepEqual(paramsFromJson(schema, 'list-priorities', fn, []), [undefined], 'a trailing option may be left out');
  assert.throws(() => paramsFromJson(schema, 'get-ticket', schema.functions['session.get-ticket'], []), ConversionError);
});

test('memory cap: every defined memory gets the maximum, imported ones are left alone', async () => {
  const bytes = await parse('(module (memory (export "m") 1 100) (func (export "f")))');
  const { bytes: capped, memories } = capMemories(bytes, 10 * 65536);
  assert.deepEqual(memories, [{ minPages: 1, maxPages: 10 }]);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(capped));
  const memory = instance.exports.m;
  assert.equal(memory.grow(9), 1);
  assert.throws(() => memory.grow(1), RangeError, 'growing past the cap fails');
  const grow = await parse('(module (memory (export "m") 1) (func (export "g") (param i32) (result i32) local.get 0 memory.grow))');
  const g = new WebAssembly.Instance(new WebAssembly.Module(capMemories(grow, 4 * 65536).bytes)).exports.g;
  assert.equal(g(3), 1);
  assert.equal(g(1), -1, 'memory.grow in wasm returns -1 past the cap');
  const imported = await parse('(module (import "e" "m" (memory 1)))');
  assert.deepEqual(capMemories(imported, 65536).memories, []);
});

test('generated/ is what scripts/generate.js makes from wit/ (run `npm run generate`)', async () => {
  const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'generated');
  const files = await generate();
  for (const [name, text] of Object.entries(files)) {
    assert.equal(fs.readFileSync(path.join(root, name), 'utf8'), text, `generated/${name} is stale`);
  }
});
