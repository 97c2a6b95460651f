import { Hono } from 'hono';
import { z } from 'zod';

import { randomToken } from '../../auth/secrets.ts';
import { handleCommand } from '../../domain/command-handler.ts';
import {
  decideRegisterSubscription,
  decideRemoveSubscription,
  decideReplaySubscription,
  foldSubscription,
  messageTypeOf,
  subscriptionId,
  subscriptionStreamName,
  subscriptionTypes,
  type Subscription,
  type SubscriptionEvent,
} from '../../domain/subscription.ts';
import { ArgusError, errorCodes } from '../../errors.ts';
import { maxCallbackUrlLength } from '../../fanout/callback-url.ts';
import { verifyCallback, type CallbackSettings } from '../../fanout/callback-verification.ts';
import { messageId, positionOfMessageId } from '../../fanout/messages.ts';
import {
  firstPositionSince,
  listDeliveries,
  listSubscriptions,
} from '../../read-models/subscription-queries.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { pageQuery } from '../paging.ts';
import { parseInput, readJson } from '../validation.ts';

const subscriptionType = z.enum(subscriptionTypes);

const registerBody = z.object({
  callback_url: z.string().min(1).max(maxCallbackUrlLength),
  subscription_type: subscriptionType,
  auth_key: z.string().min(6).max(64).optional(),
});

const typeQuery = z.object({ subscription_type: subscriptionType.optional() });
const requiredTypeQuery = z.object({ subscription_type: subscriptionType });
const deliveriesQuery = pageQuery.extend({ subscription_type: subscriptionType.optional() });

const replayBody = z
  .object({
    subscription_type: subscriptionType,
    from_message_id: z.string().min(1).max(32).optional(),
    from_time: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((body) => (body.from_message_id === undefined) !== (body.from_time === undefined), {
    message: 'give exactly one of from_message_id and from_time',
  });

/** Generated signing secrets: 32 random bytes as hex. */
const generatedSecretBytes = 32;

/**
 * Message callbacks (IVM `messages/callback`): register a URL per subscription type after a
 * verified test message, list them with their delivery state, remove them, read the delivery
 * log and replay from a message id or a time.
 */
export function messageRoutes(deps: ApiDeps, callbacks: CallbackSettings) {
  const now = () => deps.now?.() ?? new Date();

  /** Decides a command on the enterprise's subscription of `type`; waits for the read model. */
  async function command(
    userId: string,
    type: z.infer<typeof subscriptionType>,
    decide: (subscription: Subscription) => SubscriptionEvent[],
  ) {
    const id = subscriptionId(userId, type);
    const outcome = await handleCommand(
      deps.store,
      subscriptionStreamName(id),
      (events: SubscriptionEvent[]) => foldSubscription(id, events),
      decide,
    );
    const position = outcome.append?.lastPosition ?? 0;
    if (!(await deps.runner.waitFor(position))) {
      deps.logger.warn({ position, subscriptionId: id }, 'read models behind the subscription');
    }
  }

  return new Hono<ApiEnv>()
    .post('/v1/:user_id/messages/callback', async (c) => {
      const userId = c.get('userId');
      const body = parseInput(registerBody, await readJson(c.req.raw));
      const signingKey = body.auth_key ?? randomToken(generatedSecretBytes);
      const keySource = body.auth_key === undefined ? 'generated' : 'auth_key';
      const at = now();

      await verifyCallback(callbacks, {
        callbackUrl: body.callback_url,
        signingKey,
        keySource,
        messageType: messageTypeOf[body.subscription_type],
        now: at,
      });
      const startAfter = await deps.store.headPosition();
      await command(userId, body.subscription_type, (subscription) =>
        decideRegisterSubscription(subscription, {
          userId,
          subscriptionType: body.subscription_type,
          callbackUrl: body.callback_url,
          signingKey,
          keySource,
          startAfter,
          at,
        }),
      );
      c.get('logger').info(
        { subscriptionType: body.subscription_type, userId },
        'callback registered',
      );

      return c.json({
        callback_url: body.callback_url,
        subscription_type: body.subscription_type,
        create_time: at.toISOString(),
        // Shown once: the receiver verifies X-Argus-Signature with it.
        ...(keySource === 'generated' ? { signing_secret: signingKey } : {}),
      });
    })
    .get('/v1/:user_id/messages/callback', async (c) => {
      const query = parseInput(typeQuery, c.req.query(), 'query');
      const rows = await listSubscriptions(deps.db, c.get('userId'), query.subscription_type);
      return c.json({ total: rows.length, callbacks: rows.map(callbackView) });
    })
    .delete('/v1/:user_id/messages/callback', async (c) => {
      const userId = c.get('userId');
      const query = parseInput(requiredTypeQuery, c.req.query(), 'query');
      await command(userId, query.subscription_type, (subscription) =>
        decideRemoveSubscription(subscription, { userId, at: now() }),
      );
      return c.body(null, 204);
    })
    .get('/v1/:user_id/messages/deliveries', async (c) => {
      const userId = c.get('userId');
      const query = parseInput(deliveriesQuery, c.req.query(), 'query');
      const id =
        query.subscription_type === undefined
          ? undefined
          : subscriptionId(userId, query.subscription_type);
      const { total, rows } = await listDeliveries(deps.db, userId, { subscriptionId: id }, query);
      return c.json({
        total,
        deliveries: rows.map((row) => ({
          message_id: row.message_id,
          message_type: row.message_type,
          attempt: Number(row.attempt),
          outcome: row.outcome,
          http_status: row.http_status === null ? null : Number(row.http_status),
          detail: row.detail,
          time: row.at,
        })),
      });
    })
    .post('/v1/:user_id/messages/replay', async (c) => {
      const userId = c.get('userId');
      const body = parseInput(replayBody, await readJson(c.req.raw));
      const fromPosition = await replayStart(body);
      await command(userId, body.subscription_type, (subscription) =>
        decideReplaySubscription(subscription, { userId, fromPosition, at: now() }),
      );
      return c.json({
        subscription_type: body.subscription_type,
        from_message_id: messageId(fromPosition),
      });
    });

  /** The first position to deliver again: the message id's, or that of the first event since. */
  async function replayStart(body: z.infer<typeof replayBody>): Promise<number> {
    if (body.from_message_id !== undefined) {
      const position = positionOfMessageId(body.from_message_id);
      if (position === undefined) {
        throw new ArgusError(
          errorCodes.VALIDATION,
          `Cannot accept request: from_message_id is not a message id: ${body.from_message_id}`,
        );
      }
      return position;
    }
    const since = new Date(body.from_time ?? '').toISOString();
    return (await firstPositionSince(deps.db, since)) ?? (await deps.store.headPosition()) + 1;
  }
}

type CallbackRow = Awaited<ReturnType<typeof listSubscriptions>>[number];

/** A subscription as the API shows it: never its key. */
function callbackView(row: CallbackRow) {
  return {
    callback_url: row.callback_url,
    subscription_type: row.subscription_type,
    create_time: row.created_at,
    update_time: row.updated_at,
    signed_with: row.key_source === 'auth_key' ? 'auth_key' : 'signing_secret',
    delivery: {
      state: row.breaker_state ?? 'closed',
      reason: row.breaker_reason ?? null,
      failed_attempts: Number(row.attempts ?? 0),
      delivered_through_message_id: messageId(Number(row.position ?? 0)),
      next_attempt_time: row.next_attempt_at ?? null,
      paused_time: row.breaker_opened_at ?? null,
    },
  };
}
