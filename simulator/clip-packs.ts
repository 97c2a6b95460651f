/**
 * The program stream packs of one clip frame as the simulated camera sends them (GB/T
 * 28181-2016 §C.2): one video pack, whose keyframes declare the audio codec in their stream
 * map, and one audio pack (PES 0xC0) per unit of sound due with it.
 */
import { muxPsAudioFrame, muxPsVideoFrame } from '../media-node/formats/ps-muxer.ts';
import type { ClipAudioUnit, ClipFrame } from './media/clip.ts';

/** One pack and the 90 kHz time of its PES, for the RTP timestamp. */
export interface TimedPack {
  pack: Uint8Array;
  pts: number;
}

/**
 * The packs of `frame` shown at `pts`, in the order they are sent: by PTS, the picture first
 * on equal times, so that a keyframe's stream map comes before the sound it declares.
 */
export function clipFramePacks(frame: ClipFrame, pts: number): TimedPack[] {
  const audio = frame.audio ?? [];
  const sound = (unit: ClipAudioUnit): TimedPack => {
    const time = pts + unit.offsetTicks;
    return { pack: muxPsAudioFrame(unit.data, { pts: time }), pts: time };
  };
  const codec = audio[0]?.codec;
  const video = muxPsVideoFrame(frame.data, {
    pts,
    keyframe: frame.keyframe,
    // The stream map declares 0x24 for H.265, 0x1B for H.264 (GB/T 28181-2016 §C.2.4).
    ...(frame.codec === undefined ? {} : { codec: frame.codec }),
    ...(codec === undefined ? {} : { audio: codec }),
  });
  return [
    ...audio.filter((unit) => unit.offsetTicks < 0).map(sound),
    { pack: video, pts },
    ...audio.filter((unit) => unit.offsetTicks >= 0).map(sound),
  ];
}
