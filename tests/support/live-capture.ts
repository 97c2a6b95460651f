import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';

import type { Platform } from './platform.ts';
import { eventually } from './processes.ts';

export type LiveProtocol = 'HTTP_FLV' | 'WS_FLV' | 'HTTP_HLS';

/** Asks the API for a live URL of a channel; fails the test where the item is refused. */
export async function liveUrl(
  platform: Platform,
  channel: { deviceId: string; channelId: string },
  options: { protocol?: LiveProtocol; transport?: 'UDP' | 'TCP' } = {},
): Promise<string> {
  const item = {
    device_id: channel.deviceId,
    channel_id: channel.channelId,
    live_protocol: options.protocol ?? 'HTTP_FLV',
    ...(options.transport !== undefined && { trans_protocol: options.transport }),
  };
  const { json } = await platform.call(
    'POST',
    '/v2/{user_id}/devices/channels/media/live-connections',
    { channels: [item] },
  );
  assert.deepEqual(json.channels[0].result, { code: 'IVM.0', msg: 'Success' });
  return json.channels[0].cloud_trans_connections.live_url as string;
}

/** The channel IDs of a device, once `count` of them are listed. */
export function channelIdsOf(platform: Platform, deviceId: string, count = 1): Promise<string[]> {
  return eventually(
    async () => {
      const { json } = await platform.call('GET', `/v1/{user_id}/channels?device_id=${deviceId}`);
      const ids = ((json.channels ?? []) as { channel_id: string }[]).map((c) => c.channel_id);
      return ids.length >= count ? ids.sort() : undefined;
    },
    15_000,
    `${count} channels of ${deviceId} listed`,
  );
}

/**
 * Reads an HTTP-FLV URL as a player would for `ms` once the first bytes came, then leaves;
 * writes what it got to `file`. Returns the byte count.
 */
export async function captureFlv(url: string, ms: number, file: string): Promise<number> {
  const leaving = new AbortController();
  const response = await fetch(url, { signal: leaving.signal });
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  const chunks: Uint8Array[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  for (;;) {
    const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
    if (done || value === undefined) break;
    chunks.push(value);
    timer ??= setTimeout(() => leaving.abort(), ms);
  }
  clearTimeout(timer);
  const bytes = Buffer.concat(chunks);
  writeFileSync(file, bytes);
  return bytes.length;
}

/**
 * Follows an HLS playlist as a player would (a request every second) until it lists
 * `segments` segments, then writes the init segment and those segments, joined, to `file`
 * (a fragmented MP4 that ffprobe reads as one). Returns the number of segments written.
 */
export async function captureHls(url: string, segments: number, file: string): Promise<number> {
  const listed = await eventually(
    async () => {
      const response = await fetch(url);
      if (response.status !== 200) return undefined;
      const uris = mediaUris(await response.text());
      return uris.length >= segments + 1 ? uris : undefined;
    },
    20_000,
    `${segments} HLS segments listed`,
  );
  const parts: Uint8Array[] = [];
  for (const uri of listed) {
    const response = await fetch(new URL(uri, url));
    assert.equal(response.status, 200, `GET ${uri}`);
    parts.push(new Uint8Array(await response.arrayBuffer()));
  }
  writeFileSync(file, Buffer.concat(parts));
  return listed.length - 1;
}

/** The URI of `#EXT-X-MAP`, then the segment URIs, of a media playlist. */
function mediaUris(playlist: string): string[] {
  const map = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)?.[1];
  const segments = playlist.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  return map === undefined ? [] : [map, ...segments];
}

/** What ffprobe decoded of a file's first video stream. */
export interface DecodedVideo {
  codec: string;
  width: number;
  height: number;
  /** Presentation time of every decoded frame, in seconds, in decoding order. */
  times: number[];
  keyframes: number;
  /** What ffprobe printed at level `error`: decoding errors. Empty where it decoded cleanly. */
  errors: string;
}

interface FfprobeFrames {
  streams?: { codec_name: string; width: number; height: number }[];
  frames?: { pts_time?: string; best_effort_timestamp_time?: string; key_frame: number }[];
}

/** Decodes every frame of the first video stream of `file` with ffprobe. */
export function decodeVideo(file: string): Promise<DecodedVideo> {
  const args = ['-v', 'error', '-select_streams', 'v:0', '-show_frames'];
  args.push('-show_entries', 'stream=codec_name,width,height');
  args.push('-show_entries', 'frame=pts_time,best_effort_timestamp_time,key_frame');
  args.push('-of', 'json', file);
  return new Promise((resolve, reject) => {
    execFile('ffprobe', args, { timeout: 60_000, maxBuffer: 64 << 20 }, (error, out, err) => {
      if (error) return reject(new Error(`ffprobe failed: ${err || error.message}`));
      const parsed = JSON.parse(out) as FfprobeFrames;
      const stream = parsed.streams?.[0];
      if (stream === undefined) return reject(new Error(`ffprobe found no video in ${file}`));
      const frames = parsed.frames ?? [];
      resolve({
        codec: stream.codec_name,
        width: stream.width,
        height: stream.height,
        times: frames.map((f) => Number(f.pts_time ?? f.best_effort_timestamp_time)),
        keyframes: frames.filter((f) => f.key_frame === 1).length,
        errors: err.trim(),
      });
    });
  });
}

/** One live session as the media node's `GET /streams` lists it. */
export interface ListedStream {
  deviceId: string;
  channelId: string;
  transport: 'UDP' | 'TCP';
  ssrc: number | undefined;
  counters: Record<string, number>;
}

/** The media node's live session of a channel, from `GET /streams` beside a live URL. */
export async function listedStream(
  liveUrl: string,
  channel: { deviceId: string; channelId: string },
): Promise<ListedStream> {
  const response = await fetch(new URL('/streams', liveUrl));
  assert.equal(response.status, 200);
  const { streams } = (await response.json()) as { streams: ListedStream[] };
  const found = streams.find(
    (s) => s.deviceId === channel.deviceId && s.channelId === channel.channelId,
  );
  assert.ok(found, `${channel.deviceId}/${channel.channelId} listed in GET /streams`);
  return found;
}
