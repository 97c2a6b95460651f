/**
 * Registration of a callback URL: the URL must pass the policy (no private destinations unless
 * allowed) and answer a signed test message (`test: true`) with HTTP 200 within the timeout.
 */
import type { MessageType } from '../domain/subscription.ts';
import { ArgusError, errorCodes } from '../errors.ts';
import { checkCallbackUrl, type CallbackUrlPolicy } from './callback-url.ts';
import { testEnvelope } from './messages.ts';
import { postMessage, type Fetch } from './post-message.ts';
import { signedHeaders, type SigningInput } from './signature.ts';

export interface CallbackSettings extends CallbackUrlPolicy {
  /** How long the test message may wait for its answer (`ARGUS_CALLBACK_TIMEOUT_MS`). */
  readonly timeoutMs: number;
  readonly fetch?: Fetch;
}

/**
 * Checks the URL, then posts it a test message.
 * @throws ArgusError VALIDATION where the policy refuses the URL or it does not answer 200 in
 * time, with what it answered
 */
export async function verifyCallback(
  settings: CallbackSettings,
  input: SigningInput & { readonly messageType: MessageType; readonly now: Date },
): Promise<void> {
  await checkCallbackUrl(input.callbackUrl, settings);

  const body = JSON.stringify(testEnvelope(`test-${crypto.randomUUID()}`, input.messageType));
  const outcome = await postMessage({
    fetch: settings.fetch ?? ((url, init) => fetch(url, init)),
    url: input.callbackUrl,
    body,
    headers: await signedHeaders(input, body, input.now),
    timeoutMs: settings.timeoutMs,
  });
  if (outcome.ok) return;
  throw new ArgusError(
    errorCodes.VALIDATION,
    `Cannot register callback_url: the test message was not accepted: the URL ${outcome.reason}`,
    { status: outcome.status },
  );
}
