import type { Context } from 'hono';

import type { AppendResult } from '../../event-store/event-store.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';

/**
 * Waits until the read models include an append, so that the call that follows a write sees
 * it (a token just issued is accepted, an organisation just created is listed). Where they
 * stay behind (another process holding the write lock), the answer goes out with a warning.
 */
export async function readYourWrites(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  append: AppendResult | undefined,
): Promise<void> {
  if (append === undefined) return;
  if (!(await deps.runner.waitFor(append.lastPosition))) {
    c.get('logger').warn({ position: append.lastPosition }, 'read models behind a write');
  }
}
