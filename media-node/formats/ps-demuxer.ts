import { ACCESS_UNIT_MAX_BYTES } from './limits.ts';
import { AudioPesClock } from './audio-clock.ts';
import { concatBytes, findStartCode, isStartCodeAt } from './bytes.ts';

export type VideoCodec = 'h264' | 'h265';
export type AudioCodec = 'aac' | 'g711a' | 'g711u';

/** One access unit (video, Annex B) or one audio PES payload, with 90 kHz timestamps. */
export interface ElementaryFrame {
  kind: 'video' | 'audio';
  codec: VideoCodec | AudioCodec;
  /** 90 kHz, 33 bits as carried in the PES header. */
  pts: number;
  /** 90 kHz; equals `pts` where the PES header carries no DTS. */
  dts: number;
  /** Video: an Annex B access unit. Audio: the PES payload (G.711 samples or ADTS frames). */
  data: Uint8Array;
  keyframe: boolean;
  /**
   * Video only: the NAL units of `data` as splitAnnexB finds them (views into `data`), so
   * that the muxers need not scan the access unit again. Absent on frames made elsewhere.
   */
  nals?: Uint8Array[];
  /**
   * Audio only: whether the latest program_stream_map lists a video stream (stream_id
   * 0xE0–0xEF). Absent where no map was seen. False marks an audio-only channel.
   */
  mapListsVideo?: boolean;
}

/** Counters a media node reports per interval instead of logging per packet. */
export interface PsDemuxerStats {
  /** pack_header()s parsed. */
  packs: number;
  /** Audio, video and private-stream-1 PES packets parsed. */
  pes: number;
  /** Bytes discarded while looking for a start code (garbage, or data after a loss). */
  skippedBytes: number;
  /** Frames dropped: broken by a loss, over ACCESS_UNIT_MAX_BYTES, truncated, unknown codec. */
  droppedFrames: number;
}

/** stream_type of program_stream_map entries (ISO/IEC 13818-1 Table 2-34; GB/T 28181 §C). */
const STREAM_TYPES: ReadonlyMap<number, VideoCodec | AudioCodec> = new Map([
  [0x1b, 'h264'],
  [0x24, 'h265'],
  [0x0f, 'aac'],
  [0x90, 'g711a'],
  [0x91, 'g711u'],
]);

const STREAM_ID = { end: 0xb9, pack: 0xba, map: 0xbc, private1: 0xbd } as const;
const EMPTY = new Uint8Array(0);
const PTS_MODULUS = 2 ** 33;
/** Returned by the unit readers when the buffer ends inside a header. */
const NEED_MORE = -1;

type Sink = 'video' | 'audio' | 'skip';

interface AccessUnit {
  /** The PTS its first PES carried, where it carried one. */
  pesPts: number | undefined;
  /** Unwrapped RTP timestamp of the packet that started it, where the caller gave one. */
  rtpTime: number | undefined;
  pts: number;
  dts: number;
  parts: Uint8Array[];
  size: number;
  broken: boolean;
}

interface AudioPes {
  codec: AudioCodec | undefined;
  pts: number;
  dts: number;
  parts: Uint8Array[];
}

/**
 * Demultiplexes an MPEG-2 Program Stream (ISO/IEC 13818-1 §2.5) as GB/T 28181-2016 §C
 * devices send it inside RTP payloads: pack headers with stuffing, system headers,
 * program_stream_map (also with Hikvision `HK` descriptors or an under-declared
 * elementary_stream_map_length), video PES 0xE0–0xEF and audio PES 0xC0–0xDF. Private
 * data (0xBD) and other streams are skipped by length. Without a stream map the video codec
 * is told from the NAL headers.
 *
 * Device input never makes it throw: garbage is skipped (counted in `stats.skippedBytes`)
 * until the next pack or video start code, and broken frames are dropped and counted.
 */
export class PsDemuxer {
  readonly stats: PsDemuxerStats = { packs: 0, pes: 0, skippedBytes: 0, droppedFrames: 0 };
  private carry: Uint8Array = EMPTY;
  private payloadLeft = 0;
  private sink: Sink = 'skip';
  private resyncing = false;
  private streamTypes: ReadonlyMap<number, VideoCodec | AudioCodec> = new Map();
  private videoStreamId: number | undefined;
  private audioStreamId: number | undefined;
  private guessedVideoCodec: VideoCodec | undefined;
  private au: AccessUnit | undefined;
  private audio: AudioPes | undefined;
  private readonly audioClock = new AudioPesClock();
  private mapListsVideo: boolean | undefined;
  private readonly rtpClock = new RtpClock();
  /** Unwrapped RTP timestamp of the chunk being parsed; undefined where none was given. */
  private rtpTime: number | undefined;
  /** PTS of the last access unit that carried a PTS. */
  private lastPesPts: number | undefined;
  /** A PES PTS and the RTP time it came at: the origin of synthesised PTS. */
  private ptsAnchor: { pts: number; rtpTime: number } | undefined;

  /** Stream types declared by the latest program_stream_map, by stream_id. */
  get streamMap(): ReadonlyMap<number, VideoCodec | AudioCodec> {
    return this.streamTypes;
  }

  /**
   * Feeds the payload bytes of RTP packets in order; bytes may split anywhere (a pack
   * header, a PES header, a start code). `afterLoss` marks a gap before this chunk: the
   * frame in progress is dropped and parsing resumes at the next pack or video PES. Returns
   * the frames this chunk completed. Payload bytes are copied once per frame: until then
   * the demuxer holds views of `chunk`, so its buffer must not be reused for other data.
   *
   * `rtpTimestamp` (the packet's 32-bit RTP timestamp, 90 kHz) serves devices whose PES
   * carry no PTS or the same PTS on every frame: a video PES then starts an access unit when
   * the RTP timestamp changes, and that unit's PTS (and DTS) is taken from the RTP clock.
   */
  push(chunk: Uint8Array, afterLoss = false, rtpTimestamp?: number): ElementaryFrame[] {
    if (afterLoss) this.onLoss();
    this.rtpTime = rtpTimestamp === undefined ? undefined : this.rtpClock.unwrap(rtpTimestamp);
    const out: ElementaryFrame[] = [];
    let data = chunk;
    if (this.carry.length > 0) {
      data = concatBytes([this.carry, chunk]);
      this.carry = EMPTY;
    }

    let offset = 0;
    while (offset < data.length) {
      offset =
        this.payloadLeft > 0
          ? this.consumePayload(data, offset, out)
          : this.readUnit(data, offset, out);
    }
    return out;
  }

  /**
   * Completes the access unit in progress unless its last PES is still short of its length.
   * Call it for an RTP packet with the marker bit (the last packet of a frame, GB/T
   * 28181-2016 §C.2) to emit the frame without waiting for the next one; not for senders
   * that set the marker on every packet.
   */
  markFrameEnd(): ElementaryFrame[] {
    const out: ElementaryFrame[] = [];
    if (!(this.payloadLeft > 0 && this.sink === 'video')) this.completeAccessUnit(out);
    return out;
  }

  /**
   * Ends the stream: returns the access unit in progress when its last PES is complete (a
   * truncated one is dropped and counted) and resets the parser.
   */
  flush(): ElementaryFrame[] {
    const out: ElementaryFrame[] = [];
    const truncated = this.payloadLeft > 0;
    if (truncated && this.sink === 'video') this.dropAccessUnit();
    if (truncated && this.sink === 'audio') this.dropAudio();
    this.completeAccessUnit(out);
    this.resetParser();
    return out;
  }

  private onLoss(): void {
    this.audioClock.markLoss();
    this.dropAccessUnit();
    this.dropAudio();
    this.resetParser();
    this.resyncing = true;
  }

  private resetParser(): void {
    this.carry = EMPTY;
    this.payloadLeft = 0;
    this.sink = 'skip';
  }

  private dropAccessUnit(): void {
    if (this.au !== undefined) this.stats.droppedFrames += 1;
    this.au = undefined;
  }

  private dropAudio(): void {
    if (this.audio !== undefined) this.stats.droppedFrames += 1;
    this.audio = undefined;
  }

  // Any bytes of a PES payload: views are kept until the frame completes.
  private consumePayload(data: Uint8Array, offset: number, out: ElementaryFrame[]): number {
    const take = Math.min(this.payloadLeft, data.length - offset);
    const piece = data.subarray(offset, offset + take);
    this.payloadLeft -= take;

    if (this.sink === 'video') this.appendVideo(piece);
    if (this.sink === 'audio') this.audio?.parts.push(piece);
    if (this.payloadLeft === 0 && this.sink === 'audio') this.completeAudio(out);
    return offset + take;
  }

  private appendVideo(piece: Uint8Array): void {
    const au = this.au;
    if (au === undefined || au.broken) return;
    if (au.size + piece.length > ACCESS_UNIT_MAX_BYTES) {
      au.broken = true;
      au.parts = [];
      return;
    }
    au.parts.push(piece);
    au.size += piece.length;
  }

  /** Reads the unit starting at `offset`; returns the offset after its header. */
  private readUnit(data: Uint8Array, offset: number, out: ElementaryFrame[]): number {
    if (data.length - offset < 4) return this.wait(data, offset);
    const streamId = data[offset + 3] ?? 0;
    const acceptable = this.resyncing ? isSyncPoint(streamId) : streamId >= STREAM_ID.end;
    if (!isStartCodeAt(data, offset) || !acceptable) return this.resync(data, offset);

    const end = this.readHeader(data, offset, streamId, out);
    if (end === NEED_MORE) return this.wait(data, offset);
    if (end === offset) return this.resync(data, offset, offset + 1);
    if (isSyncPoint(streamId)) this.resyncing = false;
    return end;
  }

  /** Returns the end of the header, NEED_MORE, or `offset` itself when it is not valid. */
  private readHeader(
    data: Uint8Array,
    offset: number,
    streamId: number,
    out: ElementaryFrame[],
  ): number {
    if (streamId === STREAM_ID.pack) return this.readPack(data, offset);
    if (streamId === STREAM_ID.end) return offset + 4;
    if (streamId === STREAM_ID.map) return this.readStreamMap(data, offset);
    if (streamId >= 0xc0 && streamId <= 0xef) return this.readPes(data, offset, streamId, out);
    return this.skipByLength(data, offset, streamId);
  }

  private readPack(data: Uint8Array, offset: number): number {
    const length = packHeaderLength(data, offset);
    if (length > 0) this.stats.packs += 1;
    return length > 0 ? offset + length : length === NEED_MORE ? NEED_MORE : offset;
  }

  // system_header, private_stream_1, padding and the rest: skipped by their 16-bit length.
  private skipByLength(data: Uint8Array, offset: number, streamId: number): number {
    const view = viewOf(data, offset, 6);
    if (view === undefined) return NEED_MORE;
    if (streamId === STREAM_ID.private1) this.stats.pes += 1;
    this.payloadLeft = view.getUint16(4);
    this.sink = 'skip';
    return offset + 6;
  }

  private readStreamMap(data: Uint8Array, offset: number): number {
    const map = parseStreamMap(data, offset);
    if (map === NEED_MORE) return NEED_MORE;
    if (map === undefined) return offset;
    this.streamTypes = map.streamTypes;
    this.mapListsVideo = map.listsVideo;
    return offset + map.length;
  }

  private readPes(
    data: Uint8Array,
    offset: number,
    streamId: number,
    out: ElementaryFrame[],
  ): number {
    const header = parsePesHeader(data, offset);
    if (header === NEED_MORE) return NEED_MORE;
    if (header === undefined) return offset;

    this.stats.pes += 1;
    this.payloadLeft = header.payloadLength;
    if (streamId >= 0xe0) this.startVideoPes(streamId, header, out);
    else this.startAudioPes(streamId, header);
    if (this.payloadLeft === 0 && this.sink === 'audio') this.completeAudio(out);
    return offset + header.headerLength;
  }

  private startVideoPes(streamId: number, header: PesHeader, out: ElementaryFrame[]): void {
    this.videoStreamId ??= streamId;
    if (streamId !== this.videoStreamId) {
      this.sink = 'skip';
      return;
    }
    if (this.startsAccessUnit(header.pts)) {
      this.completeAccessUnit(out);
      this.au = this.openAccessUnit(header);
    }
    this.sink = this.au === undefined ? 'skip' : 'video';
  }

  // A PES with a new PTS starts an access unit; one without PTS (or with the same PTS)
  // continues it (Hikvision splits an IDR into 65478-byte PES, only the first with PTS),
  // unless the RTP timestamp moved on: then the PTS is missing or stuck and a new frame began.
  private startsAccessUnit(pts: number | undefined): boolean {
    const au = this.au;
    const rtpTime = this.rtpTime;
    if (au === undefined) return pts !== undefined || rtpTime !== undefined;
    if (pts !== undefined && pts !== au.pesPts) return true;
    return rtpTime !== undefined && au.rtpTime !== undefined && rtpTime !== au.rtpTime;
  }

  // A PTS the previous access unit did not carry is taken as it is; a missing or repeated one
  // is synthesised from the RTP clock. Undefined where there is neither.
  private openAccessUnit(header: PesHeader): AccessUnit | undefined {
    const { pts: pesPts, dts } = header;
    const rtpTime = this.rtpTime;
    const repeated = pesPts === undefined || pesPts === this.lastPesPts;
    if (pesPts !== undefined) this.lastPesPts = pesPts;
    const unit = { pesPts, rtpTime, parts: [], size: 0, broken: false };

    if (rtpTime !== undefined && repeated) {
      const pts = this.ptsFromRtp(rtpTime);
      return { ...unit, pts, dts: pts };
    }
    if (pesPts === undefined) return undefined;
    if (rtpTime !== undefined) this.ptsAnchor = { pts: pesPts, rtpTime };
    return { ...unit, pts: pesPts, dts: dts ?? pesPts };
  }

  // Counted from the last real PTS, so a stream that drops its PTS now and then never jumps
  // between the two clocks; the RTP timestamp itself where no PTS was ever seen.
  private ptsFromRtp(rtpTime: number): number {
    const anchor = this.ptsAnchor ?? { pts: 0, rtpTime: 0 };
    return modulo(anchor.pts + rtpTime - anchor.rtpTime, PTS_MODULUS);
  }

  private startAudioPes(streamId: number, header: PesHeader): void {
    this.audioStreamId ??= streamId;
    if (streamId !== this.audioStreamId) {
      this.sink = 'skip';
      return;
    }
    const codec = this.streamTypes.get(streamId);
    const pts = this.stampAudio(header.pts);
    this.audio = {
      codec: isAudioCodec(codec) ? codec : undefined,
      pts,
      dts: header.pts === pts ? (header.dts ?? pts) : pts,
      parts: [],
    };
    this.sink = 'audio';
  }

  // A missing or stuck audio PTS is counted on from the audio before it (audio-clock.ts).
  private stampAudio(pesPts: number | undefined): number {
    const rtpTime = this.rtpTime;
    const rtpPts = rtpTime === undefined ? undefined : this.ptsFromRtp(rtpTime);
    return this.audioClock.stamp(pesPts, rtpPts, this.lastPesPts ?? 0);
  }

  private completeAudio(out: ElementaryFrame[]): void {
    const audio = this.audio;
    this.audio = undefined;
    this.sink = 'skip';
    if (audio === undefined || audio.parts.length === 0) return;

    const data = concatBytes(audio.parts);
    const codec = audio.codec ?? (isAdts(data) ? 'aac' : undefined);
    if (codec === undefined) {
      this.stats.droppedFrames += 1;
      return;
    }
    this.audioClock.advance(codec, data);
    const { pts, dts } = audio;
    const frame: ElementaryFrame = { kind: 'audio', codec, pts, dts, data, keyframe: true };
    if (this.mapListsVideo !== undefined) frame.mapListsVideo = this.mapListsVideo;
    out.push(frame);
  }

  private completeAccessUnit(out: ElementaryFrame[]): void {
    const au = this.au;
    this.au = undefined;
    if (au === undefined) return;
    if (au.broken) {
      this.stats.droppedFrames += 1;
      return;
    }
    if (au.size === 0) return;

    const data = concatBytes(au.parts);
    const declared = this.streamTypes.get(this.videoStreamId ?? 0xe0);
    const known = declared === 'h264' || declared === 'h265' ? declared : this.guessedVideoCodec;
    const { nals, headers } = scanAccessUnit(data);
    const { codec, keyframe, decisive } = inspectVideo(headers, known);
    if (decisive) this.guessedVideoCodec = codec;
    out.push({ kind: 'video', codec, pts: au.pts, dts: au.dts, data, keyframe, nals });
  }

  private wait(data: Uint8Array, offset: number): number {
    this.carry = data.slice(offset);
    return data.length;
  }

  // Scans for the next pack or video PES start code; keeps 3 bytes in case one is split.
  private resync(data: Uint8Array, offset: number, searchFrom = offset): number {
    this.resyncing = true;
    const found = findSyncPoint(data, searchFrom);
    const next = found >= 0 ? found : Math.max(offset, data.length - 3);
    this.stats.skippedBytes += next - offset;
    return found >= 0 ? found : this.wait(data, next);
  }
}

/** Extends 32-bit RTP timestamps (RFC 3550 §5.1) across their wrap. */
class RtpClock {
  private last: number | undefined;
  private extended = 0;

  unwrap(timestamp: number): number {
    const raw = timestamp >>> 0;
    // The signed 32-bit difference: a step back stays a step back, a wrap moves forward.
    this.extended = this.last === undefined ? raw : this.extended + ((raw - this.last) | 0);
    this.last = raw;
    return this.extended;
  }
}

function modulo(value: number, modulus: number): number {
  return ((value % modulus) + modulus) % modulus;
}

/** Pack and video PES start codes: the only places a demuxer resynchronises at. */
function isSyncPoint(streamId: number): boolean {
  return streamId === STREAM_ID.pack || (streamId >= 0xe0 && streamId <= 0xef);
}

function findSyncPoint(data: Uint8Array, from: number): number {
  for (let at = findStartCode(data, from); at >= 0; at = findStartCode(data, at + 3)) {
    const streamId = data[at + 3];
    if (streamId === undefined) return -1;
    if (isSyncPoint(streamId)) return at;
  }
  return -1;
}

function viewOf(data: Uint8Array, offset: number, length: number): DataView | undefined {
  if (data.length - offset < length) return undefined;
  return new DataView(data.buffer, data.byteOffset + offset, length);
}

/**
 * Length of pack_header() (ISO/IEC 13818-1 §2.5.3.3) at `offset`: 14 bytes plus
 * pack_stuffing_length (low 3 bits of byte 13), or 12 for an MPEG-1 pack. Stuffing bytes are
 * not checked: Hikvision counts frames in them instead of sending 0xFF.
 */
function packHeaderLength(data: Uint8Array, offset: number): number {
  const marker = data[offset + 4];
  if (marker === undefined) return NEED_MORE;
  if (marker >> 4 === 0x2) return data.length - offset < 12 ? NEED_MORE : 12;
  if (marker >> 6 !== 0x1) return 0;
  const stuffing = data[offset + 13];
  if (stuffing === undefined) return NEED_MORE;
  const length = 14 + (stuffing & 0x07);
  return data.length - offset < length ? NEED_MORE : length;
}

interface PesHeader {
  headerLength: number;
  payloadLength: number;
  pts: number | undefined;
  dts: number | undefined;
}

/**
 * PES_packet() header of an audio or video stream (ISO/IEC 13818-1 §2.4.3.6, or the
 * ISO/IEC 11172-1 §2.4.3.3 form some muxers still mix in): lengths and PTS/DTS. Undefined
 * where the bytes are not a PES header with a bounded length.
 */
function parsePesHeader(
  data: Uint8Array,
  offset: number,
): PesHeader | typeof NEED_MORE | undefined {
  const view = viewOf(data, offset, 7);
  if (view === undefined) return NEED_MORE;
  const packetLength = view.getUint16(4);
  const mpeg2 = (view.getUint8(6) & 0xc0) === 0x80;
  return mpeg2
    ? parseMpeg2PesHeader(data, offset, packetLength)
    : parseMpeg1PesHeader(data, offset, packetLength);
}

function parseMpeg2PesHeader(
  data: Uint8Array,
  offset: number,
  packetLength: number,
): PesHeader | typeof NEED_MORE | undefined {
  const flags = data[offset + 7];
  const dataLength = data[offset + 8];
  if (flags === undefined || dataLength === undefined) return NEED_MORE;
  const ptsDtsFlags = flags >> 6;
  const timestampsLength = ptsDtsFlags === 3 ? 10 : ptsDtsFlags === 2 ? 5 : 0;
  const valid =
    ptsDtsFlags !== 1 && dataLength >= timestampsLength && packetLength >= 3 + dataLength;
  if (!valid) return undefined;

  const headerLength = 9 + dataLength;
  if (data.length - offset < headerLength) return NEED_MORE;
  const pts = ptsDtsFlags >= 2 ? readTimestamp(data, offset + 9) : undefined;
  const dts = ptsDtsFlags === 3 ? readTimestamp(data, offset + 14) : undefined;
  return { headerLength, payloadLength: packetLength - 3 - dataLength, pts, dts };
}

/** Most stuffing bytes an ISO/IEC 11172-1 packet header may carry. */
const MPEG1_MAX_STUFFING = 16;

function parseMpeg1PesHeader(
  data: Uint8Array,
  offset: number,
  packetLength: number,
): PesHeader | typeof NEED_MORE | undefined {
  let at = offset + 6;
  while (data[at] === 0xff && at - offset - 6 < MPEG1_MAX_STUFFING) at += 1;
  if (((data[at] ?? 0) & 0xc0) === 0x40) at += 2; // STD_buffer_scale and size
  const marker = data[at];
  if (marker === undefined) return NEED_MORE;

  const timestampsLength = marker >> 4 === 3 ? 10 : marker >> 4 === 2 ? 5 : marker === 0x0f ? 1 : 0;
  const headerLength = at - offset + timestampsLength;
  if (timestampsLength === 0 || headerLength > 6 + packetLength) return undefined;
  if (data.length - offset < headerLength) return NEED_MORE;
  const pts = timestampsLength >= 5 ? readTimestamp(data, at) : undefined;
  const dts = timestampsLength === 10 ? readTimestamp(data, at + 5) : undefined;
  return { headerLength, payloadLength: 6 + packetLength - headerLength, pts, dts };
}

/** A 33-bit PTS or DTS in its 5-byte form with marker bits (§2.4.3.7). */
function readTimestamp(data: Uint8Array, at: number): number {
  const b0 = data[at] ?? 0;
  const b1 = data[at + 1] ?? 0;
  const b2 = data[at + 2] ?? 0;
  const b3 = data[at + 3] ?? 0;
  const b4 = data[at + 4] ?? 0;
  const high = (b0 >> 1) & 0x07;
  const low = (b1 << 22) | ((b2 >> 1) << 15) | (b3 << 7) | (b4 >> 1);
  return high * 2 ** 30 + low;
}

interface StreamMap {
  length: number;
  streamTypes: Map<number, VideoCodec | AudioCodec>;
  /** An entry names a video stream_id, whatever its stream_type. */
  listsVideo: boolean;
}

/**
 * program_stream_map (ISO/IEC 13818-1 §2.5.4). Entries are read up to the CRC_32, not only
 * as far as elementary_stream_map_length says: the FRI SPVMN tool declares 8 bytes for 14.
 * Descriptors (Hikvision `HK` ones included) are skipped; unknown stream types are left out.
 */
function parseStreamMap(
  data: Uint8Array,
  offset: number,
): StreamMap | typeof NEED_MORE | undefined {
  const head = viewOf(data, offset, 6);
  if (head === undefined) return NEED_MORE;
  const length = 6 + head.getUint16(4);
  const view = viewOf(data, offset, length);
  if (view === undefined) return NEED_MORE;
  if (length < 16) return undefined;

  const entriesEnd = length - 4;
  let at = 12 + view.getUint16(8); // after program descriptors and the map length
  const streamTypes = new Map<number, VideoCodec | AudioCodec>();
  let listsVideo = false;
  while (at + 4 <= entriesEnd) {
    const codec = STREAM_TYPES.get(view.getUint8(at));
    const streamId = view.getUint8(at + 1);
    at += 4 + view.getUint16(at + 2);
    if (at > entriesEnd) break;
    if (codec !== undefined) streamTypes.set(streamId, codec);
    listsVideo ||= streamId >= 0xe0 && streamId <= 0xef;
  }
  return { length, streamTypes, listsVideo };
}

function isAudioCodec(codec: VideoCodec | AudioCodec | undefined): codec is AudioCodec {
  return codec === 'aac' || codec === 'g711a' || codec === 'g711u';
}

/** ADTS syncword 0xFFF with layer 0 (ISO/IEC 13818-7 §6.2). */
function isAdts(data: Uint8Array): boolean {
  return data[0] === 0xff && ((data[1] ?? 0) & 0xf6) === 0xf0;
}

const NAL_HEADERS_INSPECTED = 8;

interface VideoInspection {
  codec: VideoCodec;
  keyframe: boolean;
  /** True where the NAL headers fit only one of H.264 and H.265. */
  decisive: boolean;
}

/**
 * Tells H.264 from H.265 by the headers of the first NAL units (ISO/IEC 14496-10 §7.3.1,
 * ISO/IEC 23008-2 §7.3.1.2) and finds a keyframe: H.264 IDR (5), H.265 IRAP (16..21). The
 * headers win over `known` (the stream map): some devices send H.265 as stream type 0x1B.
 */
function inspectVideo(headers: NalHeader[], known: VideoCodec | undefined): VideoInspection {
  const h264 = headers.every(([first]) => fitsH264(first));
  const h265 = headers.every(([first, second]) => fitsH265(first, second));
  const decisive = headers.length > 0 && h264 !== h265;
  const codec = decisive ? (h264 ? 'h264' : 'h265') : (known ?? 'h264');
  const keyframe = headers.some(([first]) =>
    codec === 'h264' ? (first & 0x1f) === 5 : isIrap((first >> 1) & 0x3f),
  );
  return { codec, keyframe, decisive };
}

/** The first two bytes after a start code. */
type NalHeader = [number, number];

/**
 * One pass over an access unit for two readers: its NAL units as splitAnnexB gives them
 * (trailing zeros trimmed, empty ones left out), and the headers of the first
 * NAL_HEADERS_INSPECTED start codes for inspectVideo, empty units included. A start code
 * right after the previous inspected one (an empty unit) is passed over there, as a search
 * from the byte after its header would.
 */
function scanAccessUnit(au: Uint8Array): { nals: Uint8Array[]; headers: NalHeader[] } {
  const nals: Uint8Array[] = [];
  const headers: NalHeader[] = [];
  let inspectedAt = -NAL_HEADERS_INSPECTED;
  for (let start = findStartCode(au, 0); start >= 0;) {
    const from = start + 3;
    const inspect = headers.length < NAL_HEADERS_INSPECTED && from < au.length;
    if (inspect && start !== inspectedAt + 3) {
      headers.push([au[from] ?? 0, au[from + 1] ?? 0]);
      inspectedAt = start;
    }
    const next = findStartCode(au, from);
    const nal = trimTrailingZeros(au.subarray(from, next < 0 ? au.length : next));
    if (nal.length > 0) nals.push(nal);
    start = next;
  }
  return { nals, headers };
}

function trimTrailingZeros(nal: Uint8Array): Uint8Array {
  let end = nal.length;
  while (end > 0 && nal[end - 1] === 0) end -= 1;
  return end === nal.length ? nal : nal.subarray(0, end);
}

const H264_TYPES = new Set([1, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 19, 20]);
const H264_UNREFERENCED_TYPES = new Set([6, 9, 10, 11, 12]);
const H264_REFERENCED_TYPES = new Set([5, 7, 8]);

// nal_ref_idc must be 0 for SEI, AUD and end/filler units and non-zero for IDR, SPS, PPS
// (§7.4.1): that rules out most H.265 headers read as H.264.
function fitsH264(first: number): boolean {
  const type = first & 0x1f;
  const refIdc = (first >> 5) & 0x03;
  if (first & 0x80 || !H264_TYPES.has(type)) return false;
  if (H264_UNREFERENCED_TYPES.has(type)) return refIdc === 0;
  return !H264_REFERENCED_TYPES.has(type) || refIdc !== 0;
}

function fitsH265(first: number, second: number): boolean {
  const type = (first >> 1) & 0x3f;
  const layerId = ((first & 0x01) << 5) | (second >> 3);
  const temporalIdPlus1 = second & 0x07;
  if (first & 0x80 || layerId !== 0 || temporalIdPlus1 === 0) return false;
  return type <= 9 || (type >= 16 && type <= 21) || (type >= 32 && type <= 40);
}

function isIrap(type: number): boolean {
  return type >= 16 && type <= 21;
}
