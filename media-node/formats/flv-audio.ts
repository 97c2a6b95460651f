import { errorCodes, isArgusError } from '../../src/errors.ts';
import { AAC_SAMPLES_PER_FRAME, audioSpecificConfig, parseAdts } from './aac.ts';
import type { AacConfig } from './aac.ts';
import { ByteWriter } from './bytes.ts';
import type { FlvMetadata } from './flv-tag.ts';
import { FLV_SOUND_FORMAT_G711, G711_SAMPLE_RATE, isG711 } from './g711.ts';
import type { AudioCodec, ElementaryFrame } from './ps-demuxer.ts';

/** SoundFormat of AAC audio tags (FLV spec v10 §E.4.2.1). */
export const FLV_SOUND_FORMAT_AAC = 10;

/**
 * First byte of AAC tags: SoundFormat 10 with SoundRate 3 and SoundType 1, as FLV spec v10
 * §E.4.2.1 requires for AAC whatever the real rate (the AudioSpecificConfig tells it).
 */
const AAC_SOUND_BYTE = (FLV_SOUND_FORMAT_AAC << 4) | 0x0f;

/**
 * First byte of G.711 tags: SoundRate 0 (the rate is implied: 8 kHz), SoundSize 1 (16-bit,
 * the decoded size FFmpeg writes and players expect), SoundType 0 (mono).
 */
function g711SoundByte(codec: 'g711a' | 'g711u'): number {
  return (FLV_SOUND_FORMAT_G711[codec] << 4) | 0x02;
}

/** One audio tag body and its time from the PES PTS, in 90 kHz ticks. */
export interface FlvAudioBody {
  offsetTicks: number;
  body: Uint8Array;
}

/**
 * The audio of an FLV stream (FLV spec v10 §E.4.2): AAC as SoundFormat 10 with its
 * AudioSpecificConfig in an AAC sequence header and one raw frame per tag; G.711 as
 * SoundFormat 7 (A-law) or 8 (µ-law), one tag per PES payload. ADTS that cannot be parsed
 * is counted in `dropped`, never thrown.
 */
export class FlvAudioTrack {
  /** PES payloads dropped: ADTS that could not be parsed or is not supported. */
  dropped = 0;
  private currentCodec: AudioCodec | undefined;
  private config: AacConfig | undefined;
  private asc: Uint8Array | undefined;

  /** The codec of the latest frame. */
  get codec(): AudioCodec | undefined {
    return this.currentCodec;
  }

  /**
   * The tag bodies for one audio PES payload, and whether the AAC configuration changed (a
   * new sequence header is due). AAC frames follow each other by 1024 samples.
   */
  bodies(frame: ElementaryFrame): { configChanged: boolean; bodies: FlvAudioBody[] } {
    const codec = frame.codec;
    if (codec !== 'aac' && codec !== 'g711a' && codec !== 'g711u') {
      return { configChanged: false, bodies: [] };
    }
    if (isG711(codec)) {
      this.switchTo(codec);
      return {
        configChanged: false,
        bodies: [{ offsetTicks: 0, body: g711Body(codec, frame.data) }],
      };
    }
    return this.aacBodies(frame.data);
  }

  private aacBodies(data: Uint8Array): { configChanged: boolean; bodies: FlvAudioBody[] } {
    const parsed = this.parse(data);
    if (parsed === undefined) return { configChanged: false, bodies: [] };
    this.switchTo('aac');
    const asc = audioSpecificConfig(parsed.config);
    const previous = this.asc;
    const configChanged = previous === undefined || asc.some((byte, i) => byte !== previous[i]);
    this.config = parsed.config;
    this.asc = asc;

    const ticksPerFrame = (AAC_SAMPLES_PER_FRAME * 90000) / parsed.config.sampleRate;
    const bodies = parsed.frames.map((raw, i) => ({
      offsetTicks: Math.round(i * ticksPerFrame),
      body: withPrefix(AAC_SOUND_BYTE, 1, raw), // AACPacketType 1: raw
    }));
    return { configChanged, bodies };
  }

  private parse(data: Uint8Array): ReturnType<typeof parseAdts> | undefined {
    try {
      return parseAdts(data);
    } catch (error) {
      if (
        !isArgusError(error, errorCodes.CODEC_MALFORMED) &&
        !isArgusError(error, errorCodes.CODEC_UNSUPPORTED)
      ) {
        throw error;
      }
      this.dropped += 1;
      return undefined;
    }
  }

  private switchTo(codec: AudioCodec): void {
    if (codec === this.currentCodec) return;
    this.currentCodec = codec;
    this.config = undefined;
    this.asc = undefined;
  }

  /** The AAC sequence header body (AACPacketType 0), or undefined without AAC. */
  sequenceHeaderBody(): Uint8Array | undefined {
    return this.asc === undefined ? undefined : withPrefix(AAC_SOUND_BYTE, 0, this.asc);
  }

  /** audiocodecid and audiosamplerate for onMetaData, once a frame was seen. */
  metadata(): FlvMetadata | undefined {
    const codec = this.currentCodec;
    if (codec === undefined) return undefined;
    if (isG711(codec)) {
      return { audiocodecid: FLV_SOUND_FORMAT_G711[codec], audiosamplerate: G711_SAMPLE_RATE };
    }
    if (this.config === undefined) return undefined;
    return { audiocodecid: FLV_SOUND_FORMAT_AAC, audiosamplerate: this.config.sampleRate };
  }
}

function g711Body(codec: 'g711a' | 'g711u', samples: Uint8Array): Uint8Array {
  return new ByteWriter(1 + samples.length).u8(g711SoundByte(codec)).bytesFrom(samples).finish();
}

function withPrefix(first: number, second: number, data: Uint8Array): Uint8Array {
  return new ByteWriter(2 + data.length).u8(first).u8(second).bytesFrom(data).finish();
}
