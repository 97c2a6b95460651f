import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DeviceQueries } from '../../../media-node/gb/device-queries.ts';
import type { ManscdpMessage } from '../../../media-node/formats/manscdp.ts';
import { isArgusError } from '../../../src/errors.ts';

const deviceId = '34020000001320000001';

function response(cmdType: string, sn: number, fields: Record<string, unknown> = {}) {
  return { root: 'Response', cmdType, sn, deviceId, fields } as ManscdpMessage;
}

describe('DeviceQueries', () => {
  it('pairs each answer with the query of its SN', async () => {
    const queries = new DeviceQueries();
    const first = queries.ask(deviceId, 'DeviceInfo', async () => 7);
    const second = queries.ask(deviceId, 'DeviceInfo', async () => 8);
    await new Promise((r) => setImmediate(r));
    assert.equal(queries.answer(deviceId, response('DeviceInfo', 8, { Model: 'b' })), true);
    assert.equal(queries.answer(deviceId, response('DeviceInfo', 7, { Model: 'a' })), true);
    assert.equal((await first).fields['Model'], 'a');
    assert.equal((await second).fields['Model'], 'b');
  });

  it('gives an answer with a foreign SN to the oldest query of its kind', async () => {
    const queries = new DeviceQueries();
    const asked = queries.ask(deviceId, 'DeviceStatus', async () => 3);
    await new Promise((r) => setImmediate(r));
    assert.equal(queries.answer(deviceId, response('DeviceStatus', 999)), true);
    assert.equal((await asked).sn, 999);
  });

  it('takes an answer that arrives before the query is sent', async () => {
    const queries = new DeviceQueries();
    const asked = queries.ask(deviceId, 'DeviceInfo', async () => {
      assert.equal(queries.answer(deviceId, response('DeviceInfo', 5)), true);
      return 5;
    });
    assert.equal((await asked).sn, 5);
  });

  it('ignores answers of other devices, kinds and roots', async () => {
    const queries = new DeviceQueries();
    const asked = queries.ask(deviceId, 'DeviceInfo', async () => 1, 50);
    await new Promise((r) => setImmediate(r));
    assert.equal(queries.answer('34020000001320000002', response('DeviceInfo', 1)), false);
    assert.equal(queries.answer(deviceId, response('DeviceStatus', 1)), false);
    assert.equal(queries.answer(deviceId, { ...response('DeviceInfo', 1), root: 'Notify' }), false);
    await assert.rejects(
      asked,
      (e) => isArgusError(e) && /did not answer within 50 ms/.test(e.message),
    );
    assert.equal(queries.answer(deviceId, response('DeviceInfo', 1)), false, 'gone after timeout');
  });

  it('passes on the failure of sending, and forgets the query', async () => {
    const queries = new DeviceQueries();
    await assert.rejects(
      queries.ask(deviceId, 'DeviceInfo', async () => {
        throw new Error('device answered 488');
      }),
      /488/,
    );
    assert.equal(queries.answer(deviceId, response('DeviceInfo', 1)), false);
  });
});
