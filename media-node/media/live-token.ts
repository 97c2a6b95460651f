/**
 * The live token check every media request makes: a token the API signed for this device
 * and channel (src/auth/tokens.ts), opened within its lifetime.
 */
import type { LiveClaims, TokenService } from '../../src/auth/tokens.ts';
import { ArgusError, errorCodes } from '../../src/errors.ts';

/**
 * The claims of `token` where it is valid for the channel.
 * @throws ArgusError UNAUTHENTICATED where there is no token or it is bad or expired;
 * FORBIDDEN where it is for another channel
 */
export async function authoriseLive(
  tokens: TokenService,
  token: string | null,
  deviceId: string,
  channelId: string,
): Promise<LiveClaims> {
  if (token === null) throw new ArgusError(errorCodes.UNAUTHENTICATED, 'Cannot play: no token');
  const claims = await tokens.verifyLive(token);
  if (claims.deviceId !== deviceId || claims.channelId !== channelId) {
    throw new ArgusError(errorCodes.FORBIDDEN, 'Cannot play: the token is for another channel');
  }
  return claims;
}
