import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { fuzzRuns } from '../../support/fuzz.ts';
import iconv from 'iconv-lite';

import { errorCodes, isArgusError } from '../../../src/errors.ts';
import { CATALOG_MAX_ITEMS, MANSCDP_MAX_BODY_BYTES } from '../../../media-node/formats/limits.ts';
import {
  buildCatalogResponse,
  buildDeviceInfoResponse,
  buildKeepalive,
  buildQuery,
  decodeManscdpBody,
  mergeCatalogPages,
  parseManscdp,
  readCatalogResponse,
} from '../../../media-node/formats/manscdp.ts';
import type { CatalogItem } from '../../../media-node/formats/manscdp.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);
const gb2312 = (s: string) => new Uint8Array(iconv.encode(s, 'gb2312'));

function throwsCode(fn: () => unknown, code: string, message?: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isArgusError(error, code as typeof errorCodes.MANSCDP_MALFORMED), String(error));
    if (message !== undefined) assert.equal(error.message, message);
    return true;
  });
}

function catalogXml(declaration: string, names: string[]): string {
  const items = names
    .map(
      (name, i) =>
        `<Item>\r\n<DeviceID>3402000000131000000${i + 1}</DeviceID>\r\n` +
        `<Name>${name}</Name>\r\n<Status>ON</Status>\r\n</Item>\r\n`,
    )
    .join('');
  return (
    `${declaration}\r\n<Response>\r\n<CmdType>Catalog</CmdType>\r\n<SN>17</SN>\r\n` +
    `<DeviceID>34020000001320000001</DeviceID>\r\n<SumNum>${names.length}</SumNum>\r\n` +
    `<DeviceList Num="${names.length}">\r\n${items}</DeviceList>\r\n</Response>\r\n`
  );
}

const CHINESE_NAMES = ['大门口', '停车场东北角', '仓库'];

// The eXosip IPC's catalog from gb28181-solution-sip/invite-live-catalog (frame 9).
const EXOSIP_CATALOG = `<?xml version="1.0"?>
<Response>
<CmdType>Catalog</CmdType>
<SN>248</SN>
<DeviceID>34010000001310000001</DeviceID>
<SumNum>1</SumNum>
<DeviceList Num="1">
<Item>
<DeviceID>34010000001310000001</DeviceID>
<Name>Camera01</Name>
<Manufacturer>null</Manufacturer>
<Model>null</Model>
<Owner>null</Owner>
<CivilCode>null</CivilCode>
<Address>null</Address>
<Parental>0</Parental>
<SafetyWay>0</SafetyWay>
<RegisterWay>1</RegisterWay>
<Secrecy>0</Secrecy>
<IPAddress>192.168.230.100</IPAddress>
<Port>5060</Port>
<Status>ON</Status>
</Item>
</DeviceList>
</Response>
`;

describe('decodeManscdpBody', () => {
  it('decodeManscdpBody reads a GB2312 body with Chinese channel names', () => {
    const body = gb2312(catalogXml('<?xml version="1.0" encoding="GB2312"?>', CHINESE_NAMES));
    const catalog = readCatalogResponse(parseManscdp(body));
    assert.deepEqual(
      catalog.items.map((i) => i.name),
      CHINESE_NAMES,
    );
  });

  it('decodeManscdpBody reads UTF-8 sent under a GB2312 declaration', () => {
    const body = utf8(catalogXml('<?xml version="1.0" encoding="GB2312"?>', CHINESE_NAMES));
    const catalog = readCatalogResponse(parseManscdp(body));
    assert.deepEqual(
      catalog.items.map((i) => i.name),
      CHINESE_NAMES,
    );
  });

  it('decodeManscdpBody reads GB2312 bytes under a UTF-8 declaration or none', () => {
    for (const declaration of [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<?xml version="1.0"?>',
      '',
    ]) {
      const text = decodeManscdpBody(gb2312(catalogXml(declaration, CHINESE_NAMES)));
      assert.ok(text.includes('停车场东北角'), declaration);
    }
  });

  it('decodeManscdpBody drops a UTF-8 byte order mark', () => {
    const body = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('<Notify>仓库</Notify>')]);
    assert.equal(decodeManscdpBody(body), '<Notify>仓库</Notify>');
  });
});

describe('parseManscdp', () => {
  it('parseManscdp reads root, CmdType, SN and DeviceID, keeping leading zeros', () => {
    const m = parseManscdp(buildKeepalive(43, '01010000001310000001'));
    assert.deepEqual(
      {
        root: m.root,
        cmdType: m.cmdType,
        sn: m.sn,
        deviceId: m.deviceId,
        status: m.fields['Status'],
      },
      {
        root: 'Notify',
        cmdType: 'Keepalive',
        sn: 43,
        deviceId: '01010000001310000001',
        status: 'OK',
      },
    );
  });

  it('parseManscdp names a missing SN and refuses an unknown root', () => {
    throwsCode(
      () =>
        parseManscdp(utf8('<Notify><CmdType>Keepalive</CmdType><DeviceID>1</DeviceID></Notify>')),
      errorCodes.MANSCDP_MALFORMED,
      'Cannot parse MANSCDP: missing SN',
    );
    throwsCode(
      () => parseManscdp(utf8('<Foo><CmdType>A</CmdType></Foo>')),
      errorCodes.MANSCDP_MALFORMED,
    );
    throwsCode(() => parseManscdp(utf8('not xml at all')), errorCodes.MANSCDP_MALFORMED);
  });

  it('parseManscdp refuses a DOCTYPE entity bomb without expanding it', () => {
    const levels = Array.from(
      { length: 9 },
      (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`,
    );
    const bomb =
      `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol0 "lol">\n${levels.join('\n')}\n]>\n` +
      '<Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>&lol9;</DeviceID></Notify>';
    throwsCode(
      () => parseManscdp(utf8(bomb)),
      errorCodes.MANSCDP_MALFORMED,
      'Cannot parse MANSCDP: DOCTYPE and ENTITY are not allowed',
    );
  });

  it('parseManscdp leaves unknown entities as written and replaces the predefined ones', () => {
    const m = parseManscdp(
      utf8(
        '<Notify><CmdType>Alarm</CmdType><SN>1</SN><DeviceID>&xxe;</DeviceID>' +
          '<Name>A&amp;B &#x4e2d;</Name></Notify>',
      ),
    );
    assert.equal(m.deviceId, '&xxe;');
    assert.equal(m.fields['Name'], 'A&B 中');
  });

  it('parseManscdp accepts a body of MANSCDP_MAX_BODY_BYTES and refuses one byte more', () => {
    const keepalive = buildKeepalive(1, '34020000001320000001');
    const atLimit = new Uint8Array(MANSCDP_MAX_BODY_BYTES).fill(0x20);
    atLimit.set(keepalive);
    assert.equal(parseManscdp(atLimit).cmdType, 'Keepalive');
    const past = new Uint8Array(MANSCDP_MAX_BODY_BYTES + 1).fill(0x20);
    past.set(keepalive);
    throwsCode(
      () => parseManscdp(past),
      errorCodes.MANSCDP_TOO_LARGE,
      `Cannot parse MANSCDP: body too large: ${MANSCDP_MAX_BODY_BYTES + 1} > ` +
        `${MANSCDP_MAX_BODY_BYTES} bytes`,
    );
  });

  it('parseManscdp throws only ArgusError on random bytes and random XML', () => {
    const tag = fc.constantFrom(
      'Notify',
      'Response',
      'CmdType',
      'SN',
      'DeviceID',
      'Item',
      'DeviceList',
    );
    const xmlish = fc
      .array(
        fc.oneof(
          tag.map((t) => `<${t}>`),
          tag.map((t) => `</${t}>`),
          fc.string({ maxLength: 8 }),
        ),
        { maxLength: 20 },
      )
      .map((parts) => utf8(parts.join('')));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }), xmlish), (body) => {
        try {
          parseManscdp(body);
        } catch (error) {
          return isArgusError(error);
        }
        return true;
      }),
      { numRuns: fuzzRuns(3000) },
    );
  });
});

function channels(count: number): CatalogItem[] {
  return Array.from({ length: count }, (_, i) => ({
    deviceId: `340200000013100000${String(i + 1).padStart(2, '0')}`,
    name: `通道${i + 1}`,
    status: i % 2 === 0 ? 'ON' : 'OFF',
    parentId: '34020000001320000001',
    longitude: 116.397,
    latitude: 39.916,
  }));
}

describe('readCatalogResponse', () => {
  it('readCatalogResponse leaves out the literal "null" fields of an eXosip device', () => {
    const catalog = readCatalogResponse(parseManscdp(utf8(EXOSIP_CATALOG)));
    assert.deepEqual(catalog, {
      deviceId: '34010000001310000001',
      sn: 248,
      sumNum: 1,
      items: [{ deviceId: '34010000001310000001', name: 'Camera01', status: 'ON', parental: 0 }],
    });
  });

  it('readCatalogResponse reads what buildCatalogResponse writes', () => {
    const page = { deviceId: '34020000001320000001', sn: 5, sumNum: 3, items: channels(3) };
    const read = readCatalogResponse(parseManscdp(buildCatalogResponse(page)));
    assert.deepEqual(read, { ...page, items: page.items.map((i) => ({ ...i, parental: 0 })) });
  });

  it('mergeCatalogPages completes a catalog split across messages once SumNum items came', () => {
    const all = channels(7);
    const pages = [all.slice(0, 4), all.slice(4)].map((items) =>
      readCatalogResponse(
        parseManscdp(
          buildCatalogResponse({ deviceId: '34020000001320000001', sn: 9, sumNum: 7, items }),
        ),
      ),
    );
    assert.equal(mergeCatalogPages(pages.slice(0, 1)).complete, false);
    const merged = mergeCatalogPages([...pages, pages[0] ?? pages[1]!]);
    assert.equal(merged.complete, true);
    assert.deepEqual(
      merged.items.map((i) => i.deviceId),
      all.map((i) => i.deviceId),
    );
  });

  it('readCatalogResponse accepts one Item as an object and an empty DeviceList', () => {
    const one = readCatalogResponse({
      root: 'Response',
      cmdType: 'Catalog',
      sn: 1,
      deviceId: 'd',
      fields: { SumNum: '1', DeviceList: { '@_Num': '1', Item: { DeviceID: 'c1', Name: 'x' } } },
    });
    assert.deepEqual(one.items, [{ deviceId: 'c1', name: 'x', status: '' }]);
    const empty = readCatalogResponse(
      parseManscdp(
        utf8(
          '<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>d</DeviceID>' +
            '<SumNum>0</SumNum><DeviceList Num="0"></DeviceList></Response>',
        ),
      ),
    );
    assert.deepEqual(empty.items, []);
  });

  it('readCatalogResponse accepts SumNum at CATALOG_MAX_ITEMS and refuses one more', () => {
    const body = (sumNum: number) =>
      utf8(
        '<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>d</DeviceID>' +
          `<SumNum>${sumNum}</SumNum></Response>`,
      );
    assert.equal(
      readCatalogResponse(parseManscdp(body(CATALOG_MAX_ITEMS))).sumNum,
      CATALOG_MAX_ITEMS,
    );
    throwsCode(
      () => readCatalogResponse(parseManscdp(body(CATALOG_MAX_ITEMS + 1))),
      errorCodes.MANSCDP_TOO_LARGE,
    );
  });

  it('readCatalogResponse refuses another CmdType and an Item without DeviceID', () => {
    throwsCode(
      () => readCatalogResponse(parseManscdp(buildKeepalive(1, 'd'))),
      errorCodes.MANSCDP_MALFORMED,
      'Cannot read Catalog: CmdType is Keepalive',
    );
    const noId =
      '<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>d</DeviceID><SumNum>1</SumNum>' +
      '<DeviceList Num="1"><Item><Name>x</Name></Item></DeviceList></Response>';
    throwsCode(
      () => readCatalogResponse(parseManscdp(utf8(noId))),
      errorCodes.MANSCDP_MALFORMED,
      'Cannot read Catalog: Item 1 has no DeviceID',
    );
  });
});

describe('MANSCDP builders', () => {
  it('buildQuery declares GB2312 and writes ASCII only', () => {
    const body = buildQuery('Catalog', 248, '34010000001310000001');
    assert.ok(body.every((b) => b < 0x80));
    const text = new TextDecoder().decode(body);
    assert.match(
      text,
      new RegExp(
        String.raw`^<\?xml version="1\.0" encoding="GB2312"\?>\r\n<Query>\r\n` +
          String.raw`<CmdType>Catalog<\/CmdType>\r\n<SN>248<\/SN>\r\n`,
      ),
    );
    const m = parseManscdp(body);
    assert.deepEqual(
      [m.root, m.cmdType, m.sn, m.deviceId],
      ['Query', 'Catalog', 248, '34010000001310000001'],
    );
  });

  it('buildDeviceInfoResponse writes a DeviceInfo response with Result OK', () => {
    const info = {
      deviceName: '模拟摄像机',
      manufacturer: 'Argus',
      model: 'SIM',
      firmware: '1.0',
      channels: 2,
    };
    const m = parseManscdp(buildDeviceInfoResponse(3, '34020000001320000001', info));
    assert.deepEqual(
      [m.cmdType, m.fields['Result'], m.fields['DeviceName'], m.fields['Channel']],
      ['DeviceInfo', 'OK', '模拟摄像机', '2'],
    );
  });
});
