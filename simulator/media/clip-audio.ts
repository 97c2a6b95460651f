import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import type { ClipFrame } from './clip.ts';

/** The clip's sound as ADTS AAC-LC: 32 kHz mono, 125 frames of 1024 samples (4 s, README.md). */
export const aacClipPath = fileURLToPath(new URL('./clip.aac', import.meta.url));
/** The same sound as G.711 A-law: 8 kHz mono, 32000 samples (4 s, README.md). */
export const alawClipPath = fileURLToPath(new URL('./clip.alaw', import.meta.url));

/** Which sound the simulator sends with the clip (`--audio`). */
export type ClipAudioCodec = 'aac' | 'g711a' | 'none';

/** The sound of the clip, cut into the units one audio PES carries. */
export interface ClipAudio {
  codec: 'aac' | 'g711a';
  /** ADTS frames (AAC) or 40 ms of A-law samples (G.711), in order. */
  frames: Uint8Array[];
  /** 90 kHz ticks from one frame to the next. */
  ticksPerFrame: number;
}

/** Samples of A-law in one PES: 40 ms, one video frame's time at 25 fps. */
const G711_FRAME_BYTES = 320;

/**
 * Reads the clip's sound: AAC as whole ADTS frames (ISO/IEC 13818-7 §6.2, split by their
 * frame_length, 1024 samples each), or A-law cut every 40 ms. Throws where an ADTS header is
 * not where the previous frame ended.
 */
export function readClipAudio(codec: 'aac' | 'g711a'): ClipAudio {
  if (codec === 'g711a') {
    const bytes = new Uint8Array(readFileSync(alawClipPath));
    const frames: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; at += G711_FRAME_BYTES) {
      frames.push(bytes.subarray(at, at + G711_FRAME_BYTES));
    }
    return { codec, frames, ticksPerFrame: (G711_FRAME_BYTES * 90_000) / 8000 };
  }
  return {
    codec,
    frames: splitAdts(readFileSync(aacClipPath)),
    ticksPerFrame: (1024 * 90_000) / 32_000,
  };
}

function splitAdts(bytes: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let at = 0; at + 7 <= bytes.length;) {
    const length =
      (((bytes[at + 3] ?? 0) & 0x03) << 11) |
      ((bytes[at + 4] ?? 0) << 3) |
      ((bytes[at + 5] ?? 0) >> 5);
    if (bytes[at] !== 0xff || length < 7 || at + length > bytes.length) {
      throw new Error(`Cannot read the AAC clip: no ADTS frame at byte ${at}`);
    }
    frames.push(bytes.subarray(at, at + length));
    at += length;
  }
  return frames;
}

const VIDEO_TICKS_PER_FRAME = 3600;

/**
 * The clip's frames with its sound, for interleaving by PTS (ISO/IEC 13818-1 §2.5.2: a PS
 * is multiplexed in time order): each audio unit goes with the first video frame whose PTS
 * is not earlier than its own (clip-packs.ts orders them). The audio loop and the video loop
 * both last 4 s, so the sound after the last frame goes with the first frame of the next
 * loop. `none` gives the frames as they are.
 */
export function withClipAudio(frames: ClipFrame[], codec: ClipAudioCodec): ClipFrame[] {
  if (codec === 'none') return frames;
  const audio = readClipAudio(codec);
  const withAudio = frames.map((frame) => ({
    ...frame,
    audio: [] as NonNullable<ClipFrame['audio']>,
  }));
  audio.frames.forEach((data, k) => {
    const ticks = k * audio.ticksPerFrame;
    const index = Math.ceil(ticks / VIDEO_TICKS_PER_FRAME);
    const offsetTicks = ticks - index * VIDEO_TICKS_PER_FRAME;
    withAudio[index % frames.length]?.audio.push({ codec, data, offsetTicks });
  });
  return withAudio;
}
