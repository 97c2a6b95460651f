/**
 * Downloads of device recordings (GB/T 28181-2016 §9.8, `s=Download`): the device sends the
 * range at `downloadspeed` times real time; the frames go to an MP4 file under the data
 * directory (download-file.ts). A download ends when the device says the range is over
 * (MediaStatus 121), when the media time reached covers the range, or with the dialog; its
 * progress (bytes, media time, percent of the range) is kept for the API to read, and the
 * finished file is served to holders of a download token (download-routes.ts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { ArgusError, errorCodes } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import type { ElementaryFrame } from '../formats/ps-demuxer.ts';
import { DownloadFile } from './download-file.ts';
import {
  historyEndReasons,
  type HistoryDialogs,
  type HistoryUpstream,
} from './playback-upstream.ts';

export interface DownloadSessionsOptions {
  readonly history: HistoryDialogs;
  readonly logger: Logger;
  /** Where files are written: `<dir>/<download_id>.mp4`. */
  readonly dir: string;
  /** Downloads remembered (running and finished); the oldest finished is forgotten first. */
  readonly maxKept?: number;
}

export interface DownloadRequest {
  readonly userId: string;
  readonly deviceId: string;
  readonly channelId: string;
  readonly start: Date;
  readonly end: Date;
  /** Times real time, 1–8. */
  readonly speed: number;
}

export type DownloadState = 'DOWNLOADING' | 'COMPLETED' | 'FAILED';

interface Download {
  readonly id: string;
  readonly request: DownloadRequest;
  readonly file: DownloadFile;
  state: DownloadState;
  reason?: string;
  upstream?: HistoryUpstream;
  finishedAt?: Date;
}

/** The progress the API answers. */
export interface DownloadProgress {
  readonly download_id: string;
  readonly device_id: string;
  readonly channel_id: string;
  readonly start_time: string;
  readonly end_time: string;
  readonly download_speed: number;
  readonly state: DownloadState;
  /** Why it ended: media_status_121, range_end, device_bye, no_media, … */
  readonly reason?: string;
  readonly bytes: number;
  /** Seconds of the range received. */
  readonly media_seconds: number;
  readonly percent: number;
}

const DEFAULT_MAX_KEPT = 1000;

export class DownloadSessions {
  readonly #options: DownloadSessionsOptions;
  readonly #downloads = new Map<string, Download>();

  constructor(options: DownloadSessionsOptions) {
    this.#options = options;
    mkdirSync(options.dir, { recursive: true });
  }

  /**
   * Invites the device for the range and starts writing the file.
   * @throws ArgusError UNAVAILABLE where the device cannot be reached or refuses
   */
  async start(request: DownloadRequest): Promise<DownloadProgress> {
    const id = crypto.randomUUID();
    const file = new DownloadFile(join(this.#options.dir, `${id}.mp4`));
    const download: Download = { id, request, file, state: 'DOWNLOADING' };
    try {
      download.upstream = await this.#options.history.open({
        deviceId: request.deviceId,
        channelId: request.channelId,
        transport: 'TCP',
        kind: 'Download',
        start: request.start,
        end: request.end,
        downloadSpeed: request.speed,
        onFrame: (frame) => this.#frame(download, frame),
        onEnd: (reason) => void this.#finish(download, reason),
      });
    } catch (error) {
      file.abort();
      throw error;
    }
    this.#remember(download);
    const { deviceId, channelId } = request;
    this.#options.logger.info({ deviceId, channelId, downloadId: id }, 'download started');
    return progressOf(download);
  }

  /** A download's progress, where it is known. */
  progress(id: string): DownloadProgress | undefined {
    const download = this.#downloads.get(id);
    return download === undefined ? undefined : progressOf(download);
  }

  /**
   * The finished file of a download of `userId`'s.
   * @throws ArgusError NOT_FOUND where there is none; CONFLICT while it is not finished
   */
  finishedFile(id: string, userId: string): { path: string; bytes: number } {
    const download = this.#downloads.get(id);
    if (download === undefined || download.request.userId !== userId) {
      throw new ArgusError(errorCodes.NOT_FOUND, `Cannot find download: ${id}`);
    }
    if (download.state !== 'COMPLETED') {
      throw new ArgusError(
        errorCodes.CONFLICT,
        `Cannot fetch download ${id}: it is ${download.state.toLowerCase()}`,
      );
    }
    return { path: download.file.path, bytes: download.file.bytes };
  }

  async close(): Promise<void> {
    const running = [...this.#downloads.values()].filter((d) => d.state === 'DOWNLOADING');
    await Promise.all(running.map((d) => this.#finish(d, 'shutdown')));
  }

  #frame(download: Download, frame: ElementaryFrame): void {
    if (download.state !== 'DOWNLOADING') return;
    download.file.push(frame);
    const length = (download.request.end.getTime() - download.request.start.getTime()) / 1000;
    // Video covers the range once its last frame is within one frame time of the end.
    if (download.file.mediaSeconds >= length - 0.04) void this.#finish(download, 'range_end');
  }

  async #finish(download: Download, reason: string): Promise<void> {
    if (download.state !== 'DOWNLOADING') return;
    const complete = reason === historyEndReasons.mediaStatus || reason === 'range_end';
    download.state = complete ? 'COMPLETED' : 'FAILED';
    download.reason = reason;
    download.finishedAt = new Date();
    const { deviceId, channelId } = download.request;
    const fields = { deviceId, channelId, downloadId: download.id, reason };
    void download.upstream?.close();
    try {
      await download.file.finish();
    } catch (err) {
      download.state = 'FAILED';
      this.#options.logger.error({ err, ...fields }, 'download not written');
      return;
    }
    const { bytes, mediaSeconds, ignoredInits } = download.file;
    this.#options.logger.info(
      { ...fields, state: download.state, bytes, mediaSeconds, ignoredInits },
      'download ended',
    );
  }

  #remember(download: Download): void {
    this.#downloads.set(download.id, download);
    const max = this.#options.maxKept ?? DEFAULT_MAX_KEPT;
    for (const [id, old] of this.#downloads) {
      if (this.#downloads.size <= max) break;
      if (old.state !== 'DOWNLOADING') this.#downloads.delete(id);
    }
  }
}

function progressOf(download: Download): DownloadProgress {
  const { request, file } = download;
  const length = (request.end.getTime() - request.start.getTime()) / 1000;
  const reached = Math.min(file.mediaSeconds, length);
  return {
    download_id: download.id,
    device_id: request.deviceId,
    channel_id: request.channelId,
    start_time: request.start.toISOString(),
    end_time: request.end.toISOString(),
    download_speed: request.speed,
    state: download.state,
    ...(download.reason === undefined ? {} : { reason: download.reason }),
    bytes: file.bytes,
    media_seconds: Math.round(reached * 1000) / 1000,
    // A completed download is the whole range, whatever the time of its last frame.
    percent: download.state === 'COMPLETED' ? 100 : Math.round((reached / length) * 1000) / 10,
  };
}
