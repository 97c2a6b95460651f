import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { concatBytes } from '../../media-node/formats/bytes.ts';
import { H264_NAL, nalType, splitAnnexB, startsPicture } from '../../media-node/formats/h264.ts';

/** The committed test clip: H.264 Annex B, 640x360, 25 fps, 100 frames, GOP 25 (README.md). */
export const clipPath = fileURLToPath(new URL('./clip.h264', import.meta.url));

/** One frame of the clip: an Annex B access unit with 4-byte start codes. */
export interface ClipFrame {
  data: Uint8Array;
  keyframe: boolean;
  /** The video codec of `data`; H.264 where absent (the committed clip). */
  codec?: 'h264' | 'h265';
  /** Sound sent with the frame (clip-audio.ts, clip-packs.ts), at PTS up to 40 ms before it. */
  audio?: ClipAudioUnit[];
}

/** One audio PES payload: ADTS frames or G.711 samples. */
export interface ClipAudioUnit {
  codec: 'aac' | 'g711a';
  data: Uint8Array;
  /** 90 kHz ticks from the video frame's PTS, 0 or less. */
  offsetTicks: number;
}

const START_CODE = new Uint8Array([0, 0, 0, 1]);

/**
 * Reads an H.264 Annex B file and splits it into access units (ISO/IEC 14496-10 §7.4.1.2.3):
 * a new unit starts at an AUD, and at an SPS or a slice with first_mb_in_slice 0 once the
 * current unit holds a picture. Keyframe = the unit holds an IDR slice.
 */
export function readClipFrames(path: string = clipPath): ClipFrame[] {
  const units: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  let sawPicture = false;
  for (const nal of splitAnnexB(new Uint8Array(readFileSync(path)))) {
    const type = nalType(nal);
    const opensPicture = type === H264_NAL.sps || startsPicture(nal);
    if (current.length > 0 && (type === H264_NAL.aud || (opensPicture && sawPicture))) {
      units.push(current);
      current = [];
      sawPicture = false;
    }
    current.push(nal);
    sawPicture ||= type >= 1 && type <= 5;
  }
  if (current.length > 0) units.push(current);
  return units.map(toFrame);
}

function toFrame(nals: Uint8Array[]): ClipFrame {
  const data = concatBytes(nals.flatMap((nal) => [START_CODE, nal]));
  const keyframe = nals.some((nal) => nalType(nal) === H264_NAL.idr);
  return { data, keyframe };
}
