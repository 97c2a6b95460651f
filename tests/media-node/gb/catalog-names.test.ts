/**
 * Channel names as devices encode them: GB2312 declared over GBK bytes with characters beyond
 * GB2312, GBK bytes that happen to be valid UTF-8 (前台), UTF-8 under a GB2312 declaration,
 * and the simulator's 1,000 names in both encodings. No public capture holds a GB2312 body
 * with Chinese text (../shared/fixtures/public/SOURCES.md), so these bodies are built here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import iconv from 'iconv-lite';

import {
  buildCatalogResponse,
  parseManscdp,
  readCatalogResponse,
} from '../../../media-node/formats/manscdp.ts';
import {
  catalogItem,
  channelIdAt,
  channelName,
  encodedAs,
} from '../../../simulator/catalog-fleet.ts';

const deviceId = '34020000001320000001';

function catalogText(declaration: string, names: string[]): string {
  const items = names
    .map(
      (name, i) =>
        `<Item><DeviceID>${channelIdAt(deviceId, i)}</DeviceID>` +
        `<Name>${name}</Name><Status>ON</Status></Item>`,
    )
    .join('');
  return (
    `${declaration}<Response><CmdType>Catalog</CmdType><SN>1</SN>` +
    `<DeviceID>${deviceId}</DeviceID><SumNum>${names.length}</SumNum>` +
    `<DeviceList Num="${names.length}">${items}</DeviceList></Response>`
  );
}

const namesOf = (body: Uint8Array) =>
  readCatalogResponse(parseManscdp(body)).items.map((i) => i.name);
const gbk = (text: string) => new Uint8Array(iconv.encode(text, 'gbk'));
const utf8 = (text: string) => new TextEncoder().encode(text);
const GB2312 = '<?xml version="1.0" encoding="GB2312"?>';

describe('catalog channel names', () => {
  it('catalog names with GBK-only characters under a GB2312 declaration read right', () => {
    const names = ['仓库一号摄像机', '堃喆通道2', '镕昇珺'];
    assert.deepEqual(namesOf(gbk(catalogText(GB2312, names))), names);
  });

  it('catalog names whose GBK bytes are valid UTF-8 read as GBK (前台, not "ǰ̨")', () => {
    for (const declaration of [GB2312, '<?xml version="1.0"?>', '']) {
      assert.deepEqual(namesOf(gbk(catalogText(declaration, ['前台']))), ['前台'], declaration);
    }
  });

  it('catalog names sent as UTF-8 under a GB2312 declaration or a UTF-8 one read right', () => {
    const names = ['仓库一号摄像机', '前台', '堃喆通道2', 'Caméra °1'];
    assert.deepEqual(namesOf(utf8(catalogText(GB2312, names.slice(0, 3)))), names.slice(0, 3));
    const declared = '<?xml version="1.0" encoding="UTF-8"?>';
    assert.deepEqual(namesOf(utf8(catalogText(declared, names))), names);
  });

  for (const names of ['gbk', 'utf8'] as const) {
    it(`catalog names of the simulator's 1,000 channels read right sent as ${names}`, () => {
      for (let index = 0; index < 1000; index++) {
        const item = catalogItem(deviceId, channelIdAt(deviceId, index), index, names);
        const body = buildCatalogResponse({ deviceId, sn: 1, sumNum: 1000, items: [item] });
        assert.deepEqual(namesOf(encodedAs(body, names)), [channelName(index, names)]);
      }
    });
  }
});
