import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { test } from 'node:test';

import { serveHls, type HlsSessions } from '../../../media-node/media/hls-routes.ts';
import { HlsStream } from '../../../media-node/media/hls-stream.ts';
import type { LiveRequest } from '../../../media-node/media/live-sessions.ts';
import { TokenService } from '../../../src/auth/tokens.ts';
import { errorCodes, isArgusError } from '../../../src/errors.ts';
import { clipElementaryFrames } from '../support/clip-frames.ts';

const deviceId = '34020000001320000001';
const channelId = '34020000001310000001';
/** Tokens checked on a clock `laterMs` ahead of the wall clock: time passes without sleeping. */
class TokensLater extends TokenService {
  laterMs = 0;
  override verifyLive(token: string, now = new Date()) {
    return super.verifyLive(token, new Date(now.getTime() + this.laterMs));
  }
}
const tokens = new TokensLater('a-secret-of-at-least-thirty-two-characters');
const claims = {
  userId: '1',
  deviceId,
  channelId,
  streamType: 'PRIMARY_STREAM',
  transport: 'UDP',
} as const;

/** Live sessions holding one channel whose HLS stream has segments once started. */
function sessions(): HlsSessions & { started: LiveRequest[] } {
  let stream: HlsStream | undefined;
  const started: LiveRequest[] = [];
  return {
    started,
    findHls: () => stream,
    hls: async (request) => {
      started.push(request);
      if (stream === undefined) {
        stream = new HlsStream({ targetDurationS: 2, windowSize: 6, now: Date.now });
        for (const frame of clipElementaryFrames(60)) stream.push(frame);
      }
      return stream;
    },
  };
}

function response() {
  const sent: { status?: number; headers?: Record<string, string>; body?: Uint8Array } = {};
  const res = {
    writeHead(status: number, headers: Record<string, string>) {
      sent.status = status;
      sent.headers = headers;
    },
    end(body: Uint8Array) {
      sent.body = body;
    },
  };
  return { res: res as unknown as ServerResponse, sent };
}

const request = (resource: string, token: string | null) => ({
  deviceId,
  channelId,
  resource,
  token,
});
const fails = (code: string) => (error: unknown) => isArgusError(error, code as never);

test('serveHls starts the stream on the playlist and serves what it lists', async () => {
  const live = sessions();
  const token = await tokens.issueLive(claims, 30);
  const playlist = response();
  const init = response();
  const segment = response();

  await serveHls(live, tokens, request('index.m3u8', token), playlist.res);
  await serveHls(live, tokens, request('init.mp4', token), init.res);
  await serveHls(live, tokens, request('seg-0.m4s', token), segment.res);

  const text = new TextDecoder().decode(playlist.sent.body);
  assert.equal(playlist.sent.headers?.['Content-Type'], 'application/vnd.apple.mpegurl');
  assert.ok(text.includes(`seg-0.m4s?token=${encodeURIComponent(token)}`));
  assert.equal(init.sent.headers?.['Content-Type'], 'video/mp4');
  assert.equal(segment.sent.headers?.['Content-Type'], 'video/iso.segment');
  assert.ok((segment.sent.body?.length ?? 0) > 1000);
  assert.deepEqual(live.started[0], {
    deviceId,
    channelId,
    transport: 'UDP',
    protocol: 'HTTP_HLS',
  });
});

test('serveHls goes on accepting a token it admitted after it expired, and no other', async () => {
  const live = sessions();
  const token = await tokens.issueLive(claims, 30);
  const other = await tokens.issueLive(claims, 30);
  await serveHls(live, tokens, request('index.m3u8', token), response().res);
  tokens.laterMs = 60_000;

  const later = response();
  await serveHls(live, tokens, request('seg-0.m4s', token), later.res);

  assert.equal(later.sent.status, 200);
  await assert.rejects(
    serveHls(live, tokens, request('seg-0.m4s', other), response().res),
    fails(errorCodes.UNAUTHENTICATED),
  );
  tokens.laterMs = 0;
});

test('serveHls refuses a missing or foreign token, and a segment of no stream', async () => {
  const live = sessions();
  const foreign = await tokens.issueLive({ ...claims, channelId: '34020000001310000002' }, 30);
  const token = await tokens.issueLive(claims, 30);

  await assert.rejects(
    serveHls(live, tokens, request('index.m3u8', null), response().res),
    fails(errorCodes.UNAUTHENTICATED),
  );
  await assert.rejects(
    serveHls(live, tokens, request('index.m3u8', foreign), response().res),
    fails(errorCodes.FORBIDDEN),
  );
  await assert.rejects(
    serveHls(live, tokens, request('seg-0.m4s', token), response().res),
    fails(errorCodes.NOT_FOUND),
  );
  assert.deepEqual(live.started, []);
});

test('serveHls answers NOT_FOUND for a segment the stream does not hold', async () => {
  const live = sessions();
  const token = await tokens.issueLive(claims, 30);
  await serveHls(live, tokens, request('index.m3u8', token), response().res);

  await assert.rejects(
    serveHls(live, tokens, request('seg-99.m4s', token), response().res),
    fails(errorCodes.NOT_FOUND),
  );
});
