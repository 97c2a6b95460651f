/**
 * One incoming RTP stream, whatever carried it: UDP datagrams or RFC 4571 frames from a TCP
 * connection are pushed here one packet at a time. RTCP is set apart (RFC 5761 §4), RTP is
 * parsed, held to one SSRC, put back in sequence order, demuxed from MPEG-2 PS into frames,
 * and the marker bit ends a frame (GB/T 28181-2016 §C.2). Trouble is counted, and logged at
 * most once per kind and session, never per packet.
 */
import type { Logger } from '../../src/logger.ts';
import { PsDemuxer, type ElementaryFrame } from '../formats/ps-demuxer.ts';
import { isRtcp } from '../formats/rfc4571.ts';
import { parseRtpPacket, type RtpPacket } from '../formats/rtp.ts';
import {
  RTP_PAYLOAD_DESCRIPTIONS,
  RtpPayloadSniffer,
  type RtpPayloadKind,
} from '../formats/rtp-payload-sniff.ts';
import { RTP_REORDER_DEPTH } from '../formats/limits.ts';
import { RtpReorderBuffer, type OrderedPacket } from '../formats/rtp-reorder.ts';

export interface RtpIngestStats {
  packets: number;
  bytes: number;
  malformed: number;
  /** Packets from another source address (UDP) or of another SSRC. */
  foreign: number;
  lost: number;
  /** Packets that arrived out of order and were put back in place. */
  reordered: number;
  /** Copies of packets already received, dropped. */
  duplicates: number;
  rtcp: number;
  /** Times the sender's SSRC changed for good (a restarted encoder). */
  ssrcChanges: number;
  /** Packets whose payload type is not the negotiated one. */
  otherPayloadType: number;
  /** Video frames held back after a loss, until the next keyframe. */
  skippedUntilKeyframe: number;
}

export interface RtpIngestOptions {
  readonly onFrame: (frame: ElementaryFrame) => void;
  /** Scoped to the session (deviceId, channelId). */
  readonly logger: Logger;
  readonly now?: () => number;
  /**
   * The transport keeps packets in order (RTP over TCP, RFC 4571): nothing is held to be
   * reordered, so a frame goes out with its last packet. Duplicates are still dropped, and a
   * gap in the sequence numbers is still a loss (video then waits for the next keyframe).
   */
  readonly ordered?: boolean;
}

/** What the device's answer promised (GB/T 28181-2016 §F: `y=`, `a=rtpmap`). */
export interface NegotiatedRtp {
  readonly ssrc: number;
  readonly payloadType: number;
}

/** Consecutive packets of a new SSRC after which it replaces the old one. */
const SSRC_TAKEOVER_PACKETS = 64;
/** Packets after which a stream that yielded no PS pack is reported as not PS. */
const PAYLOAD_CHECK_PACKETS = 50;
/** Frame-opening payloads sniffed; enough to name the kind, cheap on a long stream. */
const PAYLOADS_SNIFFED = 64;
const DEFAULT_PAYLOAD_TYPE = 96;

export class RtpIngest {
  readonly stats: RtpIngestStats = {
    packets: 0,
    bytes: 0,
    malformed: 0,
    foreign: 0,
    lost: 0,
    reordered: 0,
    duplicates: 0,
    rtcp: 0,
    ssrcChanges: 0,
    otherPayloadType: 0,
    skippedUntilKeyframe: 0,
  };
  readonly #reorder: RtpReorderBuffer;
  readonly #demuxer = new PsDemuxer();
  readonly #sniffer = new RtpPayloadSniffer();
  readonly #options: RtpIngestOptions;
  #ssrc: number | undefined;
  #newSsrcRun = 0;
  #negotiated: NegotiatedRtp | undefined;
  #ssrcMismatchLogged = false;
  #payloadProblem: string | undefined;
  #sniffed = 0;
  #payloadType: number | undefined;
  #frameStart = true;
  #awaitKeyframe = false;
  #lastPacketAt = 0;
  #firstPacketAt: number | undefined;
  #markersMeaningful = false;

  constructor(options: RtpIngestOptions) {
    this.#options = options;
    // Depth 0 holds nothing: an ordered transport has no late packets to wait for.
    this.#reorder = new RtpReorderBuffer(options.ordered === true ? 0 : RTP_REORDER_DEPTH);
  }

  /** When the last RTP packet arrived (ms since epoch), 0 before the first. */
  get lastPacketAt(): number {
    return this.#lastPacketAt;
  }

  /** When the first RTP packet was accepted (ms since epoch), undefined before. */
  get firstPacketAt(): number | undefined {
    return this.#firstPacketAt;
  }

  /** The SSRC the sender uses: devices do not always use the one offered in `y=`. */
  get ssrc(): number | undefined {
    return this.#ssrc;
  }

  get demuxStats() {
    return this.#demuxer.stats;
  }

  /** What the frame-opening payloads look like. */
  get payloadKind(): RtpPayloadKind {
    return this.#sniffer.verdict;
  }

  /** Why the payload cannot be demuxed, once enough packets arrived to tell. */
  get payloadProblem(): string | undefined {
    return this.#payloadProblem;
  }

  /** Fields for the session's stop line: counters, SSRC and payload findings. */
  diagnostics(): Record<string, number | string> {
    const fields: Record<string, number | string> = { ...this.stats, payload: this.payloadKind };
    if (this.#ssrc !== undefined) fields['ssrc'] = this.#ssrc;
    if (this.#payloadProblem !== undefined) fields['payloadProblem'] = this.#payloadProblem;
    return fields;
  }

  /**
   * Takes what the device's answer said. On a dedicated port or connection any SSRC is
   * accepted (devices send 0 or their own); a mismatch is logged once.
   */
  expect(negotiated: NegotiatedRtp): void {
    this.#negotiated = negotiated;
    this.#checkSsrc();
  }

  /** Counts a packet the transport refused (UDP from another source). */
  noteForeign(): void {
    this.stats.foreign++;
  }

  /** Counts RTCP packets the transport set apart itself (the RFC 4571 framer). */
  noteRtcp(count: number): void {
    this.stats.rtcp += count;
  }

  /** Takes one RTP or RTCP packet, as it came off the wire. */
  push(bytes: Uint8Array): void {
    if (isRtcp(bytes)) {
      this.stats.rtcp++;
      return;
    }
    const packet = this.#parse(bytes);
    if (packet === undefined) return;
    if (!this.#acceptSsrc(packet.ssrc)) {
      this.stats.foreign++;
      return;
    }

    this.#count(packet, bytes.length);
    for (const ordered of this.#reorder.push(packet)) this.#demux(ordered);
    this.stats.lost = this.#reorder.lost;
    this.stats.reordered = this.#reorder.reordered;
    this.stats.duplicates = this.#reorder.duplicates;
    this.#checkPayload();
  }

  #parse(bytes: Uint8Array): RtpPacket | undefined {
    try {
      return parseRtpPacket(bytes);
    } catch {
      this.stats.malformed++;
      return undefined;
    }
  }

  /** Locks to the first SSRC; a new one takes over after a run of its packets. */
  #acceptSsrc(ssrc: number): boolean {
    if (ssrc === this.#ssrc) {
      this.#newSsrcRun = 0;
      return true;
    }
    if (this.#ssrc !== undefined && ++this.#newSsrcRun < SSRC_TAKEOVER_PACKETS) return false;
    if (this.#ssrc !== undefined) this.stats.ssrcChanges++;
    this.#ssrc = ssrc;
    this.#newSsrcRun = 0;
    this.#checkSsrc();
    return true;
  }

  #checkSsrc(): void {
    const expected = this.#negotiated?.ssrc;
    const actual = this.#ssrc;
    if (this.#ssrcMismatchLogged || expected === undefined || actual === undefined) return;
    if (expected === actual) return;
    this.#ssrcMismatchLogged = true;
    this.#options.logger.info({ expected, actual }, 'ssrc mismatch accepted');
  }

  #count(packet: RtpPacket, length: number): void {
    this.stats.packets++;
    this.stats.bytes += length;
    this.#lastPacketAt = (this.#options.now ?? Date.now)();
    this.#firstPacketAt ??= this.#lastPacketAt;
    this.#payloadType = packet.payloadType;
    if (packet.payloadType !== this.#negotiatedPayloadType()) this.stats.otherPayloadType++;
  }

  #demux(ordered: OrderedPacket): void {
    if (this.#frameStart && this.#sniffed < PAYLOADS_SNIFFED) {
      this.#sniffed++;
      this.#sniffer.observe(ordered.payload);
    }
    this.#frameStart = ordered.marker;
    // A lost packet breaks the frame it belonged to and every frame predicted from it.
    if (ordered.afterLoss) this.#awaitKeyframe = true;
    for (const frame of this.#demuxer.push(ordered.payload, ordered.afterLoss, ordered.timestamp)) {
      this.#deliver(frame);
    }
    this.#endFrameOnMarker(ordered.marker);
  }

  /** Passes a frame on, except video after a loss until the next keyframe. */
  #deliver(frame: ElementaryFrame): void {
    if (frame.kind === 'video') {
      if (frame.keyframe) this.#awaitKeyframe = false;
      else if (this.#awaitKeyframe) {
        this.stats.skippedUntilKeyframe++;
        return;
      }
    }
    this.#options.onFrame(frame);
  }

  /**
   * The marker bit ends a frame (GB/T 28181-2016 §C.2), so the frame goes out without waiting
   * for the next one; some senders set it on every packet, and from those it means nothing.
   */
  #endFrameOnMarker(marker: boolean): void {
    if (!marker) {
      this.#markersMeaningful = true;
      return;
    }
    if (!this.#markersMeaningful) return;
    for (const frame of this.#demuxer.markFrameEnd()) this.#deliver(frame);
  }

  /** Once, after enough packets: a stream without a single PS pack is named for what it is. */
  #checkPayload(): void {
    if (this.#payloadProblem !== undefined || this.stats.packets !== PAYLOAD_CHECK_PACKETS) return;
    if (this.#demuxer.stats.packs > 0) return;
    const kind = this.payloadKind;
    const found = RTP_PAYLOAD_DESCRIPTIONS[kind];
    this.#payloadProblem = `Cannot demux RTP payload: ${found}, not MPEG-2 PS`;
    this.#options.logger.warn(
      {
        payload: kind,
        payloadType: this.#payloadType,
        negotiatedPayloadType: this.#negotiatedPayloadType(),
      },
      this.#payloadProblem,
    );
  }

  #negotiatedPayloadType(): number {
    return this.#negotiated?.payloadType ?? DEFAULT_PAYLOAD_TYPE;
  }
}
