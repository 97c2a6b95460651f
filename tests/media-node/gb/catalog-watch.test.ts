import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { decideCatalog, decideRegister } from '../../../src/domain/device.ts';
import { ArgusError, errorCodes } from '../../../src/errors.ts';
import { CatalogWatch } from '../../../media-node/gb/catalog-watch.ts';
import { gbHarness, type GbHarness } from './support.ts';

const deviceId = '34020000001320000001';

describe('CatalogWatch', () => {
  let h: GbHarness;
  const watches: CatalogWatch[] = [];

  const watch = (query: () => Promise<void>, answerWaitMs = 30) => {
    const created = new CatalogWatch({
      query,
      commands: h.commands,
      logger: h.logger,
      now: h.now,
      answerWaitMs,
    });
    watches.push(created);
    return created;
  };
  const until = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 10));
  };

  beforeEach(async () => {
    h = await gbHarness();
    await h.addDevice(deviceId);
    await h.commands.run(deviceId, (d) =>
      decideRegister(d, {
        nodeId: 'media-1',
        transport: 'UDP',
        remoteAddress: '192.0.2.10:5060',
        expires: 3600,
        at: h.now(),
      }),
    );
  });
  afterEach(async () => {
    watches.splice(0).forEach((w) => w.close());
    await h.close();
  });

  it('records CATALOG_ERROR where the device refuses the query', async () => {
    const refused = new ArgusError(
      errorCodes.UNAVAILABLE,
      'Cannot query catalog: device answered 488',
    );
    await watch(() => Promise.reject(refused)).query(deviceId);
    const device = await h.device(deviceId);
    assert.deepEqual(
      [device.accessState, device.accessReason],
      ['CATALOG_ERROR', 'catalog query failed: device answered 488'],
    );
  });

  it('records CATALOG_ERROR where no Catalog response follows the 200 in time', async () => {
    await watch(() => Promise.resolve()).query(deviceId);
    await until(async () => (await h.device(deviceId)).accessState === 'CATALOG_ERROR');
    assert.equal((await h.device(deviceId)).accessReason, 'no catalog answer in 0.03 s');
    assert.ok(h.logger.lines.some((l) => l.msg === 'catalog not answered'));
  });

  it('records nothing where the answer comes, even before the 200 to the query', async () => {
    let release = () => {};
    const w = watch(() => new Promise<void>((resolve) => (release = resolve)));
    const querying = w.query(deviceId);
    w.answered(deviceId);
    release();
    await querying;
    await new Promise((r) => setTimeout(r, 60));
    assert.equal((await h.device(deviceId)).accessState, 'CONNECTED');
  });

  it('a catalog received after CATALOG_ERROR makes the device CONNECTED again', async () => {
    await watch(() => Promise.reject(new Error('silent'))).query(deviceId);
    await h.commands.run(deviceId, (d) => decideCatalog(d, { channels: [], at: h.now() }));
    const device = await h.device(deviceId);
    assert.deepEqual([device.accessState, device.accessReason], ['CONNECTED', 'catalog received']);
  });
});
