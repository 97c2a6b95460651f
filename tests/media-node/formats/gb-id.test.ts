import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { errorCodes, isArgusError } from '../../../src/errors.ts';
import {
  gbIdDomain,
  gbIdType,
  isGbId,
  isVideoChannelType,
  withGbIdTypeAndSerial,
} from '../../../media-node/formats/gb-id.ts';

describe('gb-id', () => {
  it('isGbId accepts 20 digits only', () => {
    assert.equal(isGbId('34020000001320000001'), true);
    assert.equal(isGbId('3402000000132000000'), false);
    assert.equal(isGbId('340200000013200000012'), false);
    assert.equal(isGbId('3402000000132000000a'), false);
  });

  it('gbIdType reads digits 11 to 13 and gbIdDomain the first 10', () => {
    assert.equal(gbIdType('34020000001320000001'), 132);
    assert.equal(gbIdType('34010000001310000001'), 131);
    assert.equal(gbIdType('34020000002000000001'), 200);
    assert.equal(gbIdDomain('34020000002000000001'), '3402000000');
  });

  it('gbIdType refuses a value that is not a GB ID', () => {
    assert.throws(
      () => gbIdType('1234'),
      (e: unknown) =>
        isArgusError(e, errorCodes.VALIDATION) &&
        e.message === 'Cannot read GB ID: not 20 digits: "1234"',
    );
  });

  it('isVideoChannelType accepts both 131 and 132', () => {
    assert.deepEqual([131, 132, 111, 134, 200].map(isVideoChannelType), [
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it('withGbIdTypeAndSerial replaces the type and serial and keeps the network digit', () => {
    assert.equal(withGbIdTypeAndSerial('34020000001320000001', 131, 2), '34020000001310000002');
    assert.equal(
      withGbIdTypeAndSerial('34020000001325000001', 132, 999999),
      '34020000001325999999',
    );
    assert.throws(
      () => withGbIdTypeAndSerial('34020000001320000001', 131, 1_000_000),
      (e: unknown) => isArgusError(e, errorCodes.VALIDATION),
    );
  });
});
