/**
 * Queries whose answer comes back later (GB/T 28181-2016 §9.5): the platform's MESSAGE is
 * answered 200 at once, and the device then sends a MESSAGE `Response` with the same CmdType
 * and SN. This pairs them: `ask` waits for the answer of one query, `answer` is offered every
 * Response a registered device sends. Some firmwares answer with an SN of their own, so an
 * answer with no exact match goes to the oldest waiting query of that device and CmdType.
 */
import { ArgusError, errorCodes } from '../../src/errors.ts';
import type { ManscdpMessage } from '../formats/manscdp.ts';

/** How long a device gets to answer a query, by default. */
export const defaultQueryTimeoutMs = 10_000;

interface Pending {
  readonly deviceId: string;
  readonly cmdType: string;
  /** Undefined until the query is sent. */
  sn: number | undefined;
  readonly resolve: (message: ManscdpMessage) => void;
}

export class DeviceQueries {
  /** In the order asked, so the oldest of a kind is found first. */
  readonly #pending = new Set<Pending>();

  /**
   * Sends a query with `send` (which returns the SN it used) and resolves with the device's
   * answer.
   * @throws ArgusError UNAVAILABLE when the device does not answer within `timeoutMs`, or
   *   whatever `send` throws (the device refused the query, is offline)
   */
  async ask(
    deviceId: string,
    cmdType: string,
    send: () => Promise<number>,
    timeoutMs = defaultQueryTimeoutMs,
  ): Promise<ManscdpMessage> {
    // Registered before sending: the answer may arrive before `send` resolves (over UDP it
    // often does); until then its SN is unknown and any answer of the kind matches.
    let timer: ReturnType<typeof setTimeout> | undefined;
    let entry: Pending | undefined;
    const answered = new Promise<ManscdpMessage>((resolve, reject) => {
      entry = { deviceId, cmdType, sn: undefined, resolve };
      timer = setTimeout(() => {
        reject(
          new ArgusError(
            errorCodes.UNAVAILABLE,
            `Cannot query ${cmdType}: device ${deviceId} did not answer within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
    });
    if (entry === undefined) throw new Error('unreachable: the executor runs synchronously');
    const pending = entry;
    this.#pending.add(pending);
    try {
      pending.sn = await send();
      return await answered;
    } finally {
      clearTimeout(timer);
      this.#pending.delete(pending);
    }
  }

  /** Gives a device's Response to the query waiting for it; false where none was. */
  answer(deviceId: string, message: ManscdpMessage): boolean {
    if (message.root !== 'Response') return false;
    let oldest: Pending | undefined;
    for (const pending of this.#pending) {
      if (pending.deviceId !== deviceId || pending.cmdType !== message.cmdType) continue;
      if (pending.sn === message.sn) return this.#settle(pending, message);
      oldest ??= pending;
    }
    return oldest === undefined ? false : this.#settle(oldest, message);
  }

  #settle(pending: Pending, message: ManscdpMessage): boolean {
    this.#pending.delete(pending);
    pending.resolve(message);
    return true;
  }
}
