/**
 * The simulator's settings, from command-line flags over ARGUS_SIM_* environment variables
 * over defaults. Invalid values stop it with a message naming the flag.
 */
import { parseArgs } from 'node:util';
import { isGbId } from '../media-node/formats/gb-id.ts';
import type { ClipAudioCodec } from './media/clip-audio.ts';
import { FLEET_OPTIONS, FLEET_USAGE, readFleetFlags, type FleetFlags } from './catalog-flags.ts';
import { parseFaults } from './faults.ts';
import type { StreamFaults } from './faults.ts';

export interface SimulatorConfig {
  server: { host: string; port: number };
  deviceId: string;
  password: string;
  transport: 'udp' | 'tcp';
  /** SIP domain (realm), the first 10 digits of the server ID by default. */
  domain: string;
  serverId: string;
  /** Seconds between keepalives. */
  heartbeat: number;
  /** Seconds of registration asked for. */
  expires: number;
  channels: number;
  localPort: number;
  /** The sound sent with the clip: AAC (default), G.711 A-law, or none. */
  audio: ClipAudioCodec;
  /** Address written in Via, Contact and SDP; found from the route to the server by default. */
  localIp?: string;
  /** Faults put into the RTP stream (faults.ts); none by default. */
  faults?: StreamFaults;
  /** The video sent: the H.264 clip (default) or its H.265 twin. */
  codec?: ClipVideoCodec;
  /** How TCP offers are refused, as cameras that only send over UDP do; served by default. */
  refuseTcp?: TcpRefusal;
  /** Large catalogs, catalog NOTIFYs and alarms (catalog-flags.ts). */
  fleet?: FleetFlags;
}

export type ClipVideoCodec = 'h264' | 'h265';

/**
 * A camera that cannot send RTP over TCP: it answers a TCP offer with an error status (488,
 * 415, 400, …), or with a 200 whose SDP offers only RTP/AVP (`answer-udp`).
 */
export type TcpRefusal = { status: number } | 'answer-udp';

const OPTIONS = {
  server: { type: 'string' },
  'device-id': { type: 'string' },
  password: { type: 'string' },
  transport: { type: 'string' },
  domain: { type: 'string' },
  'server-id': { type: 'string' },
  heartbeat: { type: 'string' },
  expires: { type: 'string' },
  channels: { type: 'string' },
  'local-port': { type: 'string' },
  'local-ip': { type: 'string' },
  audio: { type: 'string' },
  fault: { type: 'string' },
  codec: { type: 'string' },
  'refuse-tcp': { type: 'string' },
  ...FLEET_OPTIONS,
  help: { type: 'boolean' },
} as const;

export const USAGE =
  'Usage: tsx simulator/cli.ts --server HOST:PORT --device-id ID --password SECRET\n' +
  `  [--transport udp|tcp] [--domain 3402000000] [--server-id 34020000002000000001]
  [--heartbeat 20] [--expires 3600] [--channels 1] [--local-port 0] [--local-ip ADDRESS]
  [--audio aac|g711a|none] [--codec h264|h265] [--refuse-tcp STATUS|udp]
  [--fault loss=PCT,reorder=N,duplicate=PCT,ssrc0,no-psm,seed=N]
${FLEET_USAGE}
Each flag may also come from ARGUS_SIM_<FLAG> (e.g. ARGUS_SIM_DEVICE_ID).`;

/** A configuration error: the CLI prints the message and the usage, and exits with status 64. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Flag = keyof typeof OPTIONS;

/** Reads the settings; `undefined` where --help was asked for. */
export function readConfig(argv: string[], env: NodeJS.ProcessEnv): SimulatorConfig | undefined {
  const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true });
  if (values.help === true) return undefined;
  const get = (flag: Exclude<Flag, 'help' | 'catalog-shuffle'>): string | undefined =>
    values[flag] ?? env[`ARGUS_SIM_${flag.toUpperCase().replace(/-/g, '_')}`];

  const deviceId = required(get('device-id'), 'device-id');
  if (!isGbId(deviceId))
    throw new ConfigError(`Cannot start: --device-id is not 20 digits: ${deviceId}`);
  const serverId = get('server-id') ?? `${deviceId.slice(0, 10)}2000000001`;
  if (!isGbId(serverId))
    throw new ConfigError(`Cannot start: --server-id is not 20 digits: ${serverId}`);

  const config: SimulatorConfig = {
    server: parseServer(required(get('server'), 'server')),
    deviceId,
    password: required(get('password'), 'password'),
    transport: parseTransport(get('transport') ?? 'udp'),
    domain: get('domain') ?? serverId.slice(0, 10),
    serverId,
    heartbeat: parseNumber(get('heartbeat') ?? '20', 'heartbeat', 0.1, 3600),
    expires: parseNumber(get('expires') ?? '3600', 'expires', 1, 86400),
    channels: Math.trunc(parseNumber(get('channels') ?? '1', 'channels', 1, 4096)),
    localPort: Math.trunc(parseNumber(get('local-port') ?? '0', 'local-port', 0, 65535)),
    audio: parseAudio(get('audio') ?? 'aac'),
  };
  const localIp = get('local-ip');
  if (localIp !== undefined) config.localIp = localIp;
  const fault = get('fault');
  if (fault !== undefined) config.faults = parseStreamFaults(fault);
  const codec = get('codec');
  if (codec !== undefined) config.codec = parseCodec(codec);
  const refuseTcp = get('refuse-tcp');
  if (refuseTcp !== undefined) config.refuseTcp = parseTcpRefusal(refuseTcp);
  config.fleet = fleetFlags(() => readFleetFlags(get, values['catalog-shuffle'] === true));
  return config;
}

function fleetFlags(read: () => FleetFlags): FleetFlags {
  try {
    return read();
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
}

function parseStreamFaults(value: string): StreamFaults {
  try {
    return parseFaults(value);
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '')
    throw new ConfigError(`Cannot start: --${flag} is required`);
  return value;
}

function parseServer(value: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?(?::(\d{1,5}))?$/.exec(value);
  const port = Number(match?.[2] ?? 5060);
  if (match === null || port < 1 || port > 65535) {
    throw new ConfigError(`Cannot start: --server is not HOST[:PORT]: ${value}`);
  }
  return { host: match[1] ?? '', port };
}

function parseTransport(value: string): 'udp' | 'tcp' {
  const lower = value.toLowerCase();
  if (lower !== 'udp' && lower !== 'tcp') {
    throw new ConfigError(`Cannot start: --transport is not udp or tcp: ${value}`);
  }
  return lower;
}

function parseAudio(value: string): ClipAudioCodec {
  const lower = value.toLowerCase();
  if (lower !== 'aac' && lower !== 'g711a' && lower !== 'none') {
    throw new ConfigError(`Cannot start: --audio is not aac, g711a or none: ${value}`);
  }
  return lower;
}

function parseCodec(value: string): ClipVideoCodec {
  const lower = value.toLowerCase();
  if (lower !== 'h264' && lower !== 'h265') {
    throw new ConfigError(`Cannot start: --codec is not h264 or h265: ${value}`);
  }
  return lower;
}

/** `udp`: answer TCP offers with RTP/AVP; a status 400..699: refuse them with it. */
function parseTcpRefusal(value: string): TcpRefusal {
  if (value.toLowerCase() === 'udp') return 'answer-udp';
  if (!/^[4-6]\d\d$/.test(value)) {
    throw new ConfigError(`Cannot start: --refuse-tcp is not udp or a status 400..699: ${value}`);
  }
  return { status: Number(value) };
}

function parseNumber(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(`Cannot start: --${flag} is not a number in ${min}..${max}: ${value}`);
  }
  return n;
}
