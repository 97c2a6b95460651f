/**
 * Metering and diagnostics end to end: the real API and media node with a one-second metering
 * interval, the simulator as the camera, an HTTP-FLV viewer reading the live URL. Usage is
 * read from the read models with the usage query, diagnostics from the media node's
 * `GET /streams` (served on loopback).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { openSqliteDatabase } from '../../schema/sqlite-node.ts';
import { sumStreamUsage, type UsageTotal } from '../../src/read-models/queries.ts';
import { Platform } from '../support/platform.ts';
import { eventually, type RunningProcess } from '../support/processes.ts';
import { isEvent, startSimulator } from '../support/simulator.ts';

const deviceId = '34020000001320000001';
const password = 'cam-pass-1';

interface ListedStream {
  deviceId: string;
  firstRtpAt?: string;
  firstKeyframeAt?: string;
  firstViewerByteAt?: string;
  counters: { packets: number; bytesIn: number; bytesOut: number };
}

/** Reads the live URL for `ms` milliseconds; calls `during` once bytes flow. */
async function play(url: string, ms: number, during: () => Promise<void>): Promise<number> {
  const response = await fetch(url, { signal: AbortSignal.timeout(ms + 20_000) });
  assert.equal(response.status, 200);
  const reader = response.body?.getReader();
  assert.ok(reader !== undefined);
  let bytes = 0;
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const { value, done } = await reader.read();
    if (done) break;
    bytes += value.length;
  }
  await during();
  await reader.cancel();
  return bytes;
}

describe('metering and diagnostics end to end', () => {
  const platform = new Platform({
    env: { ARGUS_METERING_INTERVAL_S: '1', ARGUS_LIVE_LINGER_S: '1' },
  });
  let camera: RunningProcess | undefined;

  before(async () => {
    await platform.start();
  });
  after(async () => {
    await camera?.stop('SIGKILL');
    await platform.stop();
    platform.removeData();
  });

  it('playing HTTP-FLV is metered in and out, and /streams shows the stream', async () => {
    await platform.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
      devices: [{ device_id: deviceId, device_name: 'Metered camera', device_password: password }],
    });
    camera = startSimulator({ sipPort: platform.sipPort, deviceId, password });
    await camera.waitFor(isEvent('registered'), 15_000, 'registration');
    const channelId = await eventually(async () => {
      const { json } = await platform.call('GET', `/v1/{user_id}/channels?device_id=${deviceId}`);
      return json.channels?.[0]?.channel_id as string | undefined;
    });
    const { json } = await platform.call(
      'POST',
      '/v2/{user_id}/devices/channels/media/live-connections',
      { channels: [{ device_id: deviceId, channel_id: channelId, live_protocol: 'HTTP_FLV' }] },
    );
    const url = json.channels[0].cloud_trans_connections.live_url as string;

    let listed: ListedStream[] = [];
    const streamsUrl = new URL('/streams', url);
    const played = await play(url, 3500, async () => {
      const response = await fetch(streamsUrl);
      assert.equal(response.status, 200);
      listed = ((await response.json()) as { streams: ListedStream[] }).streams;
    });
    assert.ok(played > 0);

    const [stream] = listed;
    assert.equal(stream?.deviceId, deviceId);
    for (const time of [stream.firstRtpAt, stream.firstKeyframeAt, stream.firstViewerByteAt]) {
      assert.match(time ?? '', /^\d{4}-\d\d-\d\dT/);
    }
    assert.ok(Date.parse(stream.firstRtpAt ?? '') <= Date.parse(stream.firstViewerByteAt ?? ''));
    assert.ok(stream.counters.packets > 0);
    assert.ok(stream.counters.bytesOut > 0);

    const db = await openSqliteDatabase(join(platform.dataDir, 'argus.db'));
    try {
      const totals = await eventually(
        async () => {
          const rows = await sumStreamUsage(db, platform.userId, { deviceId, channelId });
          const byProtocol = (p: string) => rows.find((r: UsageTotal) => r.protocol === p);
          return (byProtocol('RTP')?.bytes ?? 0) > 0 && (byProtocol('HTTP_FLV')?.bytes ?? 0) > 0
            ? { rtp: byProtocol('RTP'), flv: byProtocol('HTTP_FLV') }
            : undefined;
        },
        15_000,
        'usage rows with bytes in and out',
      );
      assert.equal(totals.rtp?.direction, 'IN');
      assert.equal(totals.flv?.direction, 'OUT');
      assert.ok((totals.flv?.seconds ?? 0) > 0);
    } finally {
      await db.destroy();
    }
  });

  it('/streams answers loopback without a token', async () => {
    // Only loopback is reachable here: the refusal of other addresses is an isLoopback test.
    const media = platform.media.json().find((l) => l['msg'] === 'media node listening');
    const response = await fetch(`http://127.0.0.1:${String(media?.['httpPort'])}/streams`);
    assert.equal(response.status, 200);
  });
});
