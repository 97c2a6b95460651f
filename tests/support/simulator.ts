import { RunningProcess } from './processes.ts';

export interface SimulatorOptions {
  readonly sipPort: number;
  readonly deviceId: string;
  readonly password: string;
  readonly transport?: 'udp' | 'tcp';
  readonly heartbeat?: number;
  readonly channels?: number;
  /** The sound sent with the clip (the simulator's default: aac). */
  readonly audio?: 'aac' | 'g711a' | 'none';
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
      ...(options.audio === undefined ? [] : ['--audio', options.audio]),
    ],
    {},
  );
}

export const isEvent = (name: string) => (line: Record<string, unknown>) => line['event'] === name;
