import { spawnSync } from 'node:child_process';
import { readFixture, skipWithoutFixture } from '../../support/fixtures.ts';
import { PsDemuxer } from '../../../media-node/formats/ps-demuxer.ts';
import type { ElementaryFrame } from '../../../media-node/formats/ps-demuxer.ts';

/** Fixture folders used by the media format tests (see each folder's SOURCES.md). */
export const HIK = 'public/lal-hik-rtp-ps';
export const SRS = 'public/srs-utest-gb28181/ps';
export const FRI = 'public/fri-spvmn-audio-ps';

/** Reads a fixture the test has already checked with skipWithoutFixture. */
export function mustReadFixture(relative: string): Uint8Array {
  const bytes = readFixture(relative);
  if (bytes === undefined) throw new Error(`fixture ${relative} is absent`);
  return bytes;
}

/** The `skip` option for a test that reads several fixtures: the first one missing, else false. */
export function skipWithoutFixtures(...relatives: string[]): string | false {
  for (const relative of relatives) {
    const skip = skipWithoutFixture(relative);
    if (skip !== false) return skip;
  }
  return false;
}

/** Sequence numbers of the lal Hikvision RTP packets, in file order. */
export const HIK_RTP_SEQUENCES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 291];

export function hikRtpPath(seq: number): string {
  return `${HIK}/rtp/seq${String(seq).padStart(5, '0')}.rtp`;
}

/** Demuxes `chunks` with a fresh demuxer, flushing at the end. */
export function demuxAll(chunks: Iterable<Uint8Array>): {
  frames: ElementaryFrame[];
  demuxer: PsDemuxer;
} {
  const demuxer = new PsDemuxer();
  const frames: ElementaryFrame[] = [];
  for (const chunk of chunks) frames.push(...demuxer.push(chunk));
  frames.push(...demuxer.flush());
  return { frames, demuxer };
}

/** `bytes` cut at the given offsets (sorted, within bounds). */
export function splitAt(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const cuts = [...new Set(offsets)].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const cut of cuts) {
    pieces.push(bytes.subarray(from, cut));
    from = cut;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}

/** The `skip` option for tests that need a Debian tool such as ffprobe or ffmpeg. */
export function skipWithoutTool(tool: string): string | false {
  const probe = spawnSync(tool, ['-version'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0 ? false : `${tool} is not installed`;
}
