/**
 * Faults the simulated camera can put into its RTP stream (`--fault`), the way bad networks
 * and bending devices do: lost, reordered and duplicated packets, SSRC 0, and program
 * streams without system header and stream map. Seeded, so a run can be repeated.
 */
import { buildRtpPacket, parseRtpPacket } from '../media-node/formats/rtp.ts';

export interface StreamFaults {
  /** Packets dropped, in percent. */
  loss: number;
  /** Packets held back and sent out of order within this many packets (0: in order). */
  reorder: number;
  /** Packets sent twice, in percent. */
  duplicate: number;
  /** SSRC 0 in every packet, whatever `y=` said. */
  ssrc0: boolean;
  /** system_header and program_stream_map removed from the packs. */
  noPsm: boolean;
  seed: number;
}

export const NO_FAULTS: StreamFaults = {
  loss: 0,
  reorder: 0,
  duplicate: 0,
  ssrc0: false,
  noPsm: false,
  seed: 1,
};

const FLAGS = { ssrc0: 'ssrc0', 'no-psm': 'noPsm' } as const;
const NUMBERS = { loss: [0, 100], reorder: [0, 64], duplicate: [0, 100], seed: [0, 2 ** 32 - 1] };

/**
 * Reads `loss=1,reorder=8,duplicate=1,ssrc0,no-psm,seed=7`. Throws an Error naming the item
 * where one is unknown or out of its range.
 */
export function parseFaults(spec: string): StreamFaults {
  const faults = { ...NO_FAULTS };
  for (const item of spec.split(',').filter((part) => part !== '')) {
    const [name = '', value] = item.split('=');
    if (value === undefined && name in FLAGS) {
      faults[FLAGS[name as keyof typeof FLAGS]] = true;
      continue;
    }
    const range = NUMBERS[name as keyof typeof NUMBERS] as [number, number] | undefined;
    const number = Number(value);
    if (range === undefined || value === undefined || !(number >= range[0] && number <= range[1])) {
      throw new Error(`Cannot read --fault: unknown item or value out of range: ${item}`);
    }
    faults[name as keyof typeof NUMBERS] = number;
  }
  return faults;
}

/** A small seeded PRNG (mulberry32). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Wraps `send` (one RTP packet per call) with the faults. Reordered packets wait in a window
 * of `reorder` packets and leave it in random order; those still waiting when the stream
 * stops are never sent.
 */
export function faultySender(
  send: (packet: Uint8Array) => void,
  faults: StreamFaults,
): (packet: Uint8Array) => void {
  const random = seeded(faults.seed);
  const held: Uint8Array[] = [];
  const out = (packet: Uint8Array) => {
    if (faults.reorder === 0) return send(packet);
    held.push(packet);
    if (held.length <= faults.reorder) return;
    const [next] = held.splice(Math.floor(random() * held.length), 1);
    if (next !== undefined) send(next);
  };
  return (packet) => {
    if (random() * 100 < faults.loss) return;
    const bent = faults.ssrc0 || faults.noPsm ? bend(packet, faults) : packet;
    out(bent);
    if (random() * 100 < faults.duplicate) out(bent);
  };
}

function bend(bytes: Uint8Array, faults: StreamFaults): Uint8Array {
  const packet = parseRtpPacket(bytes);
  const payload = faults.noPsm ? withoutStreamMap(packet.payload) : packet.payload;
  return buildRtpPacket({ ...packet, payload, ssrc: faults.ssrc0 ? 0 : packet.ssrc });
}

const PACK_HEADER_BYTES = 14;

/**
 * A payload that opens with a pack_header (ISO/IEC 13818-1 §2.5.3.3), without the
 * system_header (0xBB) and program_stream_map (0xBC) that follow it; others unchanged.
 */
export function withoutStreamMap(payload: Uint8Array): Uint8Array {
  if (!startsWith(payload, 0, 0xba)) return payload;
  const packEnd = PACK_HEADER_BYTES + ((payload[13] ?? 0) & 0x07);
  let at = packEnd;
  while (startsWith(payload, at, 0xbb) || startsWith(payload, at, 0xbc)) {
    at += 6 + (((payload[at + 4] ?? 0) << 8) | (payload[at + 5] ?? 0));
  }
  if (at === packEnd || at > payload.length) return payload;
  const out = new Uint8Array(payload.length - (at - packEnd));
  out.set(payload.subarray(0, packEnd));
  out.set(payload.subarray(at), packEnd);
  return out;
}

function startsWith(bytes: Uint8Array, at: number, streamId: number): boolean {
  return (
    bytes[at] === 0 && bytes[at + 1] === 0 && bytes[at + 2] === 1 && bytes[at + 3] === streamId
  );
}
