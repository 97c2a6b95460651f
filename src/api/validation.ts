import type { z } from 'zod';

import { ArgusError, errorCodes } from '../errors.ts';

/**
 * Parses untrusted input with a zod schema.
 * @throws ArgusError VALIDATION naming the first problems: `Cannot accept request: limit must …`
 */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown, what = 'request'): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || 'body'} ${issue.message}`);
  throw new ArgusError(errorCodes.VALIDATION, `Cannot accept ${what}: ${problems.join('; ')}`);
}

/** Reads a JSON body. @throws ArgusError VALIDATION where it is not JSON */
export async function readJson(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch {
    throw new ArgusError(errorCodes.VALIDATION, 'Cannot accept request: the body is not JSON');
  }
}
