import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { RunningProcess } from './processes.ts';

export interface PlatformOptions {
  readonly dataDir?: string;
  readonly env?: Record<string, string>;
}

/**
 * The real platform on loopback: the API process and the media node process, on ports the
 * system picks, with a private data directory and a fixed AK/SK.
 */
export class Platform {
  readonly userId = '10000000000000000001';
  readonly ak = 'TESTAK';
  readonly sk = 'test-secret-key';
  readonly dataDir: string;
  readonly env: Record<string, string>;
  api!: RunningProcess;
  media!: RunningProcess;
  apiUrl = '';
  sipPort = 0;
  #token = '';

  constructor(options: PlatformOptions = {}) {
    this.dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'argus-e2e-'));
    const rtpBase = 40000 + 2 * Math.floor(Math.random() * 4000);
    this.env = {
      ARGUS_DATA_DIR: this.dataDir,
      ARGUS_HTTP_HOST: '127.0.0.1',
      ARGUS_HTTP_PORT: '0',
      ARGUS_MEDIA_HTTP_PORT: '0',
      ARGUS_SIP_PORT: '0',
      ARGUS_PUBLIC_HOST: '127.0.0.1',
      ARGUS_RTP_PORTS: `${rtpBase}-${rtpBase + 99}`,
      ARGUS_USER_ID: this.userId,
      ARGUS_AK: this.ak,
      ARGUS_SK: this.sk,
      ARGUS_LOG_LEVEL: 'debug',
      ...options.env,
    };
  }

  /** Starts both processes and waits until both listen. */
  async start(): Promise<void> {
    this.api = new RunningProcess('workers/node/server.ts', [], this.env);
    const listening = await this.api.waitFor((l) => l['msg'] === 'api listening', 30_000, 'api');
    this.apiUrl = `http://127.0.0.1:${String(listening['port'])}`;

    this.media = new RunningProcess('media-node/main.ts', [], this.env);
    const media = await this.media.waitFor(
      (l) => l['msg'] === 'media node listening',
      30_000,
      'media node',
    );
    this.sipPort = Number(media['sipPort']);
    this.#token = '';
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await Promise.all([this.api?.stop(signal), this.media?.stop(signal)]);
  }

  removeData(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Calls the API with a token (fetched once); returns status and JSON body. */
  async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    if (this.#token === '') this.#token = await this.token();
    return this.request(method, path, body, { 'Access-Token': this.#token });
  }

  /** One device as `GET /v1/{user_id}/devices` lists it, or undefined. */
  async device(
    deviceId: string,
  ): Promise<{ device_id: string; device_state: string; channel_total: number } | undefined> {
    const { json } = await this.call('GET', '/v1/{user_id}/devices?limit=1000&offset=0');
    return (json.devices as { device_id: string }[]).find((d) => d.device_id === deviceId) as
      { device_id: string; device_state: string; channel_total: number } | undefined;
  }

  async token(): Promise<string> {
    const { status, json } = await this.request(
      'POST',
      `/v2/${this.userId}/enterprises/access-token`,
      { ak: this.ak, sk: this.sk },
    );
    if (status !== 200) throw new Error(`token refused: ${JSON.stringify(json)}`);
    return json.access_token as string;
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; json: any }> {
    const response = await fetch(`${this.apiUrl}${path.replace('{user_id}', this.userId)}`, {
      method,
      headers: { 'Content-Type': 'application/json', ...headers },
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: response.status, json };
  }
}
