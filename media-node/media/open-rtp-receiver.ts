/**
 * Picks a live session's RTP transport: UDP, or TCP with the node passive or active as
 * ARGUS_RTP_TCP_MODE says (GB/T 28181-2016 §F; RFC 4571, RFC 4145).
 */
import type { Logger } from '../../src/logger.ts';
import type { RtpIngest } from './rtp-ingest.ts';
import type { RtpPortPool } from './rtp-port-pool.ts';
import type { RtpReceiver, TcpMode } from './rtp-receiver.ts';
import { TcpActiveRtpReceiver } from './tcp-rtp-active.ts';
import { TcpPassiveRtpReceiver } from './tcp-rtp-passive.ts';
import { UdpRtpReceiver } from './udp-rtp-receiver.ts';

export interface RtpReceiverRequest {
  readonly transport: 'UDP' | 'TCP';
  readonly tcpMode: TcpMode;
  readonly ports: RtpPortPool;
  readonly ingest: RtpIngest;
  /** Scoped to the session. */
  readonly logger: Logger;
  /**
   * The address the device's SIP comes from: a passive TCP port accepts connections from it
   * only. Any address where absent.
   */
  readonly deviceAddress?: string;
}

/**
 * Opens the receiver; UDP and passive TCP take a port from the pool.
 * @throws ArgusError UNAVAILABLE where no port of the range is free
 */
export async function openRtpReceiver(request: RtpReceiverRequest): Promise<RtpReceiver> {
  const { ports, ingest, logger } = request;
  if (request.transport === 'UDP') {
    return new UdpRtpReceiver(await ports.acquireUdp(), ingest, (rtp) => ports.release(rtp));
  }
  if (request.tcpMode === 'active') return new TcpActiveRtpReceiver(ingest, logger);
  const rtp = await ports.acquireTcp();
  const release = (held: typeof rtp) => ports.release(held);
  return new TcpPassiveRtpReceiver(rtp, ingest, release, logger, request.deviceAddress);
}
