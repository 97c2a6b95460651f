/**
 * One HTTP-FLV viewer of the benchmark: reads the live URL with node:http, splits the body
 * into FLV tags as it arrives (FLV spec v10 §E.2–§E.4) and, for every video frame, the
 * latency from the sender's stamp (clip.ts) to the moment its bytes were received here.
 */
import { get, type ClientRequest } from 'node:http';

import { monotonicUs, readStamp } from './clip.ts';

const FLV_HEADER_BYTES = 9 + 4; // header and PreviousTagSize0
const TAG_HEADER_BYTES = 11;
const VIDEO_TAG = 9;
const AVC_NALU = 1;

export class FlvViewer {
  bytes = 0;
  /** Milliseconds from the request to the first video frame (not a sequence header). */
  firstFrameMs: number | undefined;
  /** Set by the caller: latencies (ms) are pushed to `latencies` while true. */
  recording = false;
  readonly latencies: number[] = [];
  #pending: Buffer = Buffer.alloc(0);
  #headerSeen = false;
  #request: ClientRequest | undefined;
  #startedUs = 0;
  #ended = false;

  /** Opens the URL; resolves once the response headers arrived (rejects on a non-200). */
  open(url: string): Promise<void> {
    this.#startedUs = monotonicUs();
    return new Promise((resolve, reject) => {
      this.#request = get(url, (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          reject(new Error(`Cannot open the live URL: HTTP ${response.statusCode}`));
          return;
        }
        response.on('data', (chunk: Buffer) => this.#take(chunk));
        response.on('end', () => (this.#ended = true));
        response.on('error', () => (this.#ended = true));
        resolve();
      });
      this.#request.on('error', (error) => {
        this.#ended = true;
        reject(error);
      });
    });
  }

  get ended(): boolean {
    return this.#ended;
  }

  close(): void {
    this.#ended = true;
    this.#request?.destroy();
  }

  #take(chunk: Buffer): void {
    const receivedUs = monotonicUs();
    this.bytes += chunk.length;
    let data = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    if (!this.#headerSeen) {
      if (data.length < FLV_HEADER_BYTES) {
        this.#pending = data;
        return;
      }
      this.#headerSeen = true;
      data = data.subarray(FLV_HEADER_BYTES);
    }
    let at = 0;
    while (at + TAG_HEADER_BYTES <= data.length) {
      const size = data.readUIntBE(at + 1, 3);
      const end = at + TAG_HEADER_BYTES + size + 4;
      if (end > data.length) break;
      if (data[at] === VIDEO_TAG)
        this.#onVideo(data.subarray(at + TAG_HEADER_BYTES, end - 4), receivedUs);
      at = end;
    }
    this.#pending = Buffer.from(data.subarray(at));
  }

  #onVideo(body: Uint8Array, receivedUs: number): void {
    if (body[1] !== AVC_NALU) return;
    this.firstFrameMs ??= (receivedUs - this.#startedUs) / 1000;
    if (!this.recording) return;
    const sentUs = readStamp(body);
    if (sentUs !== undefined) this.latencies.push((receivedUs - sentUs) / 1000);
  }
}
