import { ArgusError, errorCodes } from '../../src/errors.ts';
import { ByteWriter, concatBytes } from './bytes.ts';
import { box, boxOf, fields, fourCC, fullBox, writeU64 } from './mp4-box.ts';

/**
 * Fragmented MP4 for HLS (ISO/IEC 14496-12 §8.8, RFC 8216 §3.3): an initialization segment
 * describing the tracks, then media segments of one `moof` and one `mdat` each.
 */

/** An H.264 (`avc1` + `avcC`) or H.265 (`hvc1` + `hvcC`) track at 90 kHz. */
export interface VideoTrackInfo {
  id: number;
  kind: 'video';
  codec: 'h264' | 'h265';
  timescale: 90000;
  width: number;
  height: number;
  /** AVCDecoderConfigurationRecord or HEVCDecoderConfigurationRecord (ISO/IEC 14496-15). */
  config: Uint8Array;
}

/** An AAC track (`mp4a` + `esds`, ISO/IEC 14496-14 §5.6). */
export interface AudioTrackInfo {
  id: number;
  kind: 'audio';
  codec: 'aac';
  /** Ticks per second of sample durations; usually the sample rate. */
  timescale: number;
  sampleRate: number;
  channels: number;
  /** AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1). */
  config: Uint8Array;
}

export type TrackInfo = VideoTrackInfo | AudioTrackInfo;

/** One sample (a video access unit in AVCC/HVCC form, or one AAC raw data block). */
export interface Fmp4Sample {
  data: Uint8Array;
  /** In the track's timescale. */
  duration: number;
  keyframe: boolean;
  /** PTS minus DTS in the track's timescale; negative values are allowed (trun version 1). */
  compositionOffset: number;
}

/** The samples of one track in a media segment, the first decoded at `baseDecodeTime`. */
export interface Fmp4Fragment {
  trackId: number;
  /** Decode time of the first sample, in the track's timescale (tfdt, 64 bits). */
  baseDecodeTime: number;
  samples: Fmp4Sample[];
}

const MAX_U16 = 0xffff;
const MAX_U32 = 0xffffffff;
/** Identity transformation matrix of mvhd and tkhd (ISO/IEC 14496-12 §6.2.2). */
const UNITY_MATRIX = [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000];
/** ISO 639-2/T "und", packed as three 5-bit letters (ISO/IEC 14496-12 §8.4.2.3). */
const LANGUAGE_UND = 0x55c4;
const MOVIE_TIMESCALE = 1000;

/**
 * The initialization segment: `ftyp` and a `moov` with one `trak` per track (sample
 * description only, empty sample tables) and `mvex`/`trex` announcing fragments
 * (ISO/IEC 14496-12 §8.8.1). Throws ArgusError CODEC_MALFORMED where there is no track, a
 * track id repeats or is not in 1..2^32-1, a size, rate or channel count is out of range, or
 * a configuration record is empty.
 */
export function initSegment(tracks: TrackInfo[]): Uint8Array {
  if (tracks.length === 0) throw initError('no tracks');
  checkTrackIds(tracks.map((track) => track.id));
  tracks.forEach(checkTrack);

  const nextTrackId = Math.min(Math.max(...tracks.map((track) => track.id)) + 1, MAX_U32);
  return concatBytes([ftyp(), box('moov', mvhd(nextTrackId), ...tracks.map(trak), mvex(tracks))]);
}

function checkTrackIds(ids: number[]): void {
  for (const id of ids) checkRange(initError, 'track id', id, 1, MAX_U32);
  if (new Set(ids).size !== ids.length) throw initError(`track ids repeat: ${ids.join(', ')}`);
}

function checkTrack(track: TrackInfo): void {
  if (track.config.length === 0) throw initError(`track ${track.id} has an empty config`);
  checkRange(initError, 'timescale', track.timescale, 1, MAX_U32);
  if (track.kind === 'video') {
    checkRange(initError, 'width', track.width, 1, MAX_U16);
    checkRange(initError, 'height', track.height, 1, MAX_U16);
  } else {
    checkRange(initError, 'sample rate', track.sampleRate, 1, MAX_U32);
    checkRange(initError, 'channel count', track.channels, 1, MAX_U16);
  }
}

/** File type box (§4.3): ISO base media version 6, which covers tfdt and default-base-is-moof. */
function ftyp(): Uint8Array {
  return box(
    'ftyp',
    fourCC('iso6'),
    fields(4, (w) => w.u32(0)),
    fourCC('iso6'),
    fourCC('mp41'),
  );
}

/** Movie header (§8.2.2), version 0, no duration: the movie is all fragments. */
function mvhd(nextTrackId: number): Uint8Array {
  const payload = fields(96, (w) => {
    w.u32(0).u32(0).u32(MOVIE_TIMESCALE).u32(0); // creation, modification, timescale, duration
    w.u32(0x00010000).u16(0x0100).u16(0).u32(0).u32(0); // rate 1.0, volume 1.0, reserved
    for (const value of UNITY_MATRIX) w.u32(value);
    for (let i = 0; i < 6; i++) w.u32(0); // pre_defined
    w.u32(nextTrackId);
  });
  return fullBox('mvhd', 0, 0, payload);
}

function trak(track: TrackInfo): Uint8Array {
  return box('trak', tkhd(track), box('mdia', mdhd(track), hdlr(track), minf(track)));
}

/** Track header (§8.3.2), version 0, flags track_enabled | track_in_movie. */
function tkhd(track: TrackInfo): Uint8Array {
  const video = track.kind === 'video';
  const payload = fields(80, (w) => {
    w.u32(0).u32(0).u32(track.id).u32(0).u32(0); // creation, modification, id, -, duration
    w.u32(0).u32(0).u16(0).u16(0); // reserved, layer, alternate_group
    w.u16(video ? 0 : 0x0100).u16(0); // volume: 1.0 for audio
    for (const value of UNITY_MATRIX) w.u32(value);
    w.u32(video ? track.width * 0x10000 : 0).u32(video ? track.height * 0x10000 : 0); // 16.16
  });
  return fullBox('tkhd', 0, 0x000003, payload);
}

/** Media header (§8.4.2), version 0. */
function mdhd(track: TrackInfo): Uint8Array {
  const payload = fields(20, (w) => {
    w.u32(0).u32(0).u32(track.timescale).u32(0).u16(LANGUAGE_UND).u16(0);
  });
  return fullBox('mdhd', 0, 0, payload);
}

/** Handler reference (§8.4.3): `vide` or `soun`, with a null-terminated name. */
function hdlr(track: TrackInfo): Uint8Array {
  const [type, name] = track.kind === 'video' ? ['vide', 'VideoHandler'] : ['soun', 'SoundHandler'];
  const nameBytes = new TextEncoder().encode(`${name}\0`);
  const payload = fields(20, (w) => w.u32(0).bytesFrom(fourCC(type)).u32(0).u32(0).u32(0));
  return fullBox('hdlr', 0, 0, payload, nameBytes);
}

function minf(track: TrackInfo): Uint8Array {
  const header =
    track.kind === 'video'
      ? fullBox('vmhd', 0, 1, new Uint8Array(8)) // graphicsmode copy, opcolor 0 (§12.1.2)
      : fullBox('smhd', 0, 0, new Uint8Array(4)); // balance 0 (§12.2.2)
  return box('minf', header, dinf(), stbl(track));
}

/** Data information (§8.7.1): one `url ` entry flagged "media data in this file". */
function dinf(): Uint8Array {
  const dref = fullBox(
    'dref',
    0,
    0,
    fields(4, (w) => w.u32(1)),
    fullBox('url ', 0, 1),
  );
  return box('dinf', dref);
}

/** Sample table (§8.5.1): the sample description, and empty tables (samples are in trun). */
function stbl(track: TrackInfo): Uint8Array {
  const stsd = fullBox(
    'stsd',
    0,
    0,
    fields(4, (w) => w.u32(1)),
    sampleEntry(track),
  );
  const empty = fields(4, (w) => w.u32(0));
  return box(
    'stbl',
    stsd,
    fullBox('stts', 0, 0, empty),
    fullBox('stsc', 0, 0, empty),
    fullBox(
      'stsz',
      0,
      0,
      fields(8, (w) => w.u32(0).u32(0)),
    ),
    fullBox('stco', 0, 0, empty),
  );
}

function sampleEntry(track: TrackInfo): Uint8Array {
  if (track.kind === 'audio') return audioSampleEntry(track);
  const [type, configType] = track.codec === 'h264' ? ['avc1', 'avcC'] : ['hvc1', 'hvcC'];
  return visualSampleEntry(type, track, box(configType, track.config));
}

/**
 * VisualSampleEntry (§12.1.3). `hvc1` (ISO/IEC 14496-15 §8.4.1) is the H.265 entry Apple
 * players require; it promises the parameter sets are in the record.
 */
function visualSampleEntry(type: string, track: VideoTrackInfo, config: Uint8Array): Uint8Array {
  const payload = fields(78, (w) => {
    w.u32(0).u16(0).u16(1); // reserved (6 bytes), data_reference_index 1
    w.u16(0).u16(0).u32(0).u32(0).u32(0); // pre_defined, reserved, pre_defined
    w.u16(track.width).u16(track.height);
    w.u32(0x00480000).u32(0x00480000).u32(0).u16(1); // 72 dpi, reserved, frame_count 1
    w.bytesFrom(new Uint8Array(32)); // compressorname: empty
    w.u16(0x0018).u16(0xffff); // depth 24, pre_defined -1
  });
  return box(type, payload, config);
}

/** AudioSampleEntry (§12.2.3) `mp4a` with its `esds` (ISO/IEC 14496-14 §5.6). */
function audioSampleEntry(track: AudioTrackInfo): Uint8Array {
  // samplerate is 16.16; rates above 65535 Hz do not fit and are written as 0.
  const rate = track.sampleRate <= MAX_U16 ? track.sampleRate * 0x10000 : 0;
  const payload = fields(28, (w) => {
    w.u32(0).u16(0).u16(1); // reserved (6 bytes), data_reference_index 1
    w.u32(0).u32(0).u16(track.channels).u16(16).u16(0).u16(0).u32(rate);
  });
  return box('mp4a', payload, fullBox('esds', 0, 0, esDescriptor(track)));
}

/** Descriptor tags of ISO/IEC 14496-1 §7.2.2.1 (Table 1). */
const DESCRIPTOR_TAG = { es: 0x03, decoderConfig: 0x04, decoderSpecific: 0x05, sl: 0x06 } as const;
/** objectTypeIndication "Audio ISO/IEC 14496-3" (ISO/IEC 14496-1 §7.2.6.6.2, Table 5). */
const OBJECT_TYPE_AAC = 0x40;
/** streamType AudioStream (5) << 2 | upStream 0 | reserved 1 (Table 6). */
const STREAM_TYPE_AUDIO = 0x15;

/** ES_Descriptor (ISO/IEC 14496-1 §7.2.6.5) carrying the AudioSpecificConfig. */
function esDescriptor(track: AudioTrackInfo): Uint8Array {
  const decoderConfig = descriptor(
    DESCRIPTOR_TAG.decoderConfig,
    fields(13, (w) => w.u8(OBJECT_TYPE_AAC).u8(STREAM_TYPE_AUDIO).u24(0).u32(0).u32(0)),
    descriptor(DESCRIPTOR_TAG.decoderSpecific, track.config),
  );
  const sl = descriptor(DESCRIPTOR_TAG.sl, Uint8Array.of(0x02)); // predefined: MP4 files
  const esId = fields(3, (w) => w.u16(track.id & MAX_U16).u8(0)); // no dependence, URL, OCR
  return descriptor(DESCRIPTOR_TAG.es, esId, decoderConfig, sl);
}

/** A descriptor: tag, sizeOfInstance in 7-bit groups (ISO/IEC 14496-1 §8.3.3), body. */
function descriptor(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = concatBytes(parts);
  const sizeBytes: number[] = [body.length & 0x7f];
  for (let rest = body.length >>> 7; rest > 0; rest >>>= 7) sizeBytes.unshift(0x80 | (rest & 0x7f));
  return concatBytes([Uint8Array.of(tag, ...sizeBytes), body]);
}

/** Movie extends (§8.8.1) with one track extends box (§8.8.3) per track, no defaults. */
function mvex(tracks: TrackInfo[]): Uint8Array {
  const trex = tracks.map((track) =>
    fullBox(
      'trex',
      0,
      0,
      fields(20, (w) => w.u32(track.id).u32(1).u32(0).u32(0).u32(0)),
    ),
  );
  return box('mvex', ...trex);
}

function initError(reason: string): ArgusError {
  return new ArgusError(errorCodes.CODEC_MALFORMED, `Cannot build fMP4 init segment: ${reason}`);
}

// Media segments

/** tfhd flag default-base-is-moof (§8.8.7.1): data offsets count from the moof. */
const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;
/** trun flags (§8.8.8.1): data-offset, and per-sample duration, size, flags, composition. */
const TRUN_FLAGS = 0x000001 | 0x000100 | 0x000200 | 0x000400 | 0x000800;
/** sample_flags (§8.8.3.1): sample_depends_on 2 (an I picture), or 1 and non-sync. */
const SYNC_SAMPLE_FLAGS = 0x02000000;
const NON_SYNC_SAMPLE_FLAGS = 0x01010000;
const MIN_I32 = -0x80000000;
const MAX_I32 = 0x7fffffff;

/**
 * A media segment (ISO/IEC 14496-12 §8.8.4, RFC 8216 §3.3): one `moof` (`mfhd` with
 * `sequenceNumber`, then per fragment a `traf` of `tfhd` with default-base-is-moof, `tfdt`
 * version 1 and `trun` version 1 with every sample's duration, size, flags and signed
 * composition offset) and one `mdat` holding the fragments' samples in order. Throws
 * ArgusError CODEC_MALFORMED where there is no fragment, a fragment has no sample, a track
 * id repeats, or a number is out of its field's range.
 */
export function mediaSegment(sequenceNumber: number, fragments: Fmp4Fragment[]): Uint8Array {
  checkRange(segmentError, 'sequence number', sequenceNumber, 0, MAX_U32);
  if (fragments.length === 0) throw segmentError('no fragments');
  fragments.forEach(checkFragment);
  if (new Set(fragments.map((f) => f.trackId)).size !== fragments.length) {
    throw segmentError(`track ids repeat: ${fragments.map((f) => f.trackId).join(', ')}`);
  }

  const data = fragments.flatMap((fragment) => fragment.samples.map((sample) => sample.data));
  const mdat = boxOf('mdat', data);
  // The moof's size does not depend on the offsets written in it: measure, then write.
  const moofSize = moof(sequenceNumber, fragments, 0).length;
  return concatBytes([moof(sequenceNumber, fragments, moofSize + 8), mdat]);
}

function checkFragment(fragment: Fmp4Fragment): void {
  const track = `track ${fragment.trackId}`;
  checkRange(segmentError, 'track id', fragment.trackId, 1, MAX_U32);
  checkRange(segmentError, `${track} base decode time`, fragment.baseDecodeTime, 0, 2 ** 53 - 1);
  if (fragment.samples.length === 0) throw segmentError(`${track} has no samples`);
  for (const sample of fragment.samples) {
    checkRange(segmentError, `${track} sample duration`, sample.duration, 0, MAX_U32);
    checkRange(
      segmentError,
      `${track} composition offset`,
      sample.compositionOffset,
      MIN_I32,
      MAX_I32,
    );
  }
}

/** The moof, its first sample at `dataOffset` bytes from the moof's first byte. */
function moof(sequenceNumber: number, fragments: Fmp4Fragment[], dataOffset: number): Uint8Array {
  const mfhd = fullBox(
    'mfhd',
    0,
    0,
    fields(4, (w) => w.u32(sequenceNumber)),
  );
  const trafs: Uint8Array[] = [];
  let offset = dataOffset;
  for (const fragment of fragments) {
    trafs.push(traf(fragment, offset));
    for (const sample of fragment.samples) offset += sample.data.length;
  }
  if (offset > MAX_I32) throw segmentError(`media data above ${MAX_I32} bytes: ${offset}`);
  return box('moof', mfhd, ...trafs);
}

function traf(fragment: Fmp4Fragment, dataOffset: number): Uint8Array {
  const tfhd = fullBox(
    'tfhd',
    0,
    TFHD_DEFAULT_BASE_IS_MOOF,
    fields(4, (w) => w.u32(fragment.trackId)),
  );
  const tfdt = fullBox(
    'tfdt',
    1,
    0,
    fields(8, (w) => writeU64(w, fragment.baseDecodeTime)),
  );
  return box('traf', tfhd, tfdt, trun(fragment.samples, dataOffset));
}

/** Track fragment run (§8.8.8), version 1: composition offsets are signed. */
function trun(samples: Fmp4Sample[], dataOffset: number): Uint8Array {
  const writer = new ByteWriter(8 + 16 * samples.length).u32(samples.length).u32(dataOffset);
  for (const sample of samples) {
    writer.u32(sample.duration).u32(sample.data.length);
    writer.u32(sample.keyframe ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS);
    writer.u32(sample.compositionOffset); // two's complement of a negative offset
  }
  return fullBox('trun', 1, TRUN_FLAGS, writer.finish());
}

function segmentError(reason: string): ArgusError {
  return new ArgusError(errorCodes.CODEC_MALFORMED, `Cannot build fMP4 media segment: ${reason}`);
}

function checkRange(
  error: (reason: string) => ArgusError,
  name: string,
  value: number,
  min: number,
  max: number,
): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw error(`${name} out of range ${min}..${max}: ${value}`);
  }
}
