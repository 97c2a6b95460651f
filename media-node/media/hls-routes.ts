/**
 * HLS on the media node (RFC 8216): `GET /live/{deviceId}/{channelId}/index.m3u8`, then the
 * `init.mp4` (`init-N.mp4` after a parameter change) and `seg-N.m4s` it lists, each with the
 * live token. The playlist writes the token into every URI so that players follow them.
 *
 * An HLS viewer opens the stream many times over, so the token is checked like HTTP-FLV's
 * (opened within its lifetime) the first time and remembered by the channel's HLS stream:
 * while that stream lives (requests keep coming) the same token goes on opening it after
 * it expired, as an HTTP-FLV connection stays open past its token's lifetime.
 */
import type { ServerResponse } from 'node:http';

import type { TokenService } from '../../src/auth/tokens.ts';
import { ArgusError, errorCodes } from '../../src/errors.ts';
import type { HlsStream } from './hls-stream.ts';
import type { LiveSessions } from './live-sessions.ts';
import { authoriseLive } from './live-token.ts';

/** How long the first playlist request waits for the first segment. */
const FIRST_SEGMENT_TIMEOUT_MS = 15_000;

/** The HLS resources under `/live/{deviceId}/{channelId}/`. */
export const hlsPath =
  /^\/live\/(\d{20})\/(\d{20})\/(index\.m3u8|init(?:-\d{1,6})?\.mp4|seg-\d{1,15}\.m4s)$/;

/** What the routes need of the live sessions. */
export type HlsSessions = Pick<LiveSessions, 'findHls' | 'hls'>;

export interface HlsRequest {
  readonly deviceId: string;
  readonly channelId: string;
  /** `index.m3u8`, `init.mp4`, `init-N.mp4` or `seg-N.m4s`. */
  readonly resource: string;
  readonly token: string | null;
}

/**
 * Answers one HLS request.
 * @throws ArgusError UNAUTHENTICATED or FORBIDDEN for the token; NOT_FOUND for a segment that
 * is not (or no longer) held; UNAVAILABLE where the stream cannot start or gives no segment
 */
export async function serveHls(
  sessions: HlsSessions,
  tokens: TokenService,
  hls: HlsRequest,
  response: ServerResponse,
): Promise<void> {
  const { deviceId, channelId, resource, token } = hls;
  const stream = await openHls(sessions, tokens, hls);
  if (token !== null) stream.admit(token);

  if (resource === 'index.m3u8') {
    const query = `token=${encodeURIComponent(token ?? '')}`;
    const text = await stream.playlist(query, FIRST_SEGMENT_TIMEOUT_MS);
    if (text === undefined) {
      throw new ArgusError(
        errorCodes.UNAVAILABLE,
        `Cannot play channel ${channelId} over HLS: no segment yet`,
      );
    }
    const body = new TextEncoder().encode(text);
    stream.served(body.length);
    return reply(response, 'application/vnd.apple.mpegurl', body);
  }
  const bytes = resourceBytes(stream, resource);
  if (bytes === undefined) {
    throw new ArgusError(
      errorCodes.NOT_FOUND,
      `Cannot find HLS resource of ${deviceId}/${channelId}: ${resource}`,
    );
  }
  stream.served(bytes.length);
  reply(response, resource.endsWith('.mp4') ? 'video/mp4' : 'video/iso.segment', bytes);
}

/** The channel's HLS stream: a token it admitted before passes without a new check. */
async function openHls(
  sessions: HlsSessions,
  tokens: TokenService,
  hls: HlsRequest,
): Promise<HlsStream> {
  const { deviceId, channelId, token } = hls;
  const known = sessions.findHls(deviceId, channelId);
  if (known !== undefined && token !== null && known.admitted(token)) {
    known.touch();
    return known;
  }
  const claims = await authoriseLive(tokens, token, deviceId, channelId);
  // Only the playlist starts a stream: segments are asked for once it is listed.
  if (hls.resource !== 'index.m3u8' && known === undefined) {
    throw new ArgusError(
      errorCodes.NOT_FOUND,
      `Cannot find HLS stream of ${deviceId}/${channelId}: not started`,
    );
  }
  return sessions.hls({ deviceId, channelId, transport: claims.transport, protocol: 'HTTP_HLS' });
}

function resourceBytes(stream: HlsStream, resource: string): Uint8Array | undefined {
  // init.mp4 is init 0; init-N.mp4 and seg-N.m4s carry their number.
  const number = Number(/-(\d+)\./.exec(resource)?.[1] ?? 0);
  return resource.startsWith('seg-') ? stream.segment(number) : stream.init(number);
}

function reply(response: ServerResponse, contentType: string, body: Uint8Array): void {
  // Playlists change every segment; segments never change once listed.
  const cache = contentType.includes('mpegurl') ? 'no-cache' : 'max-age=60';
  response.writeHead(200, {
    'Content-Type': contentType,
    'Content-Length': String(body.length),
    'Cache-Control': cache,
    'Access-Control-Allow-Origin': '*',
  });
  response.end(body);
}
