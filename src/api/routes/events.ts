import { Hono } from 'hono';
import { z } from 'zod';

import { messageTypeOf, type MessageType } from '../../domain/subscription.ts';
import { ArgusError, errorCodes } from '../../errors.ts';
import { DataflowGate } from '../../fanout/dataflow-gate.ts';
import { DeviceOwners } from '../../fanout/device-owners.ts';
import { eventStream } from '../../fanout/event-stream.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { parseInput } from '../validation.ts';

export interface EventRouteOptions {
  /** Interval of the keep-alive comments; 15 s by default. */
  readonly heartbeatMs?: number;
  /** The reconnection delay suggested to clients; 3 s by default. */
  readonly retryMs?: number;
}

const messageTypes = Object.values(messageTypeOf);
const position = z.string().regex(/^\d{1,15}$/, 'must be a global position (digits)');

const eventsQuery = z.object({
  types: z
    .string()
    .optional()
    .transform((text, ctx) => {
      const types = (text ?? messageTypes.join(',')).split(',').filter((t) => t !== '');
      const unknown = types.filter((t) => !messageTypes.includes(t as MessageType));
      if (unknown.length > 0) {
        ctx.addIssue({ code: 'custom', message: `has unknown types: ${unknown.join(', ')}` });
      }
      return new Set(types as MessageType[]);
    }),
  after: position.optional(),
});

/**
 * `GET /v1/{user_id}/events?types=…`: the enterprise's messages as Server-Sent Events, from
 * `Last-Event-ID` (or `?after=`), or from now where neither is given.
 */
export function eventRoutes(deps: ApiDeps, options: EventRouteOptions = {}) {
  const owners = new DeviceOwners(deps.store);
  const gate = new DataflowGate(deps.db);

  return new Hono<ApiEnv>().get('/v1/:user_id/events', async (c) => {
    const query = parseInput(eventsQuery, c.req.query(), 'query');
    const lastEventId = c.req.header('Last-Event-ID');
    if (lastEventId !== undefined && !position.safeParse(lastEventId).success) {
      throw new ArgusError(
        errorCodes.VALIDATION,
        `Cannot accept Last-Event-ID: not an event id of this stream: ${lastEventId.slice(0, 32)}`,
      );
    }
    const resumeFrom = lastEventId ?? query.after;
    const after = resumeFrom === undefined ? await deps.store.headPosition() : Number(resumeFrom);

    const stream = eventStream({
      store: deps.store,
      owners,
      gate,
      userId: c.get('userId'),
      types: query.types,
      after,
      heartbeatMs: options.heartbeatMs ?? 15_000,
      retryMs: options.retryMs ?? 3000,
    });
    return new Response(stream, {
      headers: {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache',
        'X-Accel-Buffering': 'no',
      },
    });
  });
}
