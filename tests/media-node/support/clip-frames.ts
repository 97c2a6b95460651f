import type { ElementaryFrame } from '../../../media-node/formats/ps-demuxer.ts';
import { withClipAudio, type ClipAudioCodec } from '../../../simulator/media/clip-audio.ts';
import { readClipFrames } from '../../../simulator/media/clip.ts';

const CLIP = readClipFrames();

/**
 * The simulator's clip as the demuxer hands it on: `count` video frames at 25 fps from
 * 90 kHz time `start` (looping), with the sound the simulator sends with each.
 */
export function clipElementaryFrames(
  count: number,
  audio: ClipAudioCodec = 'aac',
  start = 900_000,
): ElementaryFrame[] {
  const frames = withClipAudio(CLIP, audio);
  const out: ElementaryFrame[] = [];
  for (let i = 0; i < count; i++) {
    const frame = frames[i % frames.length];
    if (frame === undefined) continue;
    const pts = start + i * 3600;
    const sound = (frame.audio ?? []).map((unit): ElementaryFrame => {
      const time = pts + unit.offsetTicks;
      return {
        kind: 'audio',
        codec: unit.codec,
        pts: time,
        dts: time,
        data: unit.data,
        keyframe: true,
      };
    });
    // In PTS order, the picture first on equal times, as the simulator sends them.
    out.push(...sound.filter((f) => f.pts < pts));
    out.push({
      kind: 'video',
      codec: 'h264',
      pts,
      dts: pts,
      data: frame.data,
      keyframe: frame.keyframe,
    });
    out.push(...sound.filter((f) => f.pts >= pts));
  }
  return out;
}
