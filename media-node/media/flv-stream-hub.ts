/**
 * Fans one channel's frames out to its FLV viewers (HTTP-FLV and WS-FLV alike): H.264 or
 * H.265 video with AAC or G.711 audio, muxed once by FlvMuxer. Keeps the tags since the last
 * keyframe, so that a viewer who joins starts at once with a picture: the FLV header,
 * metadata and sequence headers, then the cached GOP, then live tags. A viewer who joins
 * before the first keyframe waits for it. A channel found to send only audio (audio-only.ts)
 * is served without video: every audio tag is a point to start or resume at, and the last
 * ones are cached instead of a GOP. A slow viewer never holds the others back: its
 * queue is bounded by viewer-backlog.ts, and it skips to a keyframe or is dropped.
 */
import type { Logger } from '../../src/logger.ts';
import { concatBytes } from '../formats/bytes.ts';
import { AUDIO_ONLY_AFTER_FRAMES, AudioOnlyDecider } from '../formats/audio-only.ts';
import { FLV_TAG_TYPE, FlvMuxer, isFlvKeyframe, isFlvSequenceHeader } from '../formats/flv.ts';
import type { ElementaryFrame } from '../formats/ps-demuxer.ts';
import { ViewerBacklog, defaultBacklogLimits } from './viewer-backlog.ts';
import type { BacklogLimits, TagRole } from './viewer-backlog.ts';

export interface Viewer {
  /** Queues bytes for the viewer. */
  write(chunk: Uint8Array): void;
  /** Ends the viewer's stream cleanly (the upstream ended). */
  end(): void;
  /** Closes the viewer's connection at once: it fell too far behind. */
  abort(reason: string): void;
  /** Bytes written but not yet taken by the viewer's connection. */
  readonly queuedBytes: number;
}

/** What one viewer was given, reported when it leaves. */
export interface ViewerStats {
  bytesOut: number;
  skippedTags: number;
  stalls: number;
}

export interface FlvStreamHubOptions {
  readonly logger: Logger;
  readonly limits?: BacklogLimits;
}

interface ViewerState {
  started: boolean;
  bytesOut: number;
  readonly backlog: ViewerBacklog;
}

interface RoledTag {
  readonly tag: Uint8Array;
  readonly role: TagRole;
}

/** A GOP larger than this is not cached (a broken stream with no keyframes). */
const maxGopBytes = 16 * 1024 * 1024;
/** Audio tags cached for late viewers of an audio-only channel: all the held audio. */
const audioOnlyCachedTags = AUDIO_ONLY_AFTER_FRAMES;

export class FlvStreamHub {
  readonly #muxer = new FlvMuxer();
  readonly #viewers = new Map<Viewer, ViewerState>();
  readonly #logger: Logger;
  readonly #limits: BacklogLimits;
  readonly #audioOnly = new AudioOnlyDecider();
  #gop: Uint8Array[] = [];
  #gopBytes = 0;
  #frames = 0;
  #bytesOut = 0;

  constructor(options: FlvStreamHubOptions) {
    this.#logger = options.logger;
    this.#limits = options.limits ?? defaultBacklogLimits;
  }

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

  /** Counters of the muxer (parameter sets and ADTS it could not use). */
  get muxerStats() {
    return this.#muxer.stats;
  }

  push(frame: ElementaryFrame): void {
    const held = this.#audioOnly.observe(frame) ? this.#muxer.startWithoutVideo() : [];
    const muxed = this.#muxer.push(frame);
    const tags = (held.length === 0 ? muxed : [...held, ...muxed]).map((tag) => this.#roled(tag));
    if (tags.length === 0) return;
    if (frame.kind === 'video') this.#frames++;
    for (const tag of tags) this.#cache(tag);

    for (const [viewer, state] of this.#viewers) {
      if (state.started) this.#deliver(viewer, state, tags);
      else this.#start(viewer, state);
    }
  }

  /** Adds a viewer: it gets the header and the cached GOP now (or at the first keyframe). */
  attach(viewer: Viewer): void {
    const state: ViewerState = {
      started: false,
      bytesOut: 0,
      backlog: new ViewerBacklog(this.#limits),
    };
    this.#viewers.set(viewer, state);
    this.#start(viewer, state);
  }

  /** Removes a viewer; returns what it was given, or undefined where it was not attached. */
  detach(viewer: Viewer): ViewerStats | undefined {
    const state = this.#viewers.get(viewer);
    this.#viewers.delete(viewer);
    return state === undefined ? undefined : statsOf(state);
  }

  /** Ends every viewer (the upstream ended). */
  close(): void {
    for (const viewer of this.#viewers.keys()) viewer.end();
    this.#viewers.clear();
  }

  /** FlvMuxer.push writes sequence headers, frames and audio (metadata only in headerTags()). */
  #roled(tag: Uint8Array): RoledTag {
    if (isFlvSequenceHeader(tag)) return { tag, role: 'header' };
    // Every audio frame decodes on its own: without video, a viewer may start at any.
    const audioOnly = this.#muxer.audioOnly && tag[0] === FLV_TAG_TYPE.audio;
    return { tag, role: audioOnly || isFlvKeyframe(tag) ? 'keyframe' : 'frame' };
  }

  #cache({ tag, role }: RoledTag): void {
    if (role === 'header') return; // a late viewer gets the latest ones from headerTags()
    if (this.#muxer.audioOnly) return this.#cacheAudio(tag);
    if (role === 'keyframe') {
      this.#gop = [];
      this.#gopBytes = 0;
    }
    if (this.#gopBytes + tag.length > maxGopBytes) return;
    this.#gop.push(tag);
    this.#gopBytes += tag.length;
  }

  #cacheAudio(tag: Uint8Array): void {
    this.#gop.push(tag);
    this.#gopBytes += tag.length;
    if (this.#gop.length > audioOnlyCachedTags) this.#gopBytes -= this.#gop.shift()?.length ?? 0;
  }

  // The stream starts at a keyframe (or audio): until one is cached a new viewer waits.
  #start(viewer: Viewer, state: ViewerState): void {
    if (this.#gop.length === 0) return;
    const header = [this.#muxer.fileHeader(), ...this.#muxer.headerTags(), ...this.#gop];
    state.started = true;
    this.#send(viewer, state, concatBytes(header));
  }

  #deliver(viewer: Viewer, state: ViewerState, tags: RoledTag[]): void {
    for (const { tag, role } of tags) {
      const delivery = state.backlog.decide(role, viewer.queuedBytes);
      if (delivery.action === 'drop') return this.#drop(viewer, state, delivery.reason);
      if (delivery.action === 'send') this.#send(viewer, state, tag);
    }
  }

  #drop(viewer: Viewer, state: ViewerState, reason: string): void {
    this.#viewers.delete(viewer);
    this.#logger.warn({ reason, ...statsOf(state) }, 'viewer dropped');
    viewer.abort(reason);
  }

  #send(viewer: Viewer, state: ViewerState, bytes: Uint8Array): void {
    this.#bytesOut += bytes.length;
    state.bytesOut += bytes.length;
    viewer.write(bytes);
  }
}

function statsOf(state: ViewerState): ViewerStats {
  const { skippedTags, stalls } = state.backlog;
  return { bytesOut: state.bytesOut, skippedTags, stalls };
}
