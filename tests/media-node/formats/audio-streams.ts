/**
 * Program streams of audio-only channels, as a GB/T 28181 audio input sends them: one audio
 * PES 0xC0 per pack, with or without a program_stream_map listing only the audio stream.
 */
import { concatBytes } from '../../../media-node/formats/bytes.ts';
import type { ElementaryFrame } from '../../../media-node/formats/ps-demuxer.ts';
import { crc32Mpeg2, muxPsAudioFrame } from '../../../media-node/formats/ps-muxer.ts';
import { encodeAudio } from './encodes.ts';
import { demuxAll, splitAdts } from './support.ts';

export type AudioOnlyCodec = 'aac' | 'g711a';

const STREAM_TYPE: Record<AudioOnlyCodec, number> = { aac: 0x0f, g711a: 0x90 };
/** 40 ms of G.711 at 8 kHz per PES, as cameras send it. */
const G711_PES_BYTES = 320;

/** `seconds` of a 440 Hz tone (ffmpeg) as PES payloads: one ADTS frame, or 40 ms of G.711. */
export function audioPayloads(codec: AudioOnlyCodec, path: string, seconds: number): Uint8Array[] {
  const bytes = encodeAudio(path, codec, { seconds });
  if (codec === 'aac') return splitAdts(bytes);
  const count = Math.floor(bytes.length / G711_PES_BYTES);
  return Array.from({ length: count }, (_, i) =>
    bytes.subarray(i * G711_PES_BYTES, (i + 1) * G711_PES_BYTES),
  );
}

/** The 90 kHz duration of one payload of `codec` (AAC at 44.1 kHz). */
export function payloadTicks(codec: AudioOnlyCodec): number {
  return codec === 'aac' ? (1024 * 90000) / 44100 : 3600;
}

/** program_stream_map (ISO/IEC 13818-1 §2.5.4) with one entry: `codec` on stream 0xC0. */
export function audioOnlyStreamMap(codec: AudioOnlyCodec): Uint8Array {
  const map = Uint8Array.of(0, 0, 1, 0xbc, 0, 14, 0xe0, 0xff, 0, 0, 0, 4);
  const entry = Uint8Array.of(STREAM_TYPE[codec], 0xc0, 0, 0);
  const body = concatBytes([map, entry]);
  const crc = new DataView(new ArrayBuffer(4));
  crc.setUint32(0, crc32Mpeg2(body));
  return concatBytes([body, new Uint8Array(crc.buffer)]);
}

/** One pack per payload; the stream map after the pack header of every 25th where asked. */
export function audioOnlyPacks(
  codec: AudioOnlyCodec,
  payloads: Uint8Array[],
  opts: { streamMap: boolean; firstPts?: number },
): Uint8Array[] {
  const ticks = payloadTicks(codec);
  return payloads.map((data, i) => {
    const pts = Math.round((opts.firstPts ?? 90000) + i * ticks);
    const pack = muxPsAudioFrame(data, { pts });
    if (!opts.streamMap || i % 25 !== 0) return pack;
    return concatBytes([pack.subarray(0, 14), audioOnlyStreamMap(codec), pack.subarray(14)]);
  });
}

/** The frames PsDemuxer makes of the packs. */
export function audioOnlyFrames(packs: Uint8Array[]): ElementaryFrame[] {
  return demuxAll(packs).frames;
}
