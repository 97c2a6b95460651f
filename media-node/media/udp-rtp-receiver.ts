/**
 * RTP over UDP on a port of the session's own: every datagram is one RTP or RTCP packet.
 * The port locks to the first sender, so that stray packets cannot join the stream. UDP has
 * no connection to lose: a device that stops sending is found by the sessions' watchdog.
 */
import type { RemoteInfo } from 'node:dgram';

import type { GbSdp, SdpMedia } from '../formats/sdp.ts';
import type { MediaOffer } from '../gb/live-invite.ts';
import type { RtpIngest } from './rtp-ingest.ts';
import type { UdpRtpPort } from './rtp-port-pool.ts';
import { answeredVideo, type RtpReceiver } from './rtp-receiver.ts';

export class UdpRtpReceiver implements RtpReceiver {
  readonly offer: MediaOffer;
  readonly #rtp: UdpRtpPort;
  readonly #ingest: RtpIngest;
  readonly #release: (rtp: UdpRtpPort) => void;
  /** The first sender's address and port; compared field by field, per datagram. */
  #sourceAddress: string | undefined;
  #sourcePort = 0;

  constructor(rtp: UdpRtpPort, ingest: RtpIngest, release: (rtp: UdpRtpPort) => void) {
    this.#rtp = rtp;
    this.#ingest = ingest;
    this.#release = release;
    this.offer = { port: rtp.port, protocol: 'RTP/AVP' };
    rtp.socket.on('message', (bytes, rinfo) => this.#receive(bytes, rinfo));
  }

  get port(): number {
    return this.#rtp.port;
  }

  stats(): Record<string, number> {
    return {};
  }

  async start(answer: GbSdp): Promise<SdpMedia> {
    return answeredVideo(answer, this.offer);
  }

  onEnd(): void {
    // A datagram socket is never ended by the device.
  }

  close(): void {
    this.#release(this.#rtp);
  }

  // Runs per datagram: no string is built to compare the source.
  #receive(bytes: Buffer, rinfo: RemoteInfo): void {
    if (this.#sourceAddress === undefined) {
      this.#sourceAddress = rinfo.address;
      this.#sourcePort = rinfo.port;
    } else if (rinfo.port !== this.#sourcePort || rinfo.address !== this.#sourceAddress) {
      this.#ingest.noteForeign();
      return;
    }
    this.#ingest.push(bytes);
  }
}
