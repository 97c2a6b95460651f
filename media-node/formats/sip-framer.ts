/**
 * Message framing of SIP over a byte stream (RFC 3261 §18.3): on TCP, Content-Length says
 * where a message ends; CRLFs between messages are keepalives (RFC 5626 §3.5.1). Pure: the
 * connection pushes chunks and parses the messages this returns.
 */
import { ArgusError, errorCodes } from '../../src/errors.ts';
import { SIP_MAX_MESSAGE_BYTES } from './limits.ts';
import { findHeaderEnd, parseContentLength } from './sip-message.ts';

const latin1 = new TextDecoder('latin1');

/** True where a datagram or chunk holds only CR and LF bytes: a keepalive, not a message. */
export function isSipKeepalive(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes.every((b) => b === 0x0d || b === 0x0a);
}

/**
 * Splits a TCP byte stream into whole SIP messages. After it throws, the stream has lost sync:
 * close the connection.
 */
export class SipStreamFramer {
  #buffer = new Uint8Array(4096);
  #start = 0;
  #end = 0;
  /** Where the search for the empty line resumes, so no byte is scanned twice. */
  #scanFrom = 0;
  /** Length of the message at #start once its header is known, else undefined. */
  #pending: number | undefined;
  readonly #maxBytes: number;

  constructor(options: { maxMessageBytes?: number } = {}) {
    this.#maxBytes = options.maxMessageBytes ?? SIP_MAX_MESSAGE_BYTES;
  }

  /**
   * Adds bytes from the stream and returns the messages they complete (each a copy).
   * @throws ArgusError SIP_TOO_LARGE where a message passes the size limit; SIP_MALFORMED
   *   where a header section has no valid, single Content-Length.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    this.#append(chunk);
    const messages: Uint8Array[] = [];
    for (let message = this.#next(); message !== undefined; message = this.#next()) {
      messages.push(message);
    }
    this.#compact();
    return messages;
  }

  /** Bytes held for a message not yet complete. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  #next(): Uint8Array | undefined {
    if (this.#pending === undefined) {
      this.#skipKeepalives();
      this.#pending = this.#readLength();
      if (this.#pending === undefined) return undefined;
    }
    const total = this.#pending;
    if (this.#end - this.#start < total) return undefined;

    const message = this.#buffer.slice(this.#start, this.#start + total);
    this.#start += total;
    this.#scanFrom = this.#start;
    this.#pending = undefined;
    return message;
  }

  #skipKeepalives(): void {
    while (this.#start < this.#end) {
      const byte = this.#buffer[this.#start];
      if (byte !== 0x0d && byte !== 0x0a) break;
      this.#start++;
    }
    this.#scanFrom = Math.max(this.#scanFrom, this.#start);
  }

  /** The full length of the message at #start, once its header section is in. */
  #readLength(): number | undefined {
    const view = this.#buffer.subarray(0, this.#end);
    const headerEnd = findHeaderEnd(view, this.#scanFrom);
    if (headerEnd === -1) {
      this.#checkSize(this.#end - this.#start);
      // The empty line may straddle chunks: resume three bytes back.
      this.#scanFrom = Math.max(this.#start, this.#end - 3);
      return undefined;
    }
    const head = latin1.decode(view.subarray(this.#start, headerEnd));
    const total = headerEnd - this.#start + contentLengthOf(head);
    this.#checkSize(total);
    return total;
  }

  #checkSize(bytes: number): void {
    if (bytes > this.#maxBytes) {
      throw new ArgusError(
        errorCodes.SIP_TOO_LARGE,
        `Cannot frame SIP stream: message too large: ${bytes} > ${this.#maxBytes} bytes`,
      );
    }
  }

  #append(chunk: Uint8Array): void {
    const needed = this.#end + chunk.length;
    if (needed > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2));
      grown.set(this.#buffer.subarray(0, this.#end));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.#end);
    this.#end = needed;
  }

  /** Moves unread bytes to the front so the buffer does not grow without bound. */
  #compact(): void {
    if (this.#start === 0) return;
    this.#buffer.copyWithin(0, this.#start, this.#end);
    this.#end -= this.#start;
    this.#scanFrom -= this.#start;
    this.#start = 0;
  }
}

/** The Content-Length of a header section (long or compact name); required on a stream. */
function contentLengthOf(head: string): number {
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const values = [...unfolded.matchAll(/^(?:content-length|l)[ \t]*:(.*)$/gim)].map((m) => m[1]);
  if (values.length !== 1) {
    throw new ArgusError(
      errorCodes.SIP_MALFORMED,
      values.length === 0
        ? 'Cannot frame SIP stream: missing Content-Length header'
        : `Cannot frame SIP stream: more than one Content-Length: ${values.length}`,
    );
  }
  return parseContentLength((values[0] ?? '').replace(/\r$/, ''));
}
