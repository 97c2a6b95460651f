/**
 * The transport side of a live session's RTP: what the offer says about it, how the device's
 * answer is checked and taken, and when the media connection ends. Implemented for UDP, and
 * for RTP over TCP (RFC 4571; GB/T 28181-2016 §F) with the node passive or active (RFC 4145).
 * Every implementation pushes what it receives into the session's RtpIngest.
 */
import { ArgusError, errorCodes } from '../../src/errors.ts';
import { isTcpRtpProtocol, type GbSdp, type SdpMedia } from '../formats/sdp.ts';
import type { MediaOffer } from '../gb/live-invite.ts';

export interface RtpReceiver {
  /** The transport part of the offer's m= line. */
  readonly offer: MediaOffer;
  /** The local port RTP arrives on; for an active connection 0 until it is open. */
  readonly port: number;
  /** Transport counters for the session's stop line. */
  stats(): Record<string, number>;
  /**
   * Takes the device's answer; the active side connects here. Returns the answer's video.
   * @throws ArgusError UNAVAILABLE where the answer does not fit the offer or the device's
   *   port cannot be reached
   */
  start(answer: GbSdp): Promise<SdpMedia>;
  /** Registers the one listener told, once, that the device ended the media connection. */
  onEnd(listener: (reason: string) => void): void;
  /** Stops receiving and frees the port; the end listener is not called after. */
  close(): void;
}

/** The node's role on a TCP media connection, from ARGUS_RTP_TCP_MODE. */
export type TcpMode = 'passive' | 'active';

/** LiveStreamStopped reason where the device closed (or reset) the TCP media connection. */
export const CONNECTION_CLOSED_REASON = 'rtp_connection_closed';

const DEFAULT_PS_PAYLOAD_TYPE = 96;

/**
 * The answer's video media, checked against the offer: the same transport, and on TCP the
 * opposite role (RFC 4145 §4.1: an `active` offer takes a `passive` answer and the reverse).
 * @throws ArgusError UNAVAILABLE otherwise
 */
export function answeredVideo(answer: GbSdp, offer: MediaOffer): SdpMedia {
  const media = answer.media.find((m) => m.type === 'video');
  if (media === undefined) throw refused('the answer has no video media');
  if (isTcpRtpProtocol(media.protocol) !== isTcpRtpProtocol(offer.protocol)) {
    throw refused(`the device answered ${media.protocol} to a ${offer.protocol} offer`);
  }
  if (offer.setup !== undefined && media.setup === offer.setup) {
    throw refused(`the device answered a=setup:${media.setup} to a=setup:${offer.setup}`);
  }
  return media;
}

/** The payload type the answer gives PS (`a=rtpmap:<pt> PS/90000`), 96 where it names none. */
export function answeredPsPayloadType(media: SdpMedia): number {
  const ps = media.payloads.find((p) => p.encoding.toUpperCase() === 'PS');
  return ps?.pt ?? DEFAULT_PS_PAYLOAD_TYPE;
}

function refused(reason: string): ArgusError {
  return new ArgusError(errorCodes.UNAVAILABLE, `Cannot start live video: ${reason}`);
}
