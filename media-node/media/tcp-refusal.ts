/**
 * Cameras that cannot send RTP over TCP say so in one of two ways: they answer the TCP offer
 * with an error status (488 Not Acceptable Here, 415 Unsupported Media Type, 400 Bad
 * Request), or they answer 200 with an SDP that offers only RTP/AVP. Either way the live
 * session retries once over UDP (GB/T 28181-2016 §F allows both transports).
 */
import { ArgusError, errorCodes, isArgusError } from '../../src/errors.ts';
import { isTcpRtpProtocol, type GbSdp } from '../formats/sdp.ts';

/** Statuses with which devices refuse an offer's media rather than the call (RFC 3261 §21.4). */
export const TCP_REFUSAL_STATUSES: ReadonlySet<number> = new Set([400, 415, 488]);

/**
 * Why a failed TCP INVITE is worth one retry over UDP, or undefined where it is not: the
 * device answered one of TCP_REFUSAL_STATUSES (invitePlay puts the status in the error's
 * details), or answered only RTP/AVP (checkTcpAnswer).
 */
export function tcpRefusalOf(error: unknown): string | undefined {
  if (!isArgusError(error, errorCodes.UNAVAILABLE)) return undefined;
  const { status, answeredProtocol } = error.details;
  if (typeof status === 'number' && TCP_REFUSAL_STATUSES.has(status)) return `status ${status}`;
  if (typeof answeredProtocol === 'string') return `answered ${answeredProtocol}`;
  return undefined;
}

/**
 * Checks that the answer to a TCP offer keeps TCP.
 * @throws ArgusError UNAVAILABLE with `answeredProtocol` in its details where the answer's
 *   video is on RTP/AVP (UDP) only
 */
export function checkTcpAnswer(answer: GbSdp): void {
  const video = answer.media.find((m) => m.type === 'video');
  if (video === undefined || isTcpRtpProtocol(video.protocol)) return;
  throw new ArgusError(
    errorCodes.UNAVAILABLE,
    `Cannot receive RTP over TCP: the device answered ${video.protocol} to a TCP offer`,
    { answeredProtocol: video.protocol },
  );
}
