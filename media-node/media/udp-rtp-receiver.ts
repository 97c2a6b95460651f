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
  #source: string | undefined;

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

  #receive(bytes: Buffer, rinfo: RemoteInfo): void {
    const source = `${rinfo.address}:${rinfo.port}`;
    this.#source ??= source;
    if (source !== this.#source) {
      this.#ingest.noteForeign();
      return;
    }
    this.#ingest.push(bytes);
  }
}
