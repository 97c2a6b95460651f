/**
 * How far a live viewer may fall behind. Bytes a viewer has not taken yet wait in its
 * connection (the socket's write buffer, a WebSocket's bufferedAmount): that is its queue,
 * and these rules bound it. Pure decisions: the hub measures and acts.
 */

/** Bounds of one viewer's queue. */
export interface BacklogLimits {
  /** Above this, frames are skipped until a keyframe finds the queue below it again. */
  readonly skipAboveBytes: number;
  /** Above this, the viewer is dropped. */
  readonly dropAboveBytes: number;
  /** A viewer still behind at this many keyframes in a row is dropped. */
  readonly maxSkippedKeyframes: number;
}

/** 2 MiB is several seconds of a 2 Mbit/s stream; 8 MiB is past any player's buffer. */
export const defaultBacklogLimits: BacklogLimits = {
  skipAboveBytes: 2 * 1024 * 1024,
  dropAboveBytes: 8 * 1024 * 1024,
  maxSkippedKeyframes: 5,
};

/**
 * What a tag is to a viewer: `header` (metadata, sequence headers: always needed),
 * `keyframe` (where a skipping viewer can resume) or `frame` (anything else).
 */
export type TagRole = 'header' | 'keyframe' | 'frame';

/** Send the tag, skip it, or drop the viewer for the reason given. */
export type Delivery = { action: 'send' } | { action: 'skip' } | { action: 'drop'; reason: string };

const SEND: Delivery = { action: 'send' };
const SKIP: Delivery = { action: 'skip' };

/**
 * One viewer's state against its limits: it is sent everything while its queue is short;
 * once the queue passes `skipAboveBytes` it skips to the next keyframe (headers still go, so
 * the keyframe decodes), resumes there if the queue drained, and is dropped where the queue
 * passes `dropAboveBytes` or stays long through `maxSkippedKeyframes` keyframes.
 */
export class ViewerBacklog {
  /** Tags not sent because the viewer was behind. */
  skippedTags = 0;
  /** Times the viewer fell behind and started skipping. */
  stalls = 0;
  #skipping = false;
  #keyframesSkipped = 0;

  constructor(private readonly limits: BacklogLimits = defaultBacklogLimits) {}

  /** Whether the viewer is skipping to a keyframe now. */
  get skipping(): boolean {
    return this.#skipping;
  }

  /** Decides for one tag, given the bytes still queued for the viewer. */
  decide(role: TagRole, queuedBytes: number): Delivery {
    const { skipAboveBytes, dropAboveBytes, maxSkippedKeyframes } = this.limits;
    if (queuedBytes > dropAboveBytes) {
      return { action: 'drop', reason: `backlog above ${dropAboveBytes} bytes: ${queuedBytes}` };
    }
    if (role === 'header') return SEND;
    if (!this.#skipping && queuedBytes <= skipAboveBytes) return SEND;

    if (!this.#skipping) this.#startSkipping();
    else if (role === 'keyframe' && queuedBytes <= skipAboveBytes) return this.#resume();
    else if (role === 'keyframe' && ++this.#keyframesSkipped >= maxSkippedKeyframes) {
      const reason = `behind through ${maxSkippedKeyframes} keyframes: ${queuedBytes} bytes queued`;
      return { action: 'drop', reason };
    }
    this.skippedTags += 1;
    return SKIP;
  }

  #startSkipping(): void {
    this.#skipping = true;
    this.#keyframesSkipped = 0;
    this.stalls += 1;
  }

  #resume(): Delivery {
    this.#skipping = false;
    return SEND;
  }
}
