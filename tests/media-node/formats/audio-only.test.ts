import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  AUDIO_ONLY_AFTER_FRAMES,
  AudioOnlyDecider,
} from '../../../media-node/formats/audio-only.ts';
import type { ElementaryFrame } from '../../../media-node/formats/ps-demuxer.ts';

const audio = (mapListsVideo?: boolean): ElementaryFrame => ({
  kind: 'audio',
  codec: 'aac',
  pts: 0,
  dts: 0,
  data: new Uint8Array(1),
  keyframe: true,
  ...(mapListsVideo !== undefined && { mapListsVideo }),
});
const video: ElementaryFrame = { ...audio(), kind: 'video', codec: 'h264' };

/** The index of the frame at which the decider said audio only, or -1. */
function decidedAt(frames: ElementaryFrame[]): number {
  const decider = new AudioOnlyDecider();
  return frames.findIndex((frame) => decider.observe(frame));
}

test('AudioOnlyDecider decides at the first audio frame whose stream map lists no video', () => {
  assert.equal(decidedAt([audio(false), audio(false)]), 0);
});

test('AudioOnlyDecider without a stream map decides at AUDIO_ONLY_AFTER_FRAMES', () => {
  const frames = Array.from({ length: 2 * AUDIO_ONLY_AFTER_FRAMES }, () => audio());

  assert.equal(decidedAt(frames), AUDIO_ONLY_AFTER_FRAMES - 1);
});

test('AudioOnlyDecider never decides after a video frame, or where the map lists video', () => {
  const many = Array.from({ length: 2 * AUDIO_ONLY_AFTER_FRAMES }, () => audio());

  assert.equal(decidedAt([video, ...many]), -1);
  assert.equal(decidedAt([...many.slice(0, 3), video, ...many]), -1);
  assert.equal(decidedAt(many.map(() => audio(true))), -1);
});
