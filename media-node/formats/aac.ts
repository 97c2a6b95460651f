import { ArgusError, errorCodes } from '../../src/errors.ts';
import { ByteWriter } from './bytes.ts';

/** PCM samples per channel in one AAC frame (raw_data_block) (ISO/IEC 14496-3 §4.5.1.1). */
export const AAC_SAMPLES_PER_FRAME = 1024;

/** Sampling frequencies by sampling_frequency_index (ISO/IEC 14496-3 Table 1.18). */
export const AAC_SAMPLE_RATES: readonly number[] = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/** The fields an AudioSpecificConfig carries for AAC from an ADTS stream. */
export interface AacConfig {
  /** audioObjectType: ADTS profile + 1 (1 Main, 2 LC, 3 SSR, 4 LTP). */
  objectType: number;
  samplingFrequencyIndex: number;
  sampleRate: number;
  /** 1..7 (ISO/IEC 14496-3 Table 1.19); 0 (a program_config_element) is not supported. */
  channelConfiguration: number;
}

/** ADTS frames of one PES payload. */
export interface AdtsFrames {
  /** The configuration of the first frame. */
  config: AacConfig;
  /** Raw AAC frames (one raw_data_block each) without their ADTS headers: views, not copies. */
  frames: Uint8Array[];
  /** Bytes passed over: garbage between frames, truncated frames, frames of another config. */
  skippedBytes: number;
}

interface AdtsHeader {
  config: AacConfig;
  headerLength: number;
  frameLength: number;
  rawDataBlocks: number;
}

const MIN_HEADER_BYTES = 7;

/**
 * Splits ADTS (ISO/IEC 13818-7 §6.2, ISO/IEC 14496-3 §1.A.2) into raw AAC frames: headers
 * with or without CRC, several frames per buffer. Where a frame does not end at the next
 * syncword, the bytes up to the next valid header are skipped and counted, as are a
 * truncated last frame, frames with several raw_data_blocks and frames whose configuration
 * differs from the first one. Throws ArgusError CODEC_MALFORMED where no complete frame is
 * found, CODEC_UNSUPPORTED where the only frames have channel_configuration 0.
 */
export function parseAdts(data: Uint8Array): AdtsFrames {
  const frames: Uint8Array[] = [];
  let config: AacConfig | undefined;
  let skippedBytes = 0;
  let sawProgramConfig = false;
  let at = 0;
  while (at + MIN_HEADER_BYTES <= data.length) {
    const header = readAdtsHeader(data, at);
    if (header === undefined || at + header.frameLength > data.length) {
      at += 1;
      skippedBytes += 1;
      continue;
    }

    sawProgramConfig ||= header.config.channelConfiguration === 0;
    if (header.config.channelConfiguration !== 0) config ??= header.config;
    if (header.rawDataBlocks === 1 && config !== undefined && sameConfig(config, header.config)) {
      frames.push(data.subarray(at + header.headerLength, at + header.frameLength));
    } else {
      skippedBytes += header.frameLength;
    }
    at += header.frameLength;
  }

  if (config === undefined && sawProgramConfig) {
    throw new ArgusError(
      errorCodes.CODEC_UNSUPPORTED,
      'Cannot parse ADTS: channel_configuration 0 (program_config_element) is not supported',
    );
  }
  if (config === undefined) throw adtsError(`no complete frame in ${data.length} bytes`);
  return { config, frames, skippedBytes: skippedBytes + (data.length - at) };
}

/** How much audio a run of ADTS frames holds: samples per channel, and their rate. */
export interface AdtsDuration {
  samples: number;
  sampleRate: number;
}

/**
 * The samples per channel in the ADTS frames of `data` (1024 per raw_data_block), at the
 * sample rate of the first frame; bytes that are not a complete frame are passed over as
 * parseAdts does. Reads headers only and copies nothing. Undefined where no frame is found.
 */
export function adtsDuration(data: Uint8Array): AdtsDuration | undefined {
  let samples = 0;
  let sampleRate: number | undefined;
  let at = 0;
  while (at + MIN_HEADER_BYTES <= data.length) {
    const header = readAdtsHeader(data, at);
    if (header === undefined || at + header.frameLength > data.length) {
      at += 1;
      continue;
    }
    sampleRate ??= header.config.sampleRate;
    samples += AAC_SAMPLES_PER_FRAME * header.rawDataBlocks;
    at += header.frameLength;
  }
  return sampleRate === undefined ? undefined : { samples, sampleRate };
}

/** adts_fixed_header and adts_variable_header at `at`, or undefined where not valid. */
function readAdtsHeader(data: Uint8Array, at: number): AdtsHeader | undefined {
  if (data[at] !== 0xff) return undefined;
  const view = new DataView(data.buffer, data.byteOffset + at, MIN_HEADER_BYTES);
  const sync = view.getUint16(0);
  // syncword 0xFFF and layer '00'; the ID bit (MPEG-2 or MPEG-4) may be either.
  if ((sync & 0xfff6) !== 0xfff0) return undefined;
  const protectionAbsent = sync & 0x01;
  const b2 = view.getUint8(2);
  const objectType = (b2 >> 6) + 1;
  const samplingFrequencyIndex = (b2 >> 2) & 0x0f;
  const channelConfiguration = ((b2 & 0x01) << 2) | (view.getUint8(3) >> 6);
  const frameLength = ((view.getUint32(3) >>> 13) & 0x1fff) >>> 0;
  const rawDataBlocks = (view.getUint8(6) & 0x03) + 1;

  const sampleRate = AAC_SAMPLE_RATES[samplingFrequencyIndex];
  const headerLength = protectionAbsent === 1 ? 7 : 9;
  if (sampleRate === undefined || frameLength <= headerLength) return undefined;
  const config = { objectType, samplingFrequencyIndex, sampleRate, channelConfiguration };
  return { config, headerLength, frameLength, rawDataBlocks };
}

function sameConfig(a: AacConfig, b: AacConfig): boolean {
  return (
    a.objectType === b.objectType &&
    a.samplingFrequencyIndex === b.samplingFrequencyIndex &&
    a.channelConfiguration === b.channelConfiguration
  );
}

function adtsError(reason: string): ArgusError {
  return new ArgusError(errorCodes.CODEC_MALFORMED, `Cannot parse ADTS: ${reason}`);
}

/**
 * AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1) in its 2-byte form: audioObjectType (5
 * bits), samplingFrequencyIndex (4), channelConfiguration (4) and a GASpecificConfig with
 * frameLengthFlag, dependsOnCoreCoder and extensionFlag 0. Throws ArgusError
 * CODEC_UNSUPPORTED for an object type above 30 or an index without a 4-bit code.
 */
export function audioSpecificConfig(config: AacConfig): Uint8Array {
  const { objectType, samplingFrequencyIndex, channelConfiguration } = config;
  if (objectType < 1 || objectType > 30 || samplingFrequencyIndex > 12) {
    throw new ArgusError(
      errorCodes.CODEC_UNSUPPORTED,
      'Cannot write AudioSpecificConfig: object type or frequency index out of range: ' +
        `${objectType}, ${samplingFrequencyIndex}`,
    );
  }
  const bits =
    (objectType << 11) | (samplingFrequencyIndex << 7) | ((channelConfiguration & 0x0f) << 3);
  return new ByteWriter(2).u16(bits).finish();
}

/** The RFC 6381 `codecs` value of an AAC stream (RFC 6381 §3.3), for example `mp4a.40.2`. */
export function aacCodecString(config: AacConfig): string {
  return `mp4a.40.${config.objectType}`;
}
