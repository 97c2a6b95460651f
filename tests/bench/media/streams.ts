/**
 * Driving the platform's API for the benchmark: wait for the cameras, ask for live URLs
 * (PS over RTP/UDP from the camera, HTTP-FLV to the viewer) and open viewers on them.
 */
import type { Platform } from '../../support/platform.ts';
import { eventually } from '../../support/processes.ts';
import { benchIds } from './sip-device.ts';
import { FlvViewer } from './viewer.ts';

export interface BenchChannel {
  readonly deviceId: string;
  readonly channelId: string;
}

/** The live-connections API takes at most this many channels per request. */
const LIVE_BATCH = 100;
/** Viewers opened at once; the rest wait, so that a burst does not measure the queue. */
const OPEN_BATCH = 25;
const FIRST_FRAME_TIMEOUT_MS = 15_000;
/** Long enough for every viewer of a run to open the same URL. */
const URL_LIFETIME_S = 3600;

/** Resolves with the channels once the `count` bench cameras are ONLINE with their channel. */
export async function waitOnline(platform: Platform, count: number): Promise<BenchChannel[]> {
  await eventually(
    async () => {
      const { json } = await platform.call('GET', '/v1/{user_id}/devices?limit=1000&offset=0');
      const online = (json.devices as { device_state: string; channel_total: number }[]).filter(
        (d) => d.device_state === 'ONLINE' && d.channel_total === 1,
      );
      return online.length >= count ? true : undefined;
    },
    60_000,
    `${count} cameras online with their channel`,
  );
  return Array.from({ length: count }, (_, i) => benchIds(i + 1));
}

/** One HTTP-FLV live URL per channel, the camera sending over UDP. */
export async function liveUrls(platform: Platform, channels: BenchChannel[]): Promise<string[]> {
  const urls: string[] = [];
  for (let i = 0; i < channels.length; i += LIVE_BATCH) {
    const batch = channels.slice(i, i + LIVE_BATCH);
    const { status, json } = await platform.call(
      'POST',
      '/v2/{user_id}/devices/channels/media/live-connections',
      {
        channels: batch.map((c) => ({
          device_id: c.deviceId,
          channel_id: c.channelId,
          live_protocol: 'HTTP_FLV',
          stream_type: 'PRIMARY_STREAM',
          trans_protocol: 'UDP',
        })),
        expire_time: URL_LIFETIME_S,
      },
    );
    for (const item of status === 200 ? json.channels : []) {
      if (item.result?.code !== 'IVM.0')
        throw new Error(`Cannot get a live URL: ${JSON.stringify(item)}`);
      urls.push(item.cloud_trans_connections.live_url as string);
    }
    if (status !== 200) throw new Error(`Cannot get live URLs: ${status} ${JSON.stringify(json)}`);
  }
  return urls;
}

/**
 * Opens one viewer per URL given, OPEN_BATCH at a time, each waiting for its first video
 * frame. Viewers that fail to get one are closed and left out.
 */
export async function openViewers(urls: string[]): Promise<FlvViewer[]> {
  const opened: FlvViewer[] = [];
  for (let i = 0; i < urls.length; i += OPEN_BATCH) {
    const batch = urls.slice(i, i + OPEN_BATCH).map(async (url) => {
      const viewer = new FlvViewer();
      try {
        await viewer.open(url);
        await eventually(
          async () => (viewer.firstFrameMs !== undefined ? true : undefined),
          FIRST_FRAME_TIMEOUT_MS,
          'a first frame',
        );
        opened.push(viewer);
      } catch (error) {
        viewer.close();
        console.error(`A viewer got no frame: ${String(error)}`);
      }
    });
    await Promise.all(batch);
  }
  return opened;
}
