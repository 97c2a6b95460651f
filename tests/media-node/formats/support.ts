import { spawnSync } from 'node:child_process';
import { readFixture, skipWithoutFixture } from '../../support/fixtures.ts';
import { concatBytes } from '../../../media-node/formats/bytes.ts';
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

/**
 * Removes PTS and DTS from every audio and video PES header of a pack (or of packs one after
 * another), fixing both length fields: a device that sends no timestamps.
 */
export function stripTimestamps(pack: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  while (at < pack.length) {
    const streamId = pack[at + 3] ?? 0;
    const length =
      streamId === 0xba ? 14 + ((pack[at + 13] ?? 0) & 0x07) : 6 + readU16(pack, at + 4);
    const unit = pack.slice(at, at + length);
    parts.push(streamId >= 0xc0 && streamId <= 0xef ? stripPesTimestamps(unit) : unit);
    at += length;
  }
  return concatBytes(parts);
}

function stripPesTimestamps(pes: Uint8Array): Uint8Array {
  const timestamps = (pes[7] ?? 0) >> 6 === 3 ? 10 : (pes[7] ?? 0) >> 6 === 2 ? 5 : 0;
  const stripped = concatBytes([pes.subarray(0, 9), pes.subarray(9 + timestamps)]);
  const view = new DataView(stripped.buffer, stripped.byteOffset);
  view.setUint16(4, readU16(pes, 4) - timestamps);
  stripped[7] = (pes[7] ?? 0) & 0x3f;
  stripped[8] = (pes[8] ?? 0) - timestamps;
  return stripped;
}

function readU16(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
}

/** ADTS frames of an AAC file, headers kept (ISO/IEC 13818-7 §6.2: frame_length). */
export function splitAdts(bytes: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let at = 0; at + 7 <= bytes.length;) {
    const length =
      (((bytes[at + 3] ?? 0) & 0x03) << 11) |
      ((bytes[at + 4] ?? 0) << 3) |
      ((bytes[at + 5] ?? 0) >> 5);
    if (length < 7) break;
    frames.push(bytes.subarray(at, at + length));
    at += length;
  }
  return frames;
}
