import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';

import {
  CATALOG_MAX_PENDING_PER_DEVICE,
  CatalogCollector,
} from '../../../media-node/gb/catalog-collector.ts';
import type { DeviceCommands } from '../../../media-node/gb/device-commands.ts';
import type { CatalogResponse } from '../../../media-node/formats/manscdp.ts';
import { recordingLogger } from '../support/recording-logger.ts';

const deviceId = '34020000001320000001';
const otherId = '34020000001320000002';

/** One page of an answer that never completes: SumNum 4096, one item. */
const page = (sn: number, device = deviceId): CatalogResponse => ({
  deviceId: device,
  sn,
  sumNum: 4096,
  items: [
    { deviceId: `3402000000131${String(sn).padStart(7, '0')}`, name: `c${sn}`, status: 'ON' },
  ],
});

describe('CatalogCollector with a device that opens answer after answer', () => {
  const logger = recordingLogger();
  const recorded: string[] = [];
  const collector = new CatalogCollector({
    commands: {
      run: async (id: string) => {
        recorded.push(id);
        return [];
      },
    } as unknown as DeviceCommands,
    logger,
    now: () => new Date(),
    waitMs: 60_000,
  });
  afterEach(() => collector.close());

  it(`keeps ${CATALOG_MAX_PENDING_PER_DEVICE} answers per device, drops the oldest`, async () => {
    await collector.add(page(1, otherId));
    for (let sn = 1; sn <= 1000; sn++) await collector.add(page(sn));

    const abandoned = logger.lines.filter((l) => l.msg === 'catalog abandoned');
    assert.equal(abandoned.length, 5, 'a few lines, not one per answer');
    assert.deepEqual(abandoned[0]?.fields, {
      deviceId,
      sn: 1,
      received: 1,
      sumNum: 4096,
      dropped: 1,
    });
    assert.ok(
      abandoned.every((l) => l.fields['deviceId'] === deviceId),
      'the other device keeps its answer',
    );
    assert.deepEqual(recorded, [], 'an abandoned answer is not recorded');

    // The newest answer is still assembled: its last page completes it.
    await collector.add({ ...page(1000), sumNum: 1 });
    assert.deepEqual(recorded, [deviceId]);
  });
});
