import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { errorCodes, isArgusError } from '../../../src/errors.ts';
import { formatGbDate, parseGbDate } from '../../../media-node/formats/gb-date.ts';

describe('gb-date', () => {
  const instant = new Date(Date.UTC(2018, 2, 16, 10, 4, 3, 877));

  it('formatGbDate writes UTC fields by default, with milliseconds and no zone', () => {
    assert.equal(formatGbDate(instant), '2018-03-16T10:04:03.877');
  });

  it('formatGbDate writes the local time of the zone given in minutes east of UTC', () => {
    assert.equal(formatGbDate(instant, 480), '2018-03-16T18:04:03.877');
    assert.equal(
      formatGbDate(new Date(Date.UTC(2023, 11, 31, 20, 0, 0, 5)), 480),
      '2024-01-01T04:00:00.005',
    );
  });

  it('parseGbDate reads the Date header of an eXosip platform and MANSCDP times', () => {
    assert.equal(parseGbDate('2018-03-16T18:04:03.877', 480).getTime(), instant.getTime());
    assert.equal(parseGbDate('2018-03-16T10:04:03').getTime(), instant.getTime() - 877);
  });

  it('parseGbDate refuses other forms and impossible dates', () => {
    for (const text of [
      '2018-03-16 10:04:03',
      'Fri, 16 Mar 2018 10:04:03 GMT',
      '2018-02-30T00:00:00',
      '2018-03-16T24:00:00',
    ]) {
      assert.throws(
        () => parseGbDate(text),
        (e: unknown) => isArgusError(e, errorCodes.VALIDATION),
        text,
      );
    }
  });

  it('parseGbDate reads back what formatGbDate writes in any zone', () => {
    const date = fc.date({
      min: new Date('1971-01-01'),
      max: new Date('2099-12-31'),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(date, fc.integer({ min: -720, max: 840 }), (d, offset) => {
        return parseGbDate(formatGbDate(d, offset), offset).getTime() === d.getTime();
      }),
    );
  });
});
