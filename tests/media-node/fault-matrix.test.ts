/**
 * One case per fault a real camera or network puts into a GB/T 28181 stream: each stream is
 * encoded by ffmpeg, muxed by our own PS muxer into RTP (and RFC 4571 for TCP), broken at the
 * byte or packet level, run through the media node's own ingest (RtpIngest: RTP parse, SSRC,
 * reorder, PS demux) and remuxed to FLV (H.264) or HLS fMP4 (H.265: Debian's ffmpeg reads no
 * HEVC in FLV). ffprobe must decode the output without an error, with the right codecs and
 * the frame count the fault leaves. Encodes are shared between cases to keep the file fast.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { concatBytes } from '../../media-node/formats/bytes.ts';
import type {
  AudioCodec,
  ElementaryFrame,
  VideoCodec,
} from '../../media-node/formats/ps-demuxer.ts';
import { muxPsAudioFrame, muxPsVideoFrame } from '../../media-node/formats/ps-muxer.ts';
import { frameRfc4571, Rfc4571Framer } from '../../media-node/formats/rfc4571.ts';
import { buildRtpPacket, packetizeRtp } from '../../media-node/formats/rtp.ts';
import { RTP_REORDER_DEPTH } from '../../media-node/formats/limits.ts';
import { RtpIngest } from '../../media-node/media/rtp-ingest.ts';
import { readClipFrames } from '../../simulator/media/clip.ts';
import {
  encodeAudio,
  encodeHevc,
  ffmpeg,
  noFfmpeg,
  readHevcAccessUnits,
  tempFolder,
} from './formats/encodes.ts';
import { recordingLogger } from './support/recording-logger.ts';
import { stripTimestamps } from './formats/support.ts';
import { framesOf, probeDecoded, seededRandom, writeFlv, writeHls } from './support/remux.ts';
import type { Probed } from './support/remux.ts';

const work = tempFolder();
after(() => work.remove());

const FPS_TICKS = 3600; // 25 fps at 90 kHz
const GOP = 25;
const SSRC = 200000101; // "0200000101", as offered in y=
const G711_FRAME_BYTES = 320; // 40 ms at 8 kHz

interface VideoFrame {
  data: Uint8Array;
  keyframe: boolean;
  pts: number;
  dts: number;
}

interface AudioFrame {
  data: Uint8Array;
  pts: number;
}

interface Source {
  codec: VideoCodec;
  video: VideoFrame[];
  audioCodec?: AudioCodec;
  audio: AudioFrame[];
}

// ---- Encodes, made once and shared ----

const once = <T>(make: () => T): (() => T) => {
  let value: T | undefined;
  return () => (value ??= make());
};

const x264 = ['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', String(GOP), '-sc_threshold', '0'];
const testsrc = ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-frames:v', '75'];

/** 3 s of H.264 without B-frames, PTS = DTS. */
const h264 = once((): VideoFrame[] => {
  const path = work.path('plain.h264');
  ffmpeg([...testsrc, ...x264, '-bf', '0', '-x264-params', 'repeat-headers=1', '-f', 'h264', path]);
  return readClipFrames(path).map((f, i) => ({ ...f, pts: i * FPS_TICKS, dts: i * FPS_TICKS }));
});

/** 3 s of H.264 with 2 B-frames: PTS and DTS taken from an MPEG-TS encode. */
const h264BFrames = once((): VideoFrame[] => {
  const ts = work.path('bframes.ts');
  const annexB = work.path('bframes.h264');
  ffmpeg([...testsrc, ...x264, '-bf', '2', '-x264-params', 'repeat-headers=1:aud=1', ts]);
  ffmpeg(['-i', ts, '-c', 'copy', '-f', 'h264', annexB]);
  const args = ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=pts,dts'];
  const probe = spawnSync('ffprobe', [...args, '-of', 'csv=p=0', ts], { encoding: 'utf8' });
  const lines = probe.stdout.split('\n').filter((line) => line.includes(','));
  const times = lines.map((line) => line.split(',').map(Number));
  const origin = times[0]?.[1] ?? 0;
  const frames = readClipFrames(annexB);
  assert.equal(frames.length, times.length);
  return frames.map((f, i) => ({
    ...f,
    pts: (times[i]?.[0] ?? 0) - origin + FPS_TICKS,
    dts: (times[i]?.[1] ?? 0) - origin + FPS_TICKS,
  }));
});

/** 2 s of H.265. */
const h265 = once((): VideoFrame[] => {
  const x265 = `bframes=0:keyint=${GOP}:min-keyint=${GOP}:scenecut=0`;
  const path = encodeHevc(work.path('plain.h265'), { size: '320x240', frames: 50, x265 });
  return readHevcAccessUnits(path).map((au, i) => ({
    data: au.data,
    keyframe: au.keyframe,
    pts: i * FPS_TICKS,
    dts: i * FPS_TICKS,
  }));
});

/** 3 s of audio: one ADTS frame per PES for AAC, 40 ms per PES for G.711. */
const audioOf = (codec: AudioCodec) =>
  once((): AudioFrame[] => {
    const bytes = encodeAudio(work.path(`tone.${codec}`), codec, { seconds: 3 });
    if (codec !== 'aac') {
      return Array.from({ length: Math.floor(bytes.length / G711_FRAME_BYTES) }, (_, i) => ({
        data: bytes.subarray(i * G711_FRAME_BYTES, (i + 1) * G711_FRAME_BYTES),
        pts: i * FPS_TICKS,
      }));
    }
    return splitAdts(bytes).map((data, i) => ({
      data,
      pts: Math.round((i * 1024 * 90000) / 44100),
    }));
  });
const AUDIO = { aac: audioOf('aac'), g711a: audioOf('g711a'), g711u: audioOf('g711u') };

/** ADTS frames, headers kept (ISO/IEC 13818-7 §6.2: frame_length in bits 30..42). */
function splitAdts(bytes: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let at = 0; at + 7 <= bytes.length;) {
    const length =
      (((bytes[at + 3] ?? 0) & 0x03) << 11) |
      ((bytes[at + 4] ?? 0) << 3) |
      ((bytes[at + 5] ?? 0) >> 5);
    frames.push(bytes.subarray(at, at + length));
    at += length;
  }
  return frames;
}

// ---- The device side: PS packs, RTP packets, TCP bytes, with faults ----

interface PackOptions {
  firstPts: number;
  streamMap: boolean;
  /** Pack stuffing bytes as Hikvision writes them (not 0xFF). */
  stuffing: boolean;
  /** A private_stream_1 PES after each video PES. */
  privateData: boolean;
  /** Video frames left out at the start (a stream joined mid-GOP). */
  skipFrames: number;
  /** False: audio PES carry no PTS, as some devices send them. */
  audioPts: boolean;
}

interface Pack {
  bytes: Uint8Array;
  pts: number;
  /** Index of the video frame, or -1 for audio. */
  frame: number;
}

const PTS_MODULUS = 2 ** 33;

/** Video and audio packs interleaved by time, as a camera sends them. */
function packsOf(source: Source, opts: PackOptions): Pack[] {
  const packs: (Pack & { order: number })[] = [];
  source.video.forEach((f, i) => {
    if (i < opts.skipFrames) return;
    const pts = (opts.firstPts + f.pts) % PTS_MODULUS;
    const dts = (opts.firstPts + f.dts) % PTS_MODULUS;
    const keyframe = f.keyframe && opts.streamMap;
    const withAudio = source.audioCodec === undefined ? {} : { audio: source.audioCodec };
    let bytes = muxPsVideoFrame(f.data, { pts, dts, keyframe, codec: source.codec, ...withAudio });
    if (opts.privateData) bytes = concatBytes([bytes, privatePes(i)]);
    packs.push({ bytes, pts, frame: i, order: f.dts });
  });
  const firstAudio = (source.video[opts.skipFrames]?.dts ?? 0) - FPS_TICKS;
  for (const a of source.audio) {
    if (a.pts < firstAudio) continue;
    const pts = (opts.firstPts + a.pts) % PTS_MODULUS;
    const pack = muxPsAudioFrame(a.data, { pts });
    const bytes = opts.audioPts ? pack : stripTimestamps(pack);
    packs.push({ bytes, pts, frame: -1, order: a.pts + 1 });
  }
  packs.sort((a, b) => a.order - b.order);
  return opts.stuffing ? packs.map((p, i) => ({ ...p, bytes: withStuffing(p.bytes, i) })) : packs;
}

/** A 0xBD PES of 96 bytes of vendor data, the size Hikvision sends (SRS fixture). */
function privatePes(seed: number): Uint8Array {
  const payload = Uint8Array.from({ length: 96 }, (_, i) => (i * 7 + seed) & 0xff);
  const header = Uint8Array.of(0, 0, 1, 0xbd, 0, 3 + payload.length, 0x80, 0, 0);
  return concatBytes([header, payload]);
}

/** The pack header given 6 stuffing bytes `ff ff 02 50 3c NN`, as a Hikvision camera does. */
function withStuffing(pack: Uint8Array, counter: number): Uint8Array {
  const head = pack.slice(0, 14);
  head[13] = 0xf8 | 6;
  return concatBytes([
    head,
    Uint8Array.of(0xff, 0xff, 0x02, 0x50, 0x3c, counter & 0xff),
    pack.subarray(14),
  ]);
}

interface Datagram {
  bytes: Uint8Array;
  frame: number;
}

/** Each pack as RTP packets (PT 96, 1400-byte payloads, marker on the last). */
function rtpOf(packs: Pack[], ssrc: number, firstSequence = 0): Datagram[] {
  const out: Datagram[] = [];
  for (const pack of packs) {
    const packets = packetizeRtp(pack.bytes, {
      payloadType: 96,
      ssrc,
      timestamp: pack.pts % 2 ** 32,
      firstSequence: (firstSequence + out.length) & 0xffff,
    });
    for (const packet of packets) out.push({ bytes: buildRtpPacket(packet), frame: pack.frame });
  }
  return out;
}

const drop = (rate: number, seed: number) => (wire: Datagram[]) => {
  const random = seededRandom(seed);
  return wire.filter(() => random() >= rate);
};

/**
 * Each packet moved to a random place within `window` packets of where it was, after the
 * first `window` packets: a packet that overtakes the very first one is taken as late and
 * dropped by the reorder buffer, which has nothing to order it against yet.
 */
const shuffle = (window: number, seed: number) => (wire: Datagram[]) => {
  const random = seededRandom(seed);
  const keyed = wire.map((d, i) => ({ d, key: i < window ? i : i + random() * window }));
  return keyed.sort((a, b) => a.key - b.key).map(({ d }) => d);
};

/** Every `every`-th packet sent again a few packets later. */
const duplicate = (every: number) => (wire: Datagram[]) =>
  wire.flatMap((d, i) => (i % every === 3 ? [d, d, ...wire.slice(i - 2, i - 1)] : [d]));

// ---- The media node side ----

interface Received {
  frames: ElementaryFrame[];
  ingest: RtpIngest;
  logger: ReturnType<typeof recordingLogger>;
  framer?: Rfc4571Framer;
}

/** RTP datagrams into the node's RtpIngest, which was told the SDP's SSRC and PT. */
function receive(datagrams: Uint8Array[]): Received {
  const frames: ElementaryFrame[] = [];
  const logger = recordingLogger();
  const ingest = new RtpIngest({ onFrame: (frame) => frames.push(frame), logger, now: () => 0 });
  ingest.expect({ ssrc: SSRC, payloadType: 96 });
  for (const datagram of datagrams) ingest.push(datagram);
  return { frames, ingest, logger };
}

/** A TCP connection's reads through the RFC 4571 framer into RtpIngest. */
function receiveTcp(reads: Uint8Array[]): Received {
  const framer = new Rfc4571Framer();
  const packets = reads.flatMap((read) => framer.push(read));
  return { ...receive(packets), framer };
}

/** The RFC 4571 byte stream of the datagrams, with `garbage` bytes before every 10th frame. */
function tcpStream(wire: Datagram[], garbage = false): Uint8Array {
  const random = seededRandom(4571);
  const parts = wire.flatMap((d, i) => {
    const noise = Uint8Array.from({ length: 1 + Math.floor(random() * 40) }, () =>
      Math.floor(random() * 256),
    );
    return garbage && i % 10 === 5 ? [noise, frameRfc4571(d.bytes)] : [frameRfc4571(d.bytes)];
  });
  return concatBytes(parts);
}

// ---- The matrix ----

interface FaultCase {
  fault: string;
  source: () => Source;
  pack?: Partial<PackOptions>;
  ssrc?: number;
  network?: (wire: Datagram[]) => Datagram[];
  tcp?: (stream: Uint8Array) => Uint8Array[];
  garbage?: boolean;
  /** What must come out: the codec names, size, and the video frames decoded. */
  expect: { video: string; audio?: string; frames: number };
  /** Further checks of what came out and of the remuxed file at `output`. */
  check?: (received: Received, output: string) => void;
}

const video = (codec: VideoCodec, frames: () => VideoFrame[], audio?: AudioCodec) => (): Source => {
  const base = { codec, video: frames(), audio: audio === undefined ? [] : AUDIO[audio]() };
  return audio === undefined ? base : { ...base, audioCodec: audio };
};

const CASES: FaultCase[] = [
  { fault: 'H.265', source: video('h265', h265), expect: { video: 'hevc', frames: 50 } },
  { fault: 'B-frames', source: video('h264', h264BFrames), expect: { video: 'h264', frames: 75 } },
  {
    fault: 'AAC',
    source: video('h264', h264, 'aac'),
    expect: { video: 'h264', audio: 'aac', frames: 75 },
  },
  {
    fault: 'G.711A',
    source: video('h264', h264, 'g711a'),
    expect: { video: 'h264', audio: 'pcm_alaw', frames: 75 },
  },
  {
    fault: 'G.711U',
    source: video('h264', h264, 'g711u'),
    expect: { video: 'h264', audio: 'pcm_mulaw', frames: 75 },
  },
  {
    fault: 'no stream map',
    source: video('h264', h264),
    pack: { streamMap: false },
    expect: { video: 'h264', frames: 75 },
  },
  {
    fault: 'H.265 without a stream map',
    source: video('h265', h265),
    pack: { streamMap: false },
    expect: { video: 'hevc', frames: 50 },
  },
  {
    fault: '0xBD packets',
    source: video('h264', h264),
    pack: { privateData: true },
    expect: { video: 'h264', frames: 75 },
    check: ({ ingest }) => assert.equal(ingest.demuxStats.pes, 150),
  },
  {
    fault: 'pack stuffing that is not 0xFF',
    source: video('h264', h264, 'aac'),
    pack: { stuffing: true },
    expect: { video: 'h264', audio: 'aac', frames: 75 },
  },
  {
    fault: 'mid-GOP start',
    source: video('h264', h264),
    pack: { skipFrames: 10 },
    expect: { video: 'h264', frames: 75 - GOP },
  },
  {
    fault: '1% loss',
    source: video('h264', h264),
    network: drop(0.01, 1),
    expect: { video: 'h264', frames: 75 },
  },
  {
    fault: 'reordering within 8 packets',
    source: video('h264', h264, 'aac'),
    network: shuffle(8, 2),
    expect: { video: 'h264', audio: 'aac', frames: 75 },
  },
  {
    fault: 'duplicates',
    source: video('h264', h264),
    network: duplicate(7),
    expect: { video: 'h264', frames: 75 },
  },
  {
    fault: 'SSRC 0',
    source: video('h264', h264),
    ssrc: 0,
    expect: { video: 'h264', frames: 75 },
    check: ({ logger, ingest }) => {
      assert.equal(ingest.ssrc, 0);
      assert.deepEqual(
        logger.lines.map((l) => l.msg),
        ['ssrc mismatch accepted'],
      );
    },
  },
  {
    fault: 'TCP reads of one byte (a split at every byte position)',
    source: video('h264', h264, 'aac'),
    tcp: (stream) => [...stream].map((_, i) => stream.subarray(i, i + 1)),
    expect: { video: 'h264', audio: 'aac', frames: 75 },
  },
  {
    fault: 'garbage between TCP frames',
    source: video('h264', h264),
    garbage: true,
    tcp: (stream) => [stream],
    expect: { video: 'h264', frames: 75 },
    check: ({ framer }) =>
      assert.ok((framer?.stats.resyncs ?? 0) >= 10, 'the framer resynchronised'),
  },
  {
    fault: 'AAC PES without PTS',
    source: video('h264', h264, 'aac'),
    pack: { audioPts: false },
    expect: { video: 'h264', audio: 'aac', frames: 75 },
    // 1024 samples at 44.1 kHz: 23.2 ms, written as whole milliseconds.
    check: (_, output) => assertAudioSteps(output, [0.023, 0.024]),
  },
  {
    fault: 'G.711A PES without PTS',
    source: video('h264', h264, 'g711a'),
    pack: { audioPts: false },
    expect: { video: 'h264', audio: 'pcm_alaw', frames: 75 },
    check: (_, output) => assertAudioSteps(output, [0.04]),
  },
  {
    fault: 'PTS wrap',
    source: video('h264', h264BFrames, 'aac'),
    pack: { firstPts: PTS_MODULUS - 90000 },
    expect: { video: 'h264', audio: 'aac', frames: 75 },
  },
  {
    fault: 'H.265 across the PTS wrap',
    source: video('h265', h265),
    pack: { firstPts: PTS_MODULUS - 90000 },
    expect: { video: 'hevc', frames: 50 },
  },
];

const PACK_DEFAULTS: PackOptions = {
  firstPts: 90000,
  streamMap: true,
  stuffing: false,
  privateData: false,
  skipFrames: 0,
  audioPts: true,
};

/** The audio packets of `path`, as ffprobe reads their times, step by one of `steps` (s). */
function assertAudioSteps(path: string, steps: number[]): void {
  const args = ['-v', 'error', '-select_streams', 'a', '-show_entries', 'packet=pts_time'];
  const probe = spawnSync('ffprobe', [...args, '-of', 'csv=p=0', path], { encoding: 'utf8' });
  const times = probe.stdout.split('\n').filter(Boolean).map(Number);
  const odd = times.slice(1).flatMap((time, i) => {
    const step = Math.round((time - (times[i] ?? 0)) * 1000) / 1000;
    return steps.includes(step) ? [] : [[i, step]];
  });
  assert.ok(times.length > 50, `${times.length} audio packets`);
  assert.deepEqual(odd, [], 'steps between audio packets');
}

/** Builds, breaks and receives one case; returns what came out and the frames that can play. */
function run(c: FaultCase): { received: Received; playable: number } {
  const source = c.source();
  const opts = { ...PACK_DEFAULTS, ...c.pack };
  const sent = rtpOf(packsOf(source, opts), c.ssrc ?? SSRC, 65000);
  const wire = c.network?.(sent) ?? sent;
  const received =
    c.tcp === undefined
      ? receive(wire.map((d) => d.bytes))
      : receiveTcp(c.tcp(tcpStream(wire, c.garbage)));
  return { received, playable: playableFrames(source.video, opts.skipFrames, sent, new Set(wire)) };
}

/**
 * Video frames a decoder shows: from a keyframe on, none from a frame that lost a packet
 * until the next keyframe (its references are gone). Packets after the last loss stay in the
 * reorder buffer where fewer than its depth follow the gap: the stream ends there.
 */
function playableFrames(
  video: VideoFrame[],
  skip: number,
  sent: Datagram[],
  arrived: Set<Datagram>,
): number {
  const lastLoss = sent.findLastIndex((d) => !arrived.has(d));
  const heldFrom = sent.length - lastLoss <= RTP_REORDER_DEPTH + 1 ? lastLoss : sent.length;
  const broken = new Set(
    sent.flatMap((d, i) => (!arrived.has(d) || i >= heldFrom ? [d.frame] : [])),
  );
  let playable = 0;
  let decoding = false;
  for (let i = skip; i < video.length; i++) {
    decoding = (decoding || video[i]?.keyframe === true) && !broken.has(i);
    if (decoding) playable += 1;
  }
  return playable;
}

/** Remuxes to FLV (H.264) or HLS (H.265) and returns what ffprobe decoded. */
function remuxAndProbe(c: FaultCase, frames: ElementaryFrame[]): [Probed[], string] {
  const name = c.fault.replace(/[^a-z0-9]+/gi, '-');
  const h265Out = c.expect.video === 'hevc';
  const path = h265Out
    ? writeHls(frames, work.path(name)).playlist
    : writeFlv(frames, work.path(`${name}.flv`)).path;
  return [probeDecoded(path), path];
}

for (const c of CASES) {
  test(
    `fault ${c.fault}: the output plays with every frame the fault leaves`,
    { skip: noFfmpeg },
    () => {
      const { received, playable } = run(c);

      const [streams, output] = remuxAndProbe(c, received.frames);

      const videoStream = streams.find((s) => s.codec_type === 'video');
      assert.deepEqual(
        [videoStream?.codec_name, videoStream?.width, videoStream?.height],
        [c.expect.video, 320, 240],
      );
      const decoded = framesOf(streams, 'video');
      assert.equal(decoded, playable, 'every frame the fault leaves decodable');
      if (c.network === undefined) assert.equal(playable, c.expect.frames);
      if (c.expect.audio !== undefined) {
        assert.equal(streams.find((s) => s.codec_type === 'audio')?.codec_name, c.expect.audio);
        // Audio before the first video frame's time is dropped (the FLV clock starts there).
        const [sent, decodedAudio] = [c.source().audio.length, framesOf(streams, 'audio')];
        assert.ok(decodedAudio >= sent - 2 && decodedAudio <= sent, `${decodedAudio} of ${sent}`);
      }
      c.check?.(received, output);
    },
  );
}
