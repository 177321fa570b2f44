// The seed flow for both bundled connectors, in this host, against the mocks started by
// `psa-harness`: test connection → organizations → lookups → sync-alert created → again
// noted, then unchanged → resolve → closed, each step checked against the mock's own state
// (read through the PSA's API, not through the connector).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadConnector, ConnectorError, UnknownOperationError, InvalidArgumentsError } from '../src/index.js';
import { startMock, mockTicket, haloWasm, connectwiseWasm, harnessCallJson, CACHE_DIR } from './helpers.js';

const CONNECTORS = [
  // [mock kind, component, organization searched, its name, the ticket type (Halo) / board (ConnectWise)]
  ['halo', haloWasm, 'Contoso', 'Contoso Ltd', 'Security Alert'],
  ['connectwise', connectwiseWasm, 'Contoso', 'Contoso Ltd', 'Security Alerts'],
];

for (const [kind, wasm, search, orgName, typeName] of CONNECTORS) {
  test(`seed flow: ${kind}`, async (t) => {
    const mock = await startMock(kind);
    t.after(() => mock.stop());
    const connector = await loadConnector(wasm(), { cacheDir: CACHE_DIR });
    assert.equal(connector.contractVersion, '0.2.0');
    const session = await connector.open(mock.settings);
    t.after(() => session.close());
    assert.deepEqual(session.allowed, [mock.url]);

    await t.test('test-connection: every permission passes', async () => {
      const report = await session.call('test-connection');
      assert.equal(report.ok, true, JSON.stringify(report));
      assert.ok(report.checks.length > 0);
      assert.ok(report.checks.every((c) => c.passed), JSON.stringify(report.checks));
    });

    let org;
    await t.test('list-organizations finds the seeded organization', async () => {
      const page = await session.call('list-organizations', { search, include_inactive: false });
      org = page.items.find((o) => o.name === orgName);
      assert.ok(org, `no ${orgName} in ${JSON.stringify(page.items.map((o) => o.name))}`);
      // The typed API gives jco's values for the same call.
      const typed = await session.listOrganizations({ search, includeInactive: false });
      assert.deepEqual(typed.items.map((o) => o.id), page.items.map((o) => o.id));
      assert.ok('externalIds' in typed.items[0]);
    });

    let ticketType;
    await t.test('lookups', async () => {
      const types = await session.call('list-ticket-types');
      ticketType = types.find((x) => x.name === typeName);
      assert.ok(ticketType, `no ${typeName} in ${JSON.stringify(types.map((x) => x.name))}`);
      const priorities = await session.call('list-priorities', ticketType.id);
      assert.ok(priorities.length > 0);
      const statuses = await session.call('list-statuses');
      assert.ok(statuses.some((s) => s.closed) && statuses.some((s) => !s.closed));
      assert.ok(Array.isArray(await session.call('list-teams')));
      // A trailing option parameter may be left out, as in psa_host::json.
      assert.ok((await session.call('list-priorities')).length > 0);
    });

    const profile = () => ({
      tenants: [{ tenant_id: 'node-tenant', organization_id: org.id, site_id: null }],
      ticket_type_id: ticketType.id,
      strategy: 'create-update-close',
      reopen_window_hours: 24,
    });
    const key = `node-host/${kind}/${process.pid}`;
    const alert = (occurrence, summary = 'Node host: suspicious sign-in') => ({
      alert: {
        key, occurrence_id: occurrence, tenant_id: 'node-tenant', severity: 'high',
        summary, details: 'Seen by the Node.js host test.',
      },
      link: null,
    });

    let ticketId;
    await t.test('sync-alert creates one ticket in the PSA', async () => {
      const outcome = await session.call('sync-alert', profile(), alert('evt-1'));
      assert.equal(outcome.decision, 'created', JSON.stringify(outcome));
      ticketId = outcome.ticket.id;
      const inMock = await mockTicket(mock, ticketId);
      assert.ok(inMock, `ticket ${ticketId} is not in the mock`);
      assert.equal(inMock.closed, false);
      const read = await session.call('get-ticket', ticketId);
      assert.equal(read.id, ticketId);
      assert.equal(read.organization_id, org.id);
    });

    await t.test('the same alert again is noted on the same ticket, a repeat is unchanged', async () => {
      const noted = await session.call('sync-alert', profile(), { ...alert('evt-2'), link: ticketId });
      assert.equal(noted.decision, 'noted', JSON.stringify(noted));
      assert.equal(noted.ticket.id, ticketId);
      const again = await session.call('sync-alert', profile(), { ...alert('evt-2'), link: ticketId });
      assert.equal(again.decision, 'unchanged', JSON.stringify(again));
      assert.equal(again.ticket.id, ticketId);
    });

    await t.test('resolve-alert closes the ticket in the PSA', async () => {
      const resolved = await session.call('resolve-alert', profile(), { key, link: ticketId });
      assert.equal(resolved.decision, 'closed', JSON.stringify(resolved));
      assert.equal(resolved.ticket_id, ticketId);
      assert.equal((await mockTicket(mock, ticketId)).closed, true);
      const states = await session.call('ticket-states', [ticketId]);
      assert.equal(states.length, 1);
      assert.equal(states[0].closed, true);
    });

    await t.test('the same JSON as psa-harness call --json', async () => {
      // Read-only operations whose answers do not change between two sessions.
      for (const args of [['list-statuses'], ['list-ticket-types'], ['get-ticket', ticketId]]) {
        const rust = harnessCallJson(wasm(), mock.settings, args);
        const node = await session.call(...args);
        assert.deepEqual({ ok: node }, rust, `call ${args.join(' ')}`);
      }
      const rustErr = harnessCallJson(wasm(), mock.settings, ['get-ticket', '987654321']);
      const nodeErr = await session.call('get-ticket', '987654321').catch((e) => e);
      assert.ok(nodeErr instanceof ConnectorError);
      assert.deepEqual({ err: nodeErr.json }, rustErr);
      assert.equal(nodeErr.kind, 'not-found');
    });

    await t.test('unknown operations and arguments that do not fit are host errors', async () => {
      await assert.rejects(session.call('drop-database'), UnknownOperationError);
      const error = await session.call('get-ticket', 42).catch((e) => e);
      assert.ok(error instanceof InvalidArgumentsError, String(error));
      assert.match(error.message, /id: expected a string, got a number/);
      assert.deepEqual(error.toJSON(), { 'host-error': error.message, kind: 'invalid-arguments' });
      // Neither poisons the session.
      assert.equal(session.poisoned, false);
      assert.equal((await session.call('get-ticket', ticketId)).id, ticketId);
    });

    assert.deepEqual(session.denied, [], 'no request was denied');
  });
}
