/**
 * UDP fallback end to end: cameras that cannot send RTP over TCP, one refusing the TCP offer
 * with 488 Not Acceptable Here, one answering it with an SDP that offers only RTP/AVP. The
 * media node retries once over UDP; the viewer gets video; the session says it ended up on
 * UDP and why, in one warning and in `stream started`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { ffprobeMissing } from '../support/ffprobe.ts';
import {
  captureFlv,
  channelIdsOf,
  decodeVideo,
  listedStream,
  liveUrl,
} from '../support/live-capture.ts';
import { Platform } from '../support/platform.ts';
import { eventually, type RunningProcess } from '../support/processes.ts';
import { isEvent, startSimulator } from '../support/simulator.ts';

const refusing = { deviceId: '34020000001320000081', refuseTcp: '488' };
const udpOnly = { deviceId: '34020000001320000082', refuseTcp: 'udp' };
const message = (msg: string) => (line: Record<string, unknown>) => line['msg'] === msg;

describe('UDP fallback when a camera refuses RTP over TCP', { skip: ffprobeMissing }, () => {
  const platform = new Platform({ env: { ARGUS_LIVE_LINGER_S: '1' } });
  const work = mkdtempSync(join(tmpdir(), 'argus-fallback-'));
  const cameras = new Map<string, RunningProcess>();

  before(async () => {
    await platform.start();
    await platform.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
      devices: [refusing, udpOnly].map((c) => ({
        device_id: c.deviceId,
        device_name: `refuses TCP: ${c.refuseTcp}`,
        device_password: `pw-${c.deviceId.slice(-4)}`,
      })),
    });
    for (const { deviceId, refuseTcp } of [refusing, udpOnly]) {
      const password = `pw-${deviceId.slice(-4)}`;
      const sipPort = platform.sipPort;
      cameras.set(deviceId, startSimulator({ sipPort, deviceId, password, refuseTcp }));
    }
    for (const camera of cameras.values()) {
      await camera.waitFor(isEvent('registered'), 30_000, 'registration');
    }
  });
  after(async () => {
    await platform.stop();
    await Promise.all([...cameras.values()].map((c) => c.stop('SIGKILL')));
    platform.removeData();
    rmSync(work, { recursive: true, force: true });
  });

  /** Asks for TCP, watches 2 s of HTTP-FLV; returns the decoded video and the node's lines. */
  async function watchOverTcp(deviceId: string) {
    const from = platform.media.lines.length;
    const [channelId = ''] = await channelIdsOf(platform, deviceId);
    const url = await liveUrl(platform, { deviceId, channelId }, { transport: 'TCP' });
    const file = join(work, `${deviceId}.flv`);
    await captureFlv(url, 2000, file);
    const stream = await listedStream(url, { deviceId, channelId });
    const lines = () => platform.media.json().slice(from);
    const started = await eventually(async () => lines().find(message('stream started')));
    return { video: await decodeVideo(file), stream, started, lines };
  }

  it('a camera answering 488 to the TCP offer is invited again over UDP and plays', async () => {
    const camera = cameras.get(refusing.deviceId)!;

    const { video, stream, started, lines } = await watchOverTcp(refusing.deviceId);

    assert.equal(video.errors, '');
    assert.ok(video.times.length >= 25, `${video.times.length} frames decoded`);
    assert.deepEqual([started['transport'], started['fallback']], ['UDP', 'status 488']);
    assert.equal(stream.transport, 'UDP');
    const warnings = lines().filter(message('rtp over tcp refused, retrying over udp'));
    assert.equal(warnings.length, 1, 'the fallback logged once');
    const refused = await camera.waitFor(isEvent('invite_refused'), 1000, 'the refusal');
    assert.equal(refused['status'], 488);
    const invite = await camera.waitFor(isEvent('invite'), 1000, 'the second INVITE');
    assert.equal(invite['protocol'], 'RTP/AVP');
    assert.equal(camera.count(isEvent('invite')), 1, 'one retry only');
  });

  it('a camera answering RTP/AVP to a TCP offer gets BYE, then a UDP offer and plays', async () => {
    const camera = cameras.get(udpOnly.deviceId)!;

    const { video, stream, started } = await watchOverTcp(udpOnly.deviceId);

    assert.equal(video.errors, '');
    assert.ok(video.times.length >= 25, `${video.times.length} frames decoded`);
    assert.deepEqual([started['transport'], started['fallback']], ['UDP', 'answered RTP/AVP']);
    assert.equal(stream.transport, 'UDP');
    const invites = camera.json().filter(isEvent('invite'));
    assert.deepEqual(
      invites.map((i) => [i['protocol'], i['answered']]),
      [
        ['TCP/RTP/AVP', 'RTP/AVP'],
        ['RTP/AVP', 'RTP/AVP'],
      ],
    );
    const bye = await camera.waitFor(isEvent('bye'), 5000, 'the BYE of the TCP answer');
    assert.equal(bye['callId'], invites[0]?.['callId']);
  });
});
