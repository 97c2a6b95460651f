import type { AudioCodec } from './ps-demuxer.ts';

/**
 * G.711 as GB/T 28181-2016 devices send it (stream types 0x90 A-law, 0x91 µ-law): ITU-T
 * G.711 at 8000 samples per second, mono, one byte per sample.
 */
export const G711_SAMPLE_RATE = 8000;
export const G711_CHANNELS = 1;

/** SoundFormat of FLV audio tags (FLV spec v10 §E.4.2.1): 7 A-law, 8 µ-law. */
export const FLV_SOUND_FORMAT_G711: Readonly<Record<'g711a' | 'g711u', number>> = {
  g711a: 7,
  g711u: 8,
};

/** True for the two G.711 laws. */
export function isG711(codec: AudioCodec): codec is 'g711a' | 'g711u' {
  return codec === 'g711a' || codec === 'g711u';
}
