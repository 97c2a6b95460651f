import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { buildManscdpBody, parseManscdp } from '../../../media-node/formats/manscdp.ts';
import type { ManscdpMessage, XmlElement } from '../../../media-node/formats/manscdp.ts';
import { RecordInfoCollector } from '../../../media-node/gb/record-info-collector.ts';
import { errorCodes, isArgusError } from '../../../src/errors.ts';

const deviceId = '34020000001320000001';
const channelId = '34020000001310000001';

/** The day's 24 recordings, three per page, as a device pages them: eight MESSAGEs. */
function pages(sn: number, total = 24, perPage = 3): ManscdpMessage[] {
  const items: XmlElement[] = Array.from({ length: total }, (_, hour) => {
    const hh = String(hour).padStart(2, '0');
    return [
      'Item',
      [
        ['DeviceID', channelId],
        ['StartTime', `2026-03-01T${hh}:00:00`],
        ['EndTime', `2026-03-01T${hh}:10:00`],
        ['Type', 'time'],
      ],
    ];
  });
  const out: ManscdpMessage[] = [];
  for (let i = 0; i < items.length; i += perPage) {
    const list = items.slice(i, i + perPage);
    const body = buildManscdpBody('Response', 'RecordInfo', sn, channelId, [
      ['SumNum', total],
      ['RecordList', list, { Num: list.length }],
    ]);
    out.push(parseManscdp(body));
  }
  return out;
}

/** A fixed shuffle (seeded), so a failure repeats. */
function shuffled<T>(list: T[], seed: number): T[] {
  const out = [...list];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('RecordInfoCollector', () => {
  it('assembles shuffled pages with duplicates into exactly SumNum recordings', async () => {
    const collector = new RecordInfoCollector({ quietMs: 60_000 });
    const all = pages(41);
    const arriving = shuffled([...all, all[2]!, all[5]!, all[2]!], 7);
    const answer = collector.collect(deviceId, async () => 41);
    await tick();
    // Pages after the last new one (duplicates) find no query waiting: they are not taken.
    for (const message of arriving) collector.add(deviceId, message);
    const { items, complete, sumNum } = await answer;
    assert.equal(complete, true);
    assert.equal(sumNum, 24);
    assert.equal(items.length, 24);
    assert.equal(new Set(items.map((i) => i.startTime)).size, 24);
  });

  it('takes pages that arrive before the query was sent', async () => {
    const collector = new RecordInfoCollector({ quietMs: 60_000 });
    const answer = collector.collect(deviceId, async () => {
      for (const message of pages(5)) collector.add(deviceId, message);
      return 5;
    });
    assert.equal((await answer).items.length, 24);
  });

  it("keeps two queries' answers apart by SN, and gives a foreign SN to the oldest", async () => {
    const collector = new RecordInfoCollector({ quietMs: 60_000 });
    const first = collector.collect(deviceId, async () => 1);
    const second = collector.collect(deviceId, async () => 2);
    await tick();
    for (const message of pages(2, 6)) collector.add(deviceId, message);
    for (const message of pages(900, 3)) collector.add(deviceId, message);
    assert.equal((await second).items.length, 6);
    assert.equal((await first).items.length, 3, 'the SN of its own went to the oldest');
  });

  it('ignores pages of another device and other messages', async () => {
    const collector = new RecordInfoCollector();
    const [message] = pages(3);
    assert.equal(collector.add(deviceId, message!), false, 'no query waits');
    const answer = collector.collect(deviceId, async () => 3);
    await tick();
    assert.equal(collector.add('34020000001320000099', message!), false);
    const keepalive = parseManscdp(buildManscdpBody('Notify', 'Keepalive', 3, deviceId));
    assert.equal(collector.add(deviceId, keepalive), false);
    for (const page of pages(3)) collector.add(deviceId, page);
    assert.equal((await answer).complete, true);
  });

  it('answers as far as it came once the device goes quiet, marked incomplete', async () => {
    const collector = new RecordInfoCollector({ quietMs: 20 });
    const answer = collector.collect(deviceId, async () => 8);
    await tick();
    const all = pages(8);
    for (const message of all.slice(0, 5)) collector.add(deviceId, message);
    const { complete, items, sumNum } = await answer;
    assert.deepEqual([complete, items.length, sumNum], [false, 15, 24]);
  });

  it('fails with UNAVAILABLE where no page comes', async () => {
    const collector = new RecordInfoCollector({ firstPageMs: 20 });
    await assert.rejects(
      collector.collect(deviceId, async () => 9),
      (error) =>
        isArgusError(error, errorCodes.UNAVAILABLE) && /did not answer/.test(error.message),
    );
  });
});
