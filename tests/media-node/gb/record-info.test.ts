import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { buildManscdpBody, parseManscdp } from '../../../media-node/formats/manscdp.ts';
import type { XmlElement } from '../../../media-node/formats/manscdp.ts';
import {
  parseDeviceTime,
  readRecordInfoPage,
  recordInfoQuery,
  RECORD_INFO_MAX_ITEMS,
} from '../../../media-node/gb/record-info.ts';
import { errorCodes, isArgusError } from '../../../src/errors.ts';

const channelId = '34020000001310000001';

function page(sumNum: number | string, items: XmlElement[]) {
  const body = buildManscdpBody('Response', 'RecordInfo', 17, channelId, [
    ['Name', 'Camera'],
    ['SumNum', sumNum],
    ['RecordList', items, { Num: items.length }],
  ]);
  return parseManscdp(body);
}

const item = (start: string, end: string, extra: XmlElement[] = []): XmlElement => [
  'Item',
  [['DeviceID', channelId], ['Name', '录像'], ['StartTime', start], ['EndTime', end], ...extra],
];

describe('RecordInfo pages (GB/T 28181-2016 §A.2.6.6)', () => {
  it('reads SumNum and each Item, GBK names included', () => {
    const read = readRecordInfoPage(
      page(2, [
        item('2026-03-01T08:00:00', '2026-03-01T08:10:00', [
          ['FilePath', '/a.ps'],
          ['Type', 'time'],
          ['FileSize', 1024],
        ]),
        item('2026-03-01T09:00:00', '2026-03-01T09:10:00', [['Type', 'null']]),
      ]),
    );
    assert.equal(read.sumNum, 2);
    assert.equal(read.sn, 17);
    assert.equal(read.items.length, 2);
    assert.equal(read.items[0]?.name, '录像');
    assert.equal(read.items[0]?.filePath, '/a.ps');
    assert.equal(read.items[0]?.fileSize, 1024);
    assert.equal(read.items[1]?.type, '', 'a null literal is empty');
    assert.equal(read.items[1]?.fileSize, undefined);
  });

  it('reads an answer with no recordings', () => {
    const read = readRecordInfoPage(page(0, []));
    assert.deepEqual([read.sumNum, read.items.length], [0, 0]);
  });

  it('refuses a page without SumNum, or an item without its times', () => {
    const refused = [page('', []), page(1, [item('', '2026-03-01T08:10:00')])];
    for (const message of refused) {
      assert.throws(
        () => readRecordInfoPage(message),
        (error) => isArgusError(error, errorCodes.MANSCDP_MALFORMED),
      );
    }
  });

  it('refuses a SumNum past RECORD_INFO_MAX_ITEMS, and takes one at it', () => {
    assert.equal(readRecordInfoPage(page(RECORD_INFO_MAX_ITEMS, [])).sumNum, RECORD_INFO_MAX_ITEMS);
    assert.throws(
      () => readRecordInfoPage(page(RECORD_INFO_MAX_ITEMS + 1, [])),
      (error) => isArgusError(error, errorCodes.MANSCDP_TOO_LARGE),
    );
  });

  it('asks for the range in the device zone, and reads device times back in it', () => {
    const start = new Date('2026-03-01T00:00:00Z');
    const end = new Date('2026-03-01T01:00:00Z');
    const children = recordInfoQuery(start, end, 480);
    assert.deepEqual(children.slice(0, 2), [
      ['StartTime', '2026-03-01T08:00:00'],
      ['EndTime', '2026-03-01T09:00:00'],
    ]);
    assert.equal(parseDeviceTime('2026-03-01T08:00:00', 480).getTime(), start.getTime());
    assert.equal(parseDeviceTime('2026-03-01 09:00:00', 480).getTime(), end.getTime());
  });
});
