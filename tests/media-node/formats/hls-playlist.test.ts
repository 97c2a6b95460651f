import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { fuzzRuns } from '../../support/fuzz.ts';
import { errorCodes, isArgusError } from '../../../src/errors.ts';
import { LivePlaylist } from '../../../media-node/formats/hls-playlist.ts';

const isValidation = (message: string) => (error: unknown) =>
  isArgusError(error, errorCodes.VALIDATION) && (error as Error).message === message;

function playlist(windowSize = 3): LivePlaylist {
  return new LivePlaylist({ targetDurationS: 2, windowSize, initUri: 'init.mp4' });
}

test('LivePlaylist renders the header, the map and one EXTINF per segment', () => {
  const list = playlist();
  list.addSegment({ uri: 'seg0.m4s', durationS: 2, sequence: 0 });
  list.addSegment({ uri: 'seg1.m4s', durationS: 1.96, sequence: 1 });

  assert.equal(
    list.render(),
    [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-TARGETDURATION:2',
      '#EXT-X-MEDIA-SEQUENCE:0',
      '#EXT-X-MAP:URI="init.mp4"',
      '#EXTINF:2.000,',
      'seg0.m4s',
      '#EXTINF:1.960,',
      'seg1.m4s',
      '',
    ].join('\n'),
  );
});

test('LivePlaylist renders no segment before the first', () => {
  assert.equal(
    playlist().render(),
    '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n',
  );
});

test('LivePlaylist slides its window; MEDIA-SEQUENCE is the oldest listed segment', () => {
  const list = playlist(2);
  for (let sequence = 40; sequence < 45; sequence++) {
    list.addSegment({ uri: `seg${sequence}.m4s`, durationS: 2, sequence });
  }

  const lines = list.render().split('\n');

  assert.ok(lines.includes('#EXT-X-MEDIA-SEQUENCE:43'));
  assert.deepEqual(
    lines.filter((line) => line.endsWith('.m4s')),
    ['seg43.m4s', 'seg44.m4s'],
  );
  assert.equal(list.lastSequence, 44);
});

test('LivePlaylist raises TARGETDURATION to a longer segment and never lowers it', () => {
  const list = playlist(1);
  list.addSegment({ uri: 'a.m4s', durationS: 2.4, sequence: 0 });
  const rounded = list.render();
  list.addSegment({ uri: 'b.m4s', durationS: 4.6, sequence: 1 });
  const longer = list.render();
  list.addSegment({ uri: 'c.m4s', durationS: 2, sequence: 2 });

  assert.match(rounded, /#EXT-X-TARGETDURATION:2\n/);
  assert.match(longer, /#EXT-X-TARGETDURATION:5\n/);
  assert.match(list.render(), /#EXT-X-TARGETDURATION:5\n/);
});

test('LivePlaylist writes DISCONTINUITY and a new MAP where the init segment changes', () => {
  const list = playlist(3);
  list.addSegment({ uri: 's0.m4s', durationS: 2, sequence: 0 });
  list.addSegment({
    uri: 's1.m4s',
    durationS: 2,
    sequence: 1,
    discontinuity: true,
    initUri: 'init-1.mp4',
  });
  list.addSegment({ uri: 's2.m4s', durationS: 2, sequence: 2 });

  assert.deepEqual(list.render().split('\n').slice(4, -1), [
    '#EXT-X-MAP:URI="init.mp4"',
    '#EXTINF:2.000,',
    's0.m4s',
    '#EXT-X-DISCONTINUITY',
    '#EXT-X-MAP:URI="init-1.mp4"',
    '#EXTINF:2.000,',
    's1.m4s',
    '#EXTINF:2.000,',
    's2.m4s',
  ]);
});

test('LivePlaylist counts discontinuities that slid out and maps the oldest listed segment', () => {
  const list = playlist(2);
  list.addSegment({ uri: 's0.m4s', durationS: 2, sequence: 0 });
  list.addSegment({
    uri: 's1.m4s',
    durationS: 2,
    sequence: 1,
    discontinuity: true,
    initUri: 'i1.mp4',
  });
  list.addSegment({ uri: 's2.m4s', durationS: 2, sequence: 2 });
  list.addSegment({ uri: 's3.m4s', durationS: 2, sequence: 3 });

  assert.deepEqual(list.render().split('\n').slice(3, -1), [
    '#EXT-X-MEDIA-SEQUENCE:2',
    '#EXT-X-DISCONTINUITY-SEQUENCE:1',
    '#EXT-X-MAP:URI="i1.mp4"',
    '#EXTINF:2.000,',
    's2.m4s',
    '#EXTINF:2.000,',
    's3.m4s',
  ]);
});

test('LivePlaylist writes ENDLIST after end() and refuses later segments', () => {
  const list = playlist();
  list.addSegment({ uri: 's0.m4s', durationS: 2, sequence: 0 });

  list.end();

  assert.ok(list.render().endsWith('s0.m4s\n#EXT-X-ENDLIST\n'));
  assert.throws(
    () => list.addSegment({ uri: 's1.m4s', durationS: 2, sequence: 1 }),
    isValidation('Cannot add HLS segment: the playlist has ended'),
  );
});

test('LivePlaylist rejects a sequence that does not follow the previous one', () => {
  const list = playlist();
  list.addSegment({ uri: 's5.m4s', durationS: 2, sequence: 5 });

  assert.throws(
    () => list.addSegment({ uri: 's7.m4s', durationS: 2, sequence: 7 }),
    isValidation('Cannot add HLS segment: sequence is not 6: 7'),
  );
  assert.throws(
    () => playlist().addSegment({ uri: 'a.m4s', durationS: 2, sequence: -1 }),
    isValidation('Cannot add HLS segment: sequence is not a whole number ≥ 0: -1'),
  );
});

test('LivePlaylist rejects bad durations, URIs and options', () => {
  const list = playlist();

  assert.throws(
    () => list.addSegment({ uri: 'a.m4s', durationS: Number.NaN, sequence: 0 }),
    isValidation('Cannot add HLS segment: duration is not a finite number ≥ 0: NaN'),
  );
  assert.throws(
    () => list.addSegment({ uri: 'a.m4s\n#EXT-X-ENDLIST', durationS: 2, sequence: 0 }),
    isValidation(
      'Cannot write HLS playlist URI: empty or holds a quote or line break: ' +
        '"a.m4s\\n#EXT-X-ENDLIST"',
    ),
  );
  assert.throws(
    () => new LivePlaylist({ targetDurationS: 2, windowSize: 3, initUri: 'a"b.mp4' }),
    (error: unknown) => isArgusError(error, errorCodes.VALIDATION),
  );
  assert.throws(
    () => new LivePlaylist({ targetDurationS: 1.5, windowSize: 3, initUri: 'init.mp4' }),
    isValidation('Cannot create HLS playlist: target duration is not a whole number ≥ 1: 1.5'),
  );
  assert.throws(
    () => new LivePlaylist({ targetDurationS: 2, windowSize: 0, initUri: 'init.mp4' }),
    isValidation('Cannot create HLS playlist: window size is not a whole number ≥ 1: 0'),
  );
});

test('LivePlaylist appends a query to every URI and refuses one with ? or a quote', () => {
  const list = playlist();
  list.addSegment({ uri: 'seg0.m4s', durationS: 2, sequence: 0 });
  list.addSegment({ uri: 'seg1.m4s', durationS: 2, sequence: 1, initUri: 'init-1.mp4' });

  const text = list.render('token=a.b-c_d');

  assert.deepEqual(
    text.split('\n').filter((line) => line.includes('.m')),
    [
      '#EXT-X-MAP:URI="init.mp4?token=a.b-c_d"',
      'seg0.m4s?token=a.b-c_d',
      '#EXT-X-MAP:URI="init-1.mp4?token=a.b-c_d"',
      'seg1.m4s?token=a.b-c_d',
    ],
  );
  for (const query of ['a?b', 'a"b', 'a\nb', 'a#b']) {
    assert.throws(
      () => list.render(query),
      isValidation('Cannot write HLS playlist: query holds a quote, a line break, ? or #'),
    );
  }
});

test('LivePlaylist lists the last windowSize segments in order (property)', () => {
  const segment = fc.record({
    durationS: fc.double({ min: 0, max: 30, noNaN: true }),
    cut: fc.boolean(),
  });
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 0, max: 1e6 }),
      fc.array(segment, { maxLength: 20 }),
      (windowSize, first, segments) => {
        const list = playlist(windowSize);
        segments.forEach((s, i) =>
          list.addSegment({
            uri: `s${first + i}.m4s`,
            durationS: s.durationS,
            sequence: first + i,
            discontinuity: s.cut,
          }),
        );

        const lines = list.render().split('\n');
        const listed = lines.filter((line) => line.endsWith('.m4s'));
        const kept = segments.length - listed.length;
        const target = Number(lines[2]?.split(':')[1]);
        const dropped = segments.slice(0, kept).filter((s) => s.cut).length;

        assert.equal(listed.length, Math.min(windowSize, segments.length));
        assert.deepEqual(
          listed,
          listed.map((_, i) => `s${first + kept + i}.m4s`),
        );
        assert.ok(segments.every((s) => Math.round(s.durationS) <= target));
        assert.equal(
          lines.includes(`#EXT-X-MEDIA-SEQUENCE:${segments.length === 0 ? 0 : first + kept}`),
          true,
        );
        assert.equal(lines.includes(`#EXT-X-DISCONTINUITY-SEQUENCE:${dropped}`), dropped > 0);
      },
    ),
    { numRuns: fuzzRuns(500) },
  );
});
