import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { buildMansrtsp, parseMansrtsp } from '../../../media-node/formats/mansrtsp.ts';
import { errorCodes, isArgusError } from '../../../src/errors.ts';

describe('MANSRTSP (GB/T 28181-2016 Annex B)', () => {
  it('writes PAUSE with PauseTime now', () => {
    const text = buildMansrtsp({ method: 'PAUSE', cseq: 1, pauseTime: 'now' });
    assert.equal(text, 'PAUSE RTSP/1.0\r\nCSeq: 1\r\nPauseTime: now\r\n\r\n');
  });

  it('writes a resume as PLAY with Range npt=now-', () => {
    const text = buildMansrtsp({ method: 'PLAY', cseq: 2, range: 'now' });
    assert.equal(text, 'PLAY RTSP/1.0\r\nCSeq: 2\r\nRange: npt=now-\r\n\r\n');
  });

  it('writes a speed as PLAY with a decimal Scale', () => {
    assert.match(buildMansrtsp({ method: 'PLAY', cseq: 3, scale: 4 }), /\r\nScale: 4\.0\r\n/);
    assert.match(buildMansrtsp({ method: 'PLAY', cseq: 4, scale: 0.25 }), /\r\nScale: 0\.25\r\n/);
  });

  it('writes a seek as PLAY with Range npt=<seconds>-', () => {
    const text = buildMansrtsp({ method: 'PLAY', cseq: 5, range: 300 });
    assert.equal(text, 'PLAY RTSP/1.0\r\nCSeq: 5\r\nRange: npt=300-\r\n\r\n');
  });

  it('reads back every request it writes', () => {
    const requests = [
      { method: 'PAUSE', cseq: 1, pauseTime: 'now' },
      { method: 'PLAY', cseq: 2, range: 'now' },
      { method: 'PLAY', cseq: 3, scale: 8 },
      { method: 'PLAY', cseq: 4, range: 12.5 },
      { method: 'PLAY', cseq: 5, scale: 0.5, range: 60 },
    ] as const;
    for (const request of requests)
      assert.deepEqual(parseMansrtsp(buildMansrtsp(request)), request);
  });

  it('reads what devices write: MANSRTSP/1.0, LF line ends, any header case, closed range', () => {
    const text = 'PLAY MANSRTSP/1.0\nCSEQ: 7\nscale: 2.0\nrange: npt=30-600\n';
    assert.deepEqual(parseMansrtsp(text), { method: 'PLAY', cseq: 7, scale: 2, range: 30 });
  });

  it('refuses a scale outside 0.25–8, on writing and on reading', () => {
    for (const scale of [0.2, 9, Number.NaN]) {
      assert.throws(
        () => buildMansrtsp({ method: 'PLAY', cseq: 1, scale }),
        (error) =>
          isArgusError(error, errorCodes.VALIDATION) && /Scale out of range/.test(error.message),
      );
    }
    assert.throws(
      () => parseMansrtsp('PLAY RTSP/1.0\r\nCSeq: 1\r\nScale: 16\r\n'),
      /Scale out of range/,
    );
  });

  it('refuses what is not MANSRTSP, saying why', () => {
    const cases: [string, RegExp][] = [
      ['GET / HTTP/1.1\r\n', /invalid request line/],
      ['PLAY RTSP/1.0\r\nScale: 1.0\r\n', /missing or invalid CSeq/],
      ['PLAY RTSP/1.0\r\nCSeq: 1\r\nRange: clock=20260301T000000Z-\r\n', /invalid Range/],
      ['PLAY RTSP/1.0\r\nCSeq: 1\r\nno colon here\r\n', /invalid header line/],
      [`PLAY RTSP/1.0\r\nCSeq: 1\r\nX: ${'a'.repeat(1100)}\r\n`, /body too large/],
    ];
    for (const [text, reason] of cases) {
      assert.throws(
        () => parseMansrtsp(text),
        (error) => isArgusError(error, errorCodes.VALIDATION) && reason.test(error.message),
        JSON.stringify(text.slice(0, 30)),
      );
    }
  });
});
