import { z } from 'zod';

/** Largest page any list returns. */
export const maxPageLimit = 1000;

/**
 * The one paging meaning of every list: `limit` rows (1 to 1000, default 100) after skipping
 * `offset` rows; answers carry `total`, the number of rows of the whole list, as a number.
 */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(maxPageLimit).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
