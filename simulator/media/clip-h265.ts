import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { concatBytes } from '../../media-node/formats/bytes.ts';
import {
  H265_NAL,
  h265NalType,
  isHevcKeyframe,
  splitAnnexB,
} from '../../media-node/formats/h265.ts';
import type { ClipFrame } from './clip.ts';

/** The H.265 twin of the test clip: 640x360, 25 fps, 100 frames, GOP 25 (README.md). */
export const hevcClipPath = fileURLToPath(new URL('./clip.h265', import.meta.url));

const START_CODE = new Uint8Array([0, 0, 0, 1]);
/** Prefix SEI (ITU-T H.265 Table 7-1): like the parameter sets, it opens an access unit. */
const PREFIX_SEI = 39;
/** VCL NAL unit types are 0..31 (ITU-T H.265 Table 7-1). */
const LAST_VCL_TYPE = 31;

/**
 * Reads an H.265 Annex B file and splits it into access units (ITU-T H.265 §7.4.2.4.4): a
 * new unit starts at an AUD, and at a VPS, SPS, PPS, prefix SEI or a slice whose
 * first_slice_segment_in_pic_flag is set once the current unit holds a picture. Keyframe =
 * the unit holds an IRAP picture. Each frame is marked `codec: 'h265'` so that its packs
 * declare stream type 0x24.
 */
export function readHevcClipFrames(path: string = hevcClipPath): ClipFrame[] {
  const units: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  let sawPicture = false;
  for (const nal of splitAnnexB(new Uint8Array(readFileSync(path)))) {
    const type = h265NalType(nal);
    if (current.length > 0 && (type === H265_NAL.aud || (opensAccessUnit(nal) && sawPicture))) {
      units.push(current);
      current = [];
      sawPicture = false;
    }
    current.push(nal);
    sawPicture ||= type <= LAST_VCL_TYPE;
  }
  if (current.length > 0) units.push(current);
  return units.map(toFrame);
}

/** Parameter sets, prefix SEI and the first slice segment of a picture begin a new unit. */
function opensAccessUnit(nal: Uint8Array): boolean {
  const type = h265NalType(nal);
  if (type >= H265_NAL.vps && type <= H265_NAL.pps) return true;
  if (type === PREFIX_SEI) return true;
  // first_slice_segment_in_pic_flag is the first bit after the 2-byte header (§7.3.6.1).
  return type <= LAST_VCL_TYPE && ((nal[2] ?? 0) & 0x80) !== 0;
}

function toFrame(nals: Uint8Array[]): ClipFrame {
  const data = concatBytes(nals.flatMap((nal) => [START_CODE, nal]));
  return { data, keyframe: isHevcKeyframe(nals), codec: 'h265' };
}
