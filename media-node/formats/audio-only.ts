import { FLV_HELD_AUDIO_MAX_FRAMES, HLS_HELD_AUDIO_MAX_FRAMES } from './limits.ts';
import type { ElementaryFrame } from './ps-demuxer.ts';

/**
 * Audio frames without any video after which a channel with no stream map is taken as audio
 * only: as many as the FLV muxer and the HLS segmenter hold while they wait for video, so
 * none of them is lost (2.56 s of G.711 in 40 ms PES, 1.5 s of AAC at 44.1 kHz).
 */
export const AUDIO_ONLY_AFTER_FRAMES = Math.min(
  FLV_HELD_AUDIO_MAX_FRAMES,
  HLS_HELD_AUDIO_MAX_FRAMES,
);

/**
 * Tells a channel that sends only audio (a GB/T 28181 audio input, or a camera with its video
 * off) from one whose video has not come yet. The program_stream_map decides where the device
 * sends one: audio frames carry `mapListsVideo`. Without a map, AUDIO_ONLY_AFTER_FRAMES audio
 * frames with no video frame before them decide. Counts frames, never wall time, so the same
 * stream always gets the same answer. Once audio only, always audio only.
 */
export class AudioOnlyDecider {
  private audioFrames = 0;
  private sawVideo = false;
  private decided = false;

  /** True once the channel was found audio only. */
  get audioOnly(): boolean {
    return this.decided;
  }

  /** Takes the next frame; true for the one frame at which the channel is found audio only. */
  observe(frame: ElementaryFrame): boolean {
    if (this.decided || this.sawVideo) return false;
    if (frame.kind === 'video') {
      this.sawVideo = true;
      return false;
    }
    // A map that lists video is believed: the video is late, not absent.
    if (frame.mapListsVideo === true) return false;
    this.audioFrames += 1;
    this.decided = frame.mapListsVideo === false || this.audioFrames >= AUDIO_ONLY_AFTER_FRAMES;
    return this.decided;
  }
}
