/**
 * Device recordings through the real processes (issue 4 item 6): a simulated camera's
 * recordings are listed (RecordInfo answered in pages), played back (INVITE s=Playback, the
 * viewer's FLV decoded by ffprobe), paused, resumed, played at 4× and seeked (each reaching
 * the camera as the right MANSRTSP), ended by the camera's MediaStatus 121, and downloaded
 * to an MP4 that ffprobe decodes with about the range's duration.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import WebSocket from 'ws';

import { formatGbSsrc } from '../../media-node/formats/sdp.ts';
import { ffprobeMissing, probeVideo } from '../support/ffprobe.ts';
import { Platform } from '../support/platform.ts';
import { eventually, type RunningProcess } from '../support/processes.ts';
import { isEvent, startOnlineCamera } from '../support/simulator.ts';

const deviceId = '34020000001320000061';
const channelId = '34020000001310000001';
const password = 'cam-pass-61';
const HOUR_MS = 3_600_000;

/** A whole hour before now: the simulated camera has a 10-minute recording at every one. */
const lastHour = new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS - HOUR_MS);

describe('device recordings: list, play back, control, download', { skip: ffprobeMissing }, () => {
  const platform = new Platform();
  let camera: RunningProcess;

  before(async () => {
    await platform.start();
    camera = await startOnlineCamera(platform, { deviceId, password });
  });
  after(async () => {
    await camera?.stop('SIGKILL');
    await platform.stop();
    platform.removeData();
  });

  it('lists a day of recordings assembled from paged RecordInfo answers', async () => {
    const end = new Date(lastHour.getTime() + HOUR_MS);
    const start = new Date(end.getTime() - 24 * HOUR_MS);
    const query = new URLSearchParams({
      record_position: 'DEVICE',
      start_time: isoBeijing(start),
      // IVM's zone-less form is Beijing time.
      end_time: isoBeijing(end).slice(0, 19).replace('T', ' '),
      limit: '5',
      offset: '20',
    });
    const path = `/v2/{user_id}/devices/${deviceId}/channels/${channelId}/media/records`;
    const { status, json } = await platform.call('GET', `${path}?${query}`);
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal(json.total, 24);
    assert.equal(json.complete, true);
    assert.equal(json.records.length, 4);
    const last = json.records[3];
    assert.equal(new Date(last.start_time).getTime(), lastHour.getTime());
    assert.equal(new Date(last.end_time).getTime() - lastHour.getTime(), 600_000);
    assert.match(last.start_time, /[+-]\d\d:\d\d$/);
    assert.equal(last.channel_id, channelId);

    const sent = await camera.waitFor(isEvent('records_sent'));
    assert.equal(sent['sumNum'], 24);
    assert.equal(sent['messages'], 8, 'three recordings per MESSAGE');
  });

  it('refuses a range that ends before it starts, naming the field', async () => {
    const path = `/v2/{user_id}/devices/${deviceId}/channels/${channelId}/media/records`;
    const query = `start_time=2026-03-01T10:00:00Z&end_time=2026-03-01T09:00:00Z`;
    const { status, json } = await platform.call('GET', `${path}?${query}`);
    assert.equal(status, 400);
    assert.match(json.error_msg, /end_time/);
  });

  it('plays a recording back, paused, resumed, at 4× and seeked', async () => {
    const connection = await playbackConnection(lastHour, 600);
    const viewer = new FlvViewer(connection.playback_url);

    const invite = await camera.waitFor(
      (l) => l['event'] === 'invite' && l['history'] !== undefined,
    );
    const history = invite['history'] as { kind: string; start: number; end: number };
    assert.equal(history.kind, 'Playback');
    assert.equal(history.start, lastHour.getTime() / 1000);
    assert.equal(history.end, lastHour.getTime() / 1000 + 600);
    assert.equal(formatGbSsrc(Number(invite['ssrc']))[0], '1', 'a history SSRC');
    await eventually(async () => (viewer.bytes > 50_000 ? true : undefined), 15_000, 'video');

    const controls: [Record<string, unknown>, Record<string, unknown>][] = [
      [{ action: 'pause' }, { method: 'PAUSE', pauseTime: 'now' }],
      [{ action: 'resume' }, { method: 'PLAY', range: 'now' }],
      [
        { action: 'scale', scale: 4 },
        { method: 'PLAY', scale: 4 },
      ],
      [
        { action: 'seek', position: 300 },
        { method: 'PLAY', range: 300 },
      ],
    ];
    for (const [index, [body, expected]] of controls.entries()) {
      const response = await fetch(connection.control_url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 200, await response.clone().text());
      const seen = await camera.waitFor(
        (l) => l['event'] === 'playback_control' && l['cseq'] === index + 1,
      );
      for (const [field, value] of Object.entries(expected)) {
        assert.equal(seen[field], value, `${String(body['action'])}: ${field}`);
      }
    }
    const paused = camera.json().find((l) => l['event'] === 'playback_control')!;
    assert.equal(paused['paused'], true);
    const seeked = await camera.waitFor(
      (l) => l['event'] === 'playback_control' && l['range'] === 300,
    );
    assert.ok(Number(seeked['positionS']) >= 299, 'the camera moved to the position');

    const before = viewer.bytes;
    await eventually(async () => (viewer.bytes > before + 50_000 ? true : undefined));
    viewer.close();
    await camera.waitFor(isEvent('bye'), 15_000, 'BYE once the viewer left');

    const file = join(platform.dataDir, 'playback.flv');
    writeFileSync(file, viewer.data());
    const video = await probeVideo(file, 30);
    assert.equal(video.codec_name, 'h264');
    assert.equal(video.width, 640);
    assert.ok(Number(video.nb_read_frames) > 25, `decoded ${video.nb_read_frames} frames`);
  });

  it('plays back over WS-FLV and HLS as well', async () => {
    const ws = await playbackConnection(new Date(lastHour.getTime() + 180_000), 600, 'WS_FLV');
    assert.match(ws.playback_url, /^ws:\/\/.*\/playback\/[0-9a-f-]+\.flv\?token=/);
    const socket = new WebSocket(ws.playback_url);
    const first = await new Promise<Buffer>((resolve, reject) => {
      socket.on('message', (data: Buffer) => resolve(data));
      socket.on('error', reject);
    });
    assert.equal(first.subarray(0, 3).toString('latin1'), 'FLV');
    socket.close();

    const hls = await playbackConnection(new Date(lastHour.getTime() + 240_000), 600, 'HTTP_HLS');
    const playlist = await fetch(hls.playback_url);
    assert.equal(playlist.status, 200);
    const text = await playlist.text();
    assert.match(text, /^#EXTM3U/);
    const segment = /^(seg-\d+\.m4s\?token=.*)$/m.exec(text)?.[1];
    assert.ok(segment !== undefined, text);
    const bytes = await fetch(new URL(segment, hls.playback_url));
    assert.equal(bytes.status, 200);
    assert.equal(bytes.headers.get('content-type'), 'video/iso.segment');
  });

  it('ends the viewer cleanly when the camera reaches the end of the range', async () => {
    const start = new Date(lastHour.getTime() + 60_000);
    const connection = await playbackConnection(start, 3);
    const viewer = new FlvViewer(connection.playback_url);
    await viewer.ended;
    const invite = await camera.waitFor(
      (l) =>
        l['event'] === 'invite' &&
        (l['history'] as { start?: number })?.start === start.getTime() / 1000,
    );
    const callId = invite['callId'];
    await camera.waitFor((l) => l['event'] === 'media_status_sent' && l['callId'] === callId);
    await camera.waitFor((l) => l['event'] === 'bye' && l['callId'] === callId);
    const file = join(platform.dataDir, 'ended.flv');
    writeFileSync(file, viewer.data());
    const video = await probeVideo(file, 30);
    assert.ok(Number(video.nb_read_frames) >= 50, `decoded ${video.nb_read_frames} frames`);
  });

  it('downloads a range to an MP4 file that ffprobe decodes', async () => {
    const start = new Date(lastHour.getTime() + 120_000);
    const end = new Date(start.getTime() + 8_000);
    const path = `/v2/{user_id}/devices/${deviceId}/channels/${channelId}/media/downloads`;
    const started = await platform.call('POST', path, {
      start_time: start.toISOString(),
      end_time: end.toISOString(),
      download_speed: 4,
    });
    assert.equal(started.status, 200, JSON.stringify(started.json));
    assert.equal(started.json.state, 'DOWNLOADING');
    const id = started.json.download_id as string;

    const progressPath = `/v2/{user_id}/devices/${deviceId}/media/downloads/${id}`;
    const done = await eventually(
      async () => {
        const { json } = await platform.call('GET', progressPath);
        return json.state === 'DOWNLOADING' ? undefined : json;
      },
      20_000,
      'the download to end',
    );
    assert.equal(done.state, 'COMPLETED', JSON.stringify(done));
    assert.equal(done.percent, 100);
    assert.ok(done.bytes > 10_000);
    assert.ok(done.media_seconds > 6, `reached ${done.media_seconds} s`);
    const invite = await camera.waitFor(
      (l) => l['event'] === 'invite' && (l['history'] as { kind?: string })?.kind === 'Download',
    );
    assert.equal((invite['history'] as { speed: number }).speed, 4);

    const unsigned = await fetch(String(done.download_url).replace(/token=.*/, 'token=x'));
    assert.equal(unsigned.status, 401);
    const response = await fetch(done.download_url);
    assert.equal(response.status, 200);
    const file = join(platform.dataDir, 'download.mp4');
    writeFileSync(file, new Uint8Array(await response.arrayBuffer()));
    const video = await probeVideo(file, 30);
    assert.equal(video.codec_name, 'h264');
    const duration = await probeDuration(file);
    assert.ok(duration > 6 && duration < 10, `duration ${duration} s, range 8 s`);
  });

  async function playbackConnection(start: Date, seconds: number, protocol = 'HTTP_FLV') {
    const { status, json } = await platform.call(
      'POST',
      '/v2/{user_id}/devices/channels/media/playback-connections',
      {
        channels: [
          {
            device_id: deviceId,
            channel_id: channelId,
            start_time: isoBeijing(start),
            end_time: isoBeijing(new Date(start.getTime() + seconds * 1000)),
            playback_protocol: protocol,
          },
        ],
      },
    );
    assert.equal(status, 200, JSON.stringify(json));
    const [item] = json.channels;
    assert.equal(item.result.code, 'IVM.0', JSON.stringify(item));
    return item as { playback_url: string; control_url: string; session_id: string };
  }
});

/** `at` as ISO 8601 with the +08:00 offset. */
function isoBeijing(at: Date): string {
  return `${new Date(at.getTime() + 8 * HOUR_MS).toISOString().slice(0, 19)}+08:00`;
}

/** An HTTP-FLV viewer keeping every byte it got. */
class FlvViewer {
  readonly #chunks: Uint8Array[] = [];
  readonly #abort = new AbortController();
  bytes = 0;
  readonly ended: Promise<void>;

  constructor(url: string) {
    this.ended = this.#read(url);
  }

  data(): Uint8Array {
    return Buffer.concat(this.#chunks);
  }

  close(): void {
    this.#abort.abort();
  }

  async #read(url: string): Promise<void> {
    try {
      const response = await fetch(url, { signal: this.#abort.signal });
      assert.equal(response.status, 200);
      const reader = response.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.#chunks.push(value);
        this.bytes += value.length;
      }
    } catch (error) {
      if (!this.#abort.signal.aborted) throw error;
    }
  }
}

function probeDuration(file: string): Promise<number> {
  const args = ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file];
  return new Promise((resolve, reject) => {
    execFile('ffprobe', args, (error, stdout, stderr) => {
      if (error) return reject(new Error(`ffprobe failed: ${stderr || error.message}`));
      resolve(Number(stdout.trim()));
    });
  });
}
