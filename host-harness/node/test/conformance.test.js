// The conformance suite's read-only checks (host-harness/conformance/src/checks.rs), run in this
// host for both bundled connectors: contract-version, info-complete, invalid-settings,
// auth-failed, own-hosts-only, typed-errors. Each asserts what the Rust check asserts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConnector, ConnectorError } from '../src/index.js';
import { startMock, haloWasm, connectwiseWasm, CACHE_DIR } from './helpers.js';

const PROBE_ID = 'conformance-probe-not-an-id';
const UNMAPPED = 'conformance-probe-unmapped-tenant';
const WRONG_SECRET = 'conformance-wrong-secret-0000';
const ONE_PAGE = { include_inactive: false, page: 1, page_size: 1 };
const EMPTY_PROFILE = { strategy: 'create-update-close', reopen_window_hours: 24 };

/** The call's connector error, `null` on success; a host error fails the test. */
async function answer(promise) {
  try {
    await promise;
    return null;
  } catch (e) {
    if (e instanceof ConnectorError) return e;
    throw e;
  }
}

/** What the Rust suite probes per capability: arguments that cannot write anything. */
const PROBES = {
  'test-connection': [['test-connection']],
  'list-organizations': [['list-organizations', ONE_PAGE], ['get-organization', PROBE_ID]],
  lookups: [['list-priorities'], ['list-statuses'], ['list-ticket-types'], ['list-teams']],
  'suggest-mapping': [['suggest-mapping', [{ id: UNMAPPED, name: 'Conformance Probe Ltd' }]]],
  'validate-mapping': [['validate-mapping', EMPTY_PROFILE]],
  'create-ticket': [['create-ticket', EMPTY_PROFILE, { tenant_id: UNMAPPED, severity: 'low', summary: 'Conformance probe', details: 'Never created: the tenant is not mapped.' }]],
  'get-ticket': [['get-ticket', PROBE_ID]],
  'list-tickets': [['list-tickets', { scope: 'own', open_only: true, page: 1, page_size: 1 }]],
  'update-ticket': [['update-ticket', PROBE_ID, { summary: 'Conformance probe' }]],
  'add-note': [['add-note', PROBE_ID, { text: 'Conformance probe', private: true }]],
  'close-ticket': [['close-ticket', EMPTY_PROFILE, PROBE_ID, null]],
  'sync-alert': [['sync-alert', EMPTY_PROFILE, { alert: { key: 'node-conformance/probe', occurrence_id: '1', tenant_id: UNMAPPED, severity: 'low', summary: 'Conformance probe', details: 'probe' } }]],
  'resolve-alert': [['resolve-alert', EMPTY_PROFILE, { key: 'node-conformance/probe-never-synced' }]],
  'ticket-states': [['ticket-states', [PROBE_ID]]],
};

const ORGANIZATIONS_ENDPOINT = { halo: 'GET /api/client', connectwise: 'GET /company/companies' };

for (const [kind, wasm] of [['halo', haloWasm], ['connectwise', connectwiseWasm]]) {
  test(`conformance (read-only checks): ${kind}`, async (t) => {
    const mock = await startMock(kind);
    t.after(() => mock.stop());
    const connector = await loadConnector(wasm(), { cacheDir: CACHE_DIR });
    const info = connector.info();
    const settings = Object.entries(mock.settings).filter(([, v]) => v !== null && v !== '');
    const has = (c) => info.capabilities.includes(c);
    const firstRead = (s) => (has('test-connection') ? s.call('test-connection') : s.call('list-organizations', ONE_PAGE));

    await t.test('contract-version', () => {
      assert.match(info.contract_version, /^\d+\.\d+\.\d+$/);
      assert.equal(info.contract_version, connector.contractVersion, 'info.contract-version is what the component exports');
      assert.equal(connector.exportName, `psa:connector/connector@${info.contract_version}`);
    });

    await t.test('info-complete', async () => {
      for (const field of ['name', 'psa_name', 'version']) assert.notEqual(info[field].trim(), '', `info.${field}`);
      assert.ok(info.capabilities.length > 0);
      assert.equal(new Set(info.capabilities).size, info.capabilities.length, 'no capability twice');
      const keys = new Set();
      for (const f of info.settings_form) {
        for (const what of ['key', 'label', 'help']) assert.notEqual(f[what].trim(), '', `settings field ${f.key} has a ${what}`);
        assert.ok(!keys.has(f.key), `settings field ${f.key} listed twice`);
        keys.add(f.key);
      }
      assert.ok(info.settings_form.some((f) => f.kind === 'url'), 'a url settings field');
      const session = await connector.open(settings);
      t.after(() => session.close());
      for (const capability of info.capabilities) {
        for (const [op, ...args] of PROBES[capability]) {
          const error = await answer(session.call(op, ...args));
          assert.notEqual(error?.kind, 'unsupported', `info lists \`${capability}\` but ${op} answers ${error?.message}`);
        }
      }
    });

    await t.test('invalid-settings', async () => {
      const cases = [];
      for (const f of info.settings_form.filter((x) => x.required)) {
        cases.push([`without ${f.key}`, settings.filter(([k]) => k !== f.key), f.key]);
      }
      for (const f of info.settings_form.filter((x) => x.kind === 'url')) {
        cases.push([`malformed ${f.key}`, [...settings.filter(([k]) => k !== f.key), [f.key, 'not a url']], f.key]);
      }
      assert.ok(cases.length > 0);
      for (const [what, s, key] of cases) {
        let error;
        try {
          const session = await connector.open(s);
          error = await answer(firstRead(session));
          await session.close();
        } catch (e) {
          error = e;
        }
        assert.ok(error instanceof ConnectorError, `${what}: ${error}`);
        assert.equal(error.kind, 'invalid-settings', `${what}: ${error.message}`);
        assert.equal(error.json['invalid-settings'].key, key, what);
      }
    });

    await t.test('auth-failed', async () => {
      const secrets = info.settings_form.filter((f) => f.kind === 'secret').map((f) => f.key);
      assert.ok(secrets.length > 0);
      for (const key of secrets) {
        const session = await connector.open([...settings.filter(([k]) => k !== key), [key, WRONG_SECRET]]);
        const error = await answer(firstRead(session));
        await session.close();
        assert.equal(error?.kind, 'auth-failed', `a wrong ${key}: ${error?.message ?? 'succeeded'}`);
        assert.doesNotMatch(JSON.stringify(error.json), new RegExp(WRONG_SECRET), 'the secret is not in the error');
      }
    });

    await t.test('own-hosts-only', async () => {
      const session = await connector.open(settings);
      t.after(() => session.close());
      assert.equal(await answer(firstRead(session)), null);
      await session.call('list-organizations', ONE_PAGE);
      await session.call('list-statuses');
      await session.call('list-ticket-types');
      assert.deepEqual(session.denied, []);
      assert.deepEqual(session.allowed, [mock.url]);
    });

    await t.test('typed-errors', async () => {
      const faults = [
        ['garbage', 'kind=malformed'],
        ['HTML', 'kind=bad-gateway'],
        ['truncated', 'kind=truncated'],
        ['huge', 'kind=huge,bytes=20971520'],
        ['429 storm', 'kind=429,retry-after=60'],
        ['reset', 'kind=reset'],
      ];
      const seen = [];
      for (const [name, fault] of faults) {
        const faulty = await startMock(kind, { faults: [`${fault},endpoint=${ORGANIZATIONS_ENDPOINT[kind]},every`] });
        try {
          const session = await connector.open(Object.entries(faulty.settings).filter(([, v]) => v !== null));
          const result = await session.call('list-organizations', { ...ONE_PAGE, page_size: 5 }).then(
            (page) => ({ page }),
            (error) => ({ error }),
          );
          await session.close();
          assert.ok(!result.page, `${name}: accepted the answer as ${result.page?.items.length} organizations`);
          assert.ok(result.error instanceof ConnectorError, `${name}: ${result.error}`);
          seen.push(`${name} → ${result.error.kind}`);
        } finally {
          await faulty.stop();
        }
      }
      t.diagnostic(seen.join(', '));
    });
  });
}
