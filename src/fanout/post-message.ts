/**
 * One POST of a message to a callback URL. Success is HTTP 200 (IVM: the receiver answers 200);
 * anything else, no answer within the timeout, or a failed connection is a failure described
 * for the delivery log and the API.
 */
export type PostOutcome =
  | { readonly ok: true; readonly status: number }
  | { readonly ok: false; readonly status: number | undefined; readonly reason: string };

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

export interface PostOptions {
  readonly fetch: Fetch;
  readonly url: string;
  readonly body: string;
  readonly headers: Record<string, string>;
  readonly timeoutMs: number;
}

/** Posts and reads the answer; never throws. */
export async function postMessage(options: PostOptions): Promise<PostOutcome> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.timeoutMs);
  try {
    const response = await options.fetch(options.url, {
      method: 'POST',
      headers: options.headers,
      body: options.body,
      // A redirect could lead past the callback URL policy: it is a failure, not followed.
      redirect: 'manual',
      signal: abort.signal,
    });
    // The body is not read: only the status counts, and a large one must not hold the loop.
    await response.body?.cancel().catch(() => {});
    if (response.status === 200) return { ok: true, status: 200 };
    return { ok: false, status: response.status, reason: `answered HTTP ${response.status}` };
  } catch (error) {
    if (abort.signal.aborted) {
      return {
        ok: false,
        status: undefined,
        reason: `gave no answer within ${options.timeoutMs} ms`,
      };
    }
    return { ok: false, status: undefined, reason: `could not be reached (${describe(error)})` };
  } finally {
    clearTimeout(timer);
  }
}

/** The innermost cause of a fetch failure (undici wraps ECONNREFUSED and the like). */
function describe(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
