/**
 * How the API reaches the media node that serves a device: the read models say which node
 * the device registered with and where that node's HTTP port is; the call carries a control
 * token for that node alone (media-node/control/control-router.ts). Runtime-neutral: fetch
 * and Web Crypto only, so Workers and Deno call nodes the same way.
 */
import type { TokenService } from '../auth/tokens.ts';
import { ArgusError, errorCodes } from '../errors.ts';
import type { Db } from '../sql/database.ts';

/** How long a node has to answer: a device query waits up to 10 s for the device. */
export const defaultControlTimeoutMs = 15_000;

export interface MediaNodeCall {
  readonly userId: string;
  readonly deviceId: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Under `/internal/`, e.g. `/internal/devices/{id}/queries/DeviceInfo`. */
  readonly path: string;
  readonly body?: unknown;
  readonly timeoutMs?: number;
}

export interface MediaNodeClientOptions {
  readonly db: Db;
  readonly tokens: TokenService;
  /** Injected in tests; the runtime's fetch otherwise. */
  readonly fetch?: typeof fetch;
}

export class MediaNodeClient {
  readonly #options: MediaNodeClientOptions;

  constructor(options: MediaNodeClientOptions) {
    this.#options = options;
  }

  /**
   * Calls the node serving the device and answers its JSON. Errors the node answers in the
   * API's shape are raised as they came (NOT_FOUND, UNAVAILABLE, …).
   * @throws ArgusError NOT_FOUND (no such device of the tenant), UNAVAILABLE (the device is
   *   on no node, the node cannot be reached or does not answer in time)
   */
  async call(request: MediaNodeCall): Promise<unknown> {
    const node = await this.#nodeOf(request.userId, request.deviceId);
    const token = await this.#options.tokens.issueControl({
      userId: request.userId,
      nodeId: node.nodeId,
    });
    const fetcher = this.#options.fetch ?? fetch;
    let response: Response;
    try {
      response = await fetcher(`${node.httpUrl}${request.path}`, {
        method: request.method,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(request.body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        signal: AbortSignal.timeout(request.timeoutMs ?? defaultControlTimeoutMs),
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ArgusError(
        errorCodes.UNAVAILABLE,
        `Cannot reach media node ${node.nodeId} of device ${request.deviceId}: ${reason}`,
      );
    }
    const answer = await readJson(response);
    if (response.ok) return answer;
    throw nodeError(response.status, answer, node.nodeId);
  }

  async #nodeOf(userId: string, deviceId: string): Promise<{ nodeId: string; httpUrl: string }> {
    const row = await this.#options.db
      .selectFrom('devices')
      .leftJoin('media_nodes', 'media_nodes.node_id', 'devices.media_node_id')
      .select(['devices.device_state', 'media_nodes.node_id', 'media_nodes.http_url'])
      .where('devices.user_id', '=', userId)
      .where('devices.device_id', '=', deviceId)
      .executeTakeFirst();
    if (row === undefined) {
      throw new ArgusError(errorCodes.NOT_FOUND, `Cannot find device: ${deviceId}`);
    }
    if (row.device_state !== 'ONLINE' || row.node_id === null || row.http_url === null) {
      throw new ArgusError(
        errorCodes.UNAVAILABLE,
        `Cannot reach device ${deviceId}: it is ${row.device_state.toLowerCase()}`,
      );
    }
    return { nodeId: row.node_id, httpUrl: row.http_url };
  }
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return { error_msg: text.slice(0, 200) };
  }
}

/** The codes a node's answer keeps, by HTTP status: the caller's mistakes and the device's. */
const passedOn: Readonly<Record<number, ArgusError['code']>> = {
  400: errorCodes.VALIDATION,
  403: errorCodes.FORBIDDEN,
  404: errorCodes.NOT_FOUND,
  409: errorCodes.CONFLICT,
  413: errorCodes.BODY_TOO_LARGE,
  503: errorCodes.UNAVAILABLE,
};

/**
 * The node's error as the API raises it: the caller's mistakes and the device's keep their
 * meaning; anything else (a refused control token: the processes disagree on the secret; a
 * failure inside the node) is the node being unusable.
 */
function nodeError(status: number, answer: unknown, nodeId: string): ArgusError {
  const body = (answer ?? {}) as { error_msg?: unknown };
  const message =
    typeof body.error_msg === 'string' ? body.error_msg : `media node answered ${status}`;
  const code = passedOn[status];
  if (code !== undefined) return new ArgusError(code, message, { nodeId });
  return new ArgusError(errorCodes.UNAVAILABLE, `Cannot use media node ${nodeId}: ${message}`, {
    nodeId,
    status,
  });
}
