import type { z } from 'zod';

import { ArgusError, errorCodes } from '../errors.ts';

/**
 * Parses untrusted input with a zod schema. Each problem names its field by its path in the
 * input (`devices.0.device_id`), in the message (the first three) and in `details.fields`
 * (all of them).
 * @throws ArgusError VALIDATION naming the first problems: `Cannot accept request: limit must …`
 */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown, what = 'request'): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.map((issue) => ({
    field: issue.path.join('.') || 'body',
    message: issue.message,
  }));
  const problems = fields.slice(0, 3).map((f) => `${f.field} ${f.message}`);
  throw new ArgusError(errorCodes.VALIDATION, `Cannot accept ${what}: ${problems.join('; ')}`, {
    fields,
  });
}

/** Reads a JSON body. @throws ArgusError VALIDATION where it is not JSON */
export async function readJson(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch {
    throw new ArgusError(errorCodes.VALIDATION, 'Cannot accept request: the body is not JSON');
  }
}
