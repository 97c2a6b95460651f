/**
 * Fans one channel's frames out to its viewers as HTTP-FLV. Keeps the tags since the last
 * keyframe, so that a viewer who joins starts at once with a picture: FLV header, metadata,
 * AVC sequence header, then the cached GOP, then live tags.
 */
import { flvHeader, FlvH264Muxer } from '../formats/flv.ts';
import type { ElementaryFrame } from '../formats/ps-demuxer.ts';

export interface Viewer {
  /** Writes bytes to the viewer. */
  write(chunk: Uint8Array): void;
  /** Ends the viewer's response (the stream ended). */
  end(): void;
}

/** A GOP larger than this is not cached (a broken stream with no keyframes). */
const maxGopBytes = 16 * 1024 * 1024;

export class FlvStreamHub {
  readonly #muxer = new FlvH264Muxer();
  readonly #viewers = new Set<Viewer>();
  #gop: Uint8Array[] = [];
  #gopBytes = 0;
  #frames = 0;
  #bytesOut = 0;

  get viewerCount(): number {
    return this.#viewers.size;
  }

  /** Video frames muxed since start. */
  get frames(): number {
    return this.#frames;
  }

  /** Bytes written to viewers since start. */
  get bytesOut(): number {
    return this.#bytesOut;
  }

  push(frame: ElementaryFrame): void {
    // Audio and H.265 reach viewers through later muxers; this hub carries H.264.
    if (frame.kind !== 'video' || frame.codec !== 'h264') return;
    const tags = this.#muxer.push(frame);
    if (tags.length === 0) return;
    this.#frames++;

    for (const tag of tags) {
      if (isSequenceHeader(tag) || tag[0] === 18) continue; // sent apart to new viewers
      if (frame.keyframe && isKeyframeTag(tag)) {
        this.#gop = [];
        this.#gopBytes = 0;
      }
      if (this.#gopBytes + tag.length <= maxGopBytes) {
        this.#gop.push(tag);
        this.#gopBytes += tag.length;
      }
    }
    for (const viewer of this.#viewers) for (const tag of tags) this.#send(viewer, tag);
  }

  /** Adds a viewer: it gets the header and the cached GOP now, live tags after. */
  attach(viewer: Viewer): void {
    this.#send(viewer, flvHeader({ video: true, audio: false }));
    const metadata = this.#muxer.metadataTag();
    const sequenceHeader = this.#muxer.sequenceHeaderTag();
    if (metadata !== undefined) this.#send(viewer, metadata);
    if (sequenceHeader !== undefined) {
      this.#send(viewer, sequenceHeader);
      for (const tag of this.#gop) this.#send(viewer, tag);
    }
    this.#viewers.add(viewer);
  }

  detach(viewer: Viewer): void {
    this.#viewers.delete(viewer);
  }

  /** Ends every viewer (the upstream ended). */
  close(): void {
    for (const viewer of this.#viewers) viewer.end();
    this.#viewers.clear();
  }

  #send(viewer: Viewer, bytes: Uint8Array): void {
    this.#bytesOut += bytes.length;
    viewer.write(bytes);
  }
}

/** FLV video tag (type 9) whose AVCPacketType (body byte 1) is 0: sequence header. */
function isSequenceHeader(tag: Uint8Array): boolean {
  return tag[0] === 9 && tag[12] === 0;
}

/** FLV video tag whose frame type (high nibble of body byte 0) is 1: keyframe. */
function isKeyframeTag(tag: Uint8Array): boolean {
  return tag[0] === 9 && (tag[11] ?? 0) >> 4 === 1;
}
