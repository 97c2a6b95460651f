import type { Platform } from './platform.ts';
import { eventually, RunningProcess } from './processes.ts';

export interface SimulatorOptions {
  readonly sipPort: number;
  readonly deviceId: string;
  readonly password: string;
  readonly transport?: 'udp' | 'tcp';
  readonly heartbeat?: number;
  readonly channels?: number;
  /** The sound sent with the clip (the simulator's default: aac). */
  readonly audio?: 'aac' | 'g711a' | 'none';
  /** The video sent: the H.264 clip (the simulator's default) or its H.265 twin. */
  readonly codec?: 'h264' | 'h265';
  /** `--fault`: e.g. `loss=1,seed=7`, `reorder=8`, `duplicate=5`, `ssrc0`, `no-psm`. */
  readonly fault?: string;
  /** `--refuse-tcp`: a status such as `488` to refuse TCP offers with, or `udp`. */
  readonly refuseTcp?: string;
}

/** The optional flags, each where its option is given. */
function optionalFlags(options: SimulatorOptions): string[] {
  const flags: [string, string | undefined][] = [
    ['--audio', options.audio],
    ['--codec', options.codec],
    ['--fault', options.fault],
    ['--refuse-tcp', options.refuseTcp],
  ];
  return flags.flatMap(([flag, value]) => (value === undefined ? [] : [flag, value]));
}

/** The bundled device simulator as a child process, printing one JSON line per event. */
export function startSimulator(options: SimulatorOptions): RunningProcess {
  return new RunningProcess(
    'simulator/cli.ts',
    [
      '--server',
      `127.0.0.1:${options.sipPort}`,
      '--device-id',
      options.deviceId,
      '--password',
      options.password,
      '--transport',
      options.transport ?? 'udp',
      '--heartbeat',
      String(options.heartbeat ?? 1),
      '--channels',
      String(options.channels ?? 1),
      ...optionalFlags(options),
    ],
    {},
  );
}

export const isEvent = (name: string) => (line: Record<string, unknown>) => line['event'] === name;

/**
 * Adds a device through the API, starts the simulator as that device and waits until its
 * channels are listed: the usual start of an end-to-end test.
 */
export async function startOnlineCamera(
  platform: Platform,
  camera: { deviceId: string; password: string; name?: string; channels?: number },
): Promise<RunningProcess> {
  const { deviceId, password } = camera;
  const channels = camera.channels ?? 1;
  await platform.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
    devices: [
      { device_id: deviceId, device_name: camera.name ?? 'Camera', device_password: password },
    ],
  });
  const process = startSimulator({ sipPort: platform.sipPort, deviceId, password, channels });
  await process.waitFor(isEvent('registered'));
  await eventually(
    async () => {
      const { json } = await platform.call('GET', `/v1/{user_id}/channels?device_id=${deviceId}`);
      return json.total === channels ? json : undefined;
    },
    15_000,
    `${channels} channels listed`,
  );
  return process;
}
