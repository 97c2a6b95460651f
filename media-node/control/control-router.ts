/**
 * The media node's control routes, `/internal/…` on its HTTP port: how the API asks the node
 * that serves a device to do something with it (query it, move its PTZ, list its
 * recordings). Every call carries `Authorization: Bearer <control token>`, a short-lived JWT
 * the API signs with the platform secret for this node only (src/auth/tokens.ts), so viewers
 * holding live tokens, or another node's caller, get 401. Bodies are JSON of at most 64 KiB;
 * answers are JSON, errors the API's `{error_code, error_msg, request_id}`.
 *
 * Features register their routes with `on`; the router knows nothing of what they do.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { ControlClaims, TokenService } from '../../src/auth/tokens.ts';
import { ArgusError, errorCodes } from '../../src/errors.ts';

/** Where control routes live on the media node's HTTP port. */
export const controlPrefix = '/internal/';

/** Largest control request body read. */
export const maxControlBodyBytes = 64 * 1024;

export interface ControlRequest {
  /** Named segments of the route's pattern (`:device_id` → `params.device_id`). */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The parsed JSON body; undefined for an empty one. */
  readonly body: unknown;
  /** Who the API called for. */
  readonly caller: ControlClaims;
}

/** Answers with a JSON-serialisable value, or throws an ArgusError. */
export type ControlHandler = (request: ControlRequest) => Promise<unknown>;

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

interface Route {
  readonly method: Method;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly handler: ControlHandler;
}

export class ControlRouter {
  readonly #routes: Route[] = [];
  readonly #tokens: TokenService;
  readonly #nodeId: string;

  constructor(tokens: TokenService, nodeId: string) {
    this.#tokens = tokens;
    this.#nodeId = nodeId;
  }

  /**
   * Adds a route. `path` starts with `/internal/`; `:name` segments match one segment of
   * letters, digits, `-` and `_`.
   */
  on(method: Method, path: string, handler: ControlHandler): this {
    if (!path.startsWith(controlPrefix)) {
      throw new Error(`A control route lives under ${controlPrefix}: ${path}`);
    }
    const names: string[] = [];
    const source = path
      .split('/')
      .map((segment) => {
        if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(segment.slice(1));
        return '([A-Za-z0-9_-]+)';
      })
      .join('/');
    this.#routes.push({ method, pattern: new RegExp(`^${source}$`), names, handler });
    return this;
  }

  /** True where `pathname` is a control path (served here, whatever the answer). */
  owns(pathname: string): boolean {
    return pathname.startsWith(controlPrefix);
  }

  /** Serves one control request. @throws ArgusError, answered by the HTTP server */
  async serve(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const caller = await this.#authenticate(request);
    const { route, params } = this.#match(request.method ?? 'GET', url.pathname);
    const body = await readJsonBody(request);
    const answer = await route.handler({ params, query: url.searchParams, body, caller });
    const text = JSON.stringify(answer ?? {});
    response.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
    });
    response.end(text);
  }

  async #authenticate(request: IncomingMessage): Promise<ControlClaims> {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (match?.[1] === undefined) {
      throw new ArgusError(
        errorCodes.UNAUTHENTICATED,
        'Cannot accept control request: no Authorization: Bearer token',
      );
    }
    return this.#tokens.verifyControl(match[1], this.#nodeId);
  }

  #match(method: string, pathname: string): { route: Route; params: Record<string, string> } {
    for (const route of this.#routes) {
      if (route.method !== method) continue;
      const found = route.pattern.exec(pathname);
      if (found === null) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => (params[name] = found[i + 1] ?? ''));
      return { route, params };
    }
    throw new ArgusError(errorCodes.NOT_FOUND, `Cannot find control route: ${method} ${pathname}`);
  }
}

/** The request's JSON body, undefined when empty. @throws ArgusError for too large or not JSON */
async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxControlBodyBytes) {
      throw new ArgusError(
        errorCodes.BODY_TOO_LARGE,
        `Cannot accept control request: the body is larger than ${maxControlBodyBytes} bytes`,
      );
    }
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new ArgusError(errorCodes.VALIDATION, 'Cannot accept control request: body is not JSON');
  }
}
