/**
 * Restart-safe dialogs (issue 4 item 8), with the real API, media node and simulated camera
 * on loopback: a media node killed with SIGKILL during a live stream, restarted on the same
 * data directory and ports, BYEs the dialog it left open and records its end; a new viewer
 * gets video. A node stopped with SIGTERM leaves no session open in the facts. A camera that
 * answers the INVITE and sends nothing gives its viewer an error (ARGUS_NO_MEDIA_S).
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import Database from 'better-sqlite3';

import { ffprobeMissing, probeVideo } from '../support/ffprobe.ts';
import { channelIdsOf, liveUrl } from '../support/live-capture.ts';
import { Platform } from '../support/platform.ts';
import { RunningProcess } from '../support/processes.ts';
import { isEvent, startOnlineCamera, startSimulator } from '../support/simulator.ts';

const deviceId = '34020000001320000021';
const password = 'restart-pass';

describe('media node restart', { skip: ffprobeMissing }, () => {
  let platform: Platform;
  let camera: RunningProcess | undefined;
  let channelId = '';

  before(async () => {
    platform = new Platform({
      env: {
        ARGUS_SIP_PORT: String(await freePort()),
        ARGUS_MEDIA_HTTP_PORT: String(await freePort()),
        ARGUS_HEARTBEAT_S: '1',
        ARGUS_HEARTBEAT_MISSES: '5',
        ARGUS_LIVE_LINGER_S: '1',
        ARGUS_NO_MEDIA_S: '2',
      },
    });
    await platform.start();
    camera = await startOnlineCamera(platform, { deviceId, password });
    [channelId = ''] = await channelIdsOf(platform, deviceId);
  });
  let silent: RunningProcess | undefined;
  after(async () => {
    await silent?.stop('SIGKILL');
    await camera?.stop('SIGKILL');
    await platform.stop('SIGKILL');
    platform.removeData();
  });

  it('kill -9 in a live stream: the new node BYEs the old call; a viewer gets video', async () => {
    const cam = camera!;
    const url = await liveUrl(platform, { deviceId, channelId }, { transport: 'UDP' });
    const viewer = new AbortController();
    const watching = firstBytes(url, viewer.signal);
    const invite = await cam.waitFor(isEvent('invite'), 15_000, 'the INVITE');
    await cam.waitFor(isEvent('stream_started'), 15_000, 'the stream');
    assert.ok((await watching) > 0, 'the first viewer got the stream');

    await platform.media.stop('SIGKILL');
    viewer.abort();
    const restarted = await restartMediaNode(platform);
    assert.equal(restarted['orphanedDialogs'], 1);

    const callId = invite['callId'];
    await cam.waitFor((l) => l['event'] === 'bye' && l['callId'] === callId, 15_000, 'the BYE');
    const ended = await platform.media.waitFor(
      (l) => l['msg'] === 'dialog ended after restart',
      15_000,
      'the end recorded',
    );
    assert.deepEqual([ended['callId'], ended['bye']], [callId, 200]);
    assert.deepEqual(stoppedReasons(platform.dataDir, String(callId)), ['node_restarted']);

    const from = cam.lines.length;
    const probed = await probeVideo(await liveUrl(platform, { deviceId, channelId }), 2);
    assert.equal(probed.codec_name, 'h264');
    assert.ok(Number(probed.nb_read_frames) > 0, `decoded ${probed.nb_read_frames} frames`);
    const next = cam.json().slice(from).find(isEvent('invite'));
    assert.notEqual(next?.['ssrc'], invite['ssrc'], 'a new SSRC, not the one left in use');
  });

  it('SIGTERM ends every session before exit: none is left open in the facts', async () => {
    const cam = camera!;
    const from = cam.lines.length;
    const viewer = new AbortController();
    const watching = firstBytes(await liveUrl(platform, { deviceId, channelId }), viewer.signal);
    assert.ok((await watching) > 0);

    await platform.media.stop('SIGTERM');
    viewer.abort();
    assert.ok(cam.json().slice(from).some(isEvent('bye')), 'the camera was sent a BYE');
    assert.deepEqual(openDialogs(platform.dataDir), []);
    const restarted = await restartMediaNode(platform);
    assert.equal(restarted['orphanedDialogs'], 0);
  });

  it('a camera that answers and sends no RTP: the viewer gets an error, session ends', async () => {
    const silentId = '34020000001320000022';
    await platform.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
      devices: [{ device_id: silentId, device_name: 'Silent', device_password: password }],
    });
    // Every RTP packet lost: the INVITE is answered, and nothing follows.
    silent = startSimulator({
      sipPort: platform.sipPort,
      deviceId: silentId,
      password,
      fault: 'loss=100',
    });
    const [silentChannel = ''] = await channelIdsOf(platform, silentId);
    const from = platform.media.lines.length;

    const url = await liveUrl(platform, { deviceId: silentId, channelId: silentChannel });
    const response = await fetch(url);
    const body = (await response.json()) as { error_msg: string };

    assert.equal(response.status, 503);
    assert.equal(body.error_msg, 'Cannot start live video: no RTP from the device within 2 s');
    const lines = platform.media.json().slice(from);
    const warned = lines.find((l) => l['msg'] === 'no media from device');
    assert.equal(warned?.['deviceId'], silentId);
    const stopped = await platform.media.waitFor(
      (l) => l['msg'] === 'stream stopped' && l['deviceId'] === silentId,
      10_000,
      'the session ended',
    );
    assert.equal(stopped['reason'], 'no_media');
    await silent.waitFor(isEvent('bye'), 10_000, 'the BYE');
  });
});

/** Starts the media node again with the platform's environment (same data and ports). */
async function restartMediaNode(platform: Platform): Promise<Record<string, unknown>> {
  platform.media = new RunningProcess('media-node/main.ts', [], platform.env);
  const listening = await platform.media.waitFor(
    (l) => l['msg'] === 'media node listening',
    30_000,
    'the restarted media node',
  );
  assert.equal(String(listening['sipPort']), platform.env['ARGUS_SIP_PORT']);
  return listening;
}

/** Opens an HTTP-FLV URL; resolves with the bytes of the first read; keeps reading after. */
async function firstBytes(url: string, signal: AbortSignal): Promise<number> {
  const response = await fetch(url, { signal });
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  const { value } = await reader.read();
  void (async () => {
    for (;;) {
      const { done } = await reader.read().catch(() => ({ done: true }));
      if (done) return;
    }
  })();
  return value?.length ?? 0;
}

/** The reasons of the LiveStreamStopped events of one call. */
function stoppedReasons(dataDir: string, callId: string): string[] {
  return readEvents(dataDir, `live-session-${callId}`)
    .filter((e) => e.type === 'LiveStreamStopped')
    .map((e) => String(e.data['reason']));
}

/** Call-IDs with a LiveDialogEstablished and no LiveStreamStopped. */
function openDialogs(dataDir: string): string[] {
  const events = readEvents(dataDir);
  const stopped = new Set(
    events.filter((e) => e.type === 'LiveStreamStopped').map((e) => e.data['callId']),
  );
  return events
    .filter((e) => e.type === 'LiveDialogEstablished' && !stopped.has(e.data['callId']))
    .map((e) => String(e.data['callId']));
}

function readEvents(dataDir: string, stream?: string) {
  const db = new Database(join(dataDir, 'argus.db'), { readonly: true, fileMustExist: true });
  try {
    const sql = 'SELECT event_type, data, stream_name FROM events ORDER BY global_position';
    const rows = db.prepare(sql).all() as {
      event_type: string;
      data: string;
      stream_name: string;
    }[];
    return rows
      .filter((row) => stream === undefined || row.stream_name === stream)
      .map((row) => ({
        type: row.event_type,
        data: JSON.parse(row.data) as Record<string, unknown>,
      }));
  } finally {
    db.close();
  }
}

/** A port free on both UDP and TCP (SIP listens on both). */
async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    const { port } = server.address() as { port: number };
    const udp = createSocket('udp4');
    const bound = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '0.0.0.0', () => resolve(true));
    });
    udp.close();
    await new Promise((resolve) => server.close(resolve));
    if (bound) return port;
  }
}
