import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { UsageMeter } from '../../../media-node/media/usage-meter.ts';

/** A meter on a clock and an RTP byte total the test moves by hand. */
function meter() {
  const clock = { ms: 1_000_000, bytesIn: 0 };
  const usage = new UsageMeter({ now: () => clock.ms, bytesIn: () => clock.bytesIn });
  return { clock, usage };
}

describe('UsageMeter', () => {
  it('takes an interval with bytes in and each viewer bytes and seconds', () => {
    const { clock, usage } = meter();
    const flv = usage.openViewer('HTTP_FLV');
    clock.ms += 20_000;
    const ws = usage.openViewer('WS_FLV');
    clock.bytesIn = 5000;
    flv.add(1200);
    ws.add(300);
    clock.ms += 40_000;

    assert.deepEqual(usage.take(), {
      bytesIn: 5000,
      viewers: [
        { protocol: 'HTTP_FLV', bytesOut: 1200, seconds: 60 },
        { protocol: 'WS_FLV', bytesOut: 300, seconds: 40 },
      ],
      from: 1_000_000,
      to: 1_060_000,
    });
  });

  it('starts the next interval where the last ended, counting only what flowed since', () => {
    const { clock, usage } = meter();
    const flv = usage.openViewer('HTTP_FLV');
    clock.bytesIn = 100;
    flv.add(10);
    clock.ms += 60_000;
    usage.take();

    clock.bytesIn = 250;
    flv.add(7);
    clock.ms += 60_000;
    assert.deepEqual(usage.take(), {
      bytesIn: 150,
      viewers: [{ protocol: 'HTTP_FLV', bytesOut: 7, seconds: 60 }],
      from: 1_060_000,
      to: 1_120_000,
    });
    assert.equal(usage.bytesOut, 17);
  });

  it('gives a final interval up to the take after a viewer left, then forgets the viewer', () => {
    const { clock, usage } = meter();
    const hls = usage.openViewer('HTTP_HLS');
    hls.add(4000);
    clock.ms += 12_500;
    hls.close();
    hls.add(999);
    clock.ms += 1000;

    assert.deepEqual(usage.take()?.viewers, [
      { protocol: 'HTTP_HLS', bytesOut: 4000, seconds: 12.5 },
    ]);
    clock.bytesIn = 1;
    assert.deepEqual(usage.take()?.viewers, []);
  });

  it('gives no interval where nothing flowed, though viewers waited', () => {
    const { clock, usage } = meter();
    usage.openViewer('HTTP_FLV');
    clock.ms += 60_000;
    assert.equal(usage.take(), undefined);
    clock.ms += 60_000;
    assert.equal(usage.take(), undefined);
  });

  it('notes when the first byte went to a viewer', () => {
    const { clock, usage } = meter();
    const flv = usage.openViewer('HTTP_FLV');
    assert.equal(usage.firstByteOutAt, undefined);
    clock.ms += 250;
    flv.add(13);
    clock.ms += 250;
    flv.add(13);
    assert.equal(usage.firstByteOutAt, 1_000_250);
  });
});
