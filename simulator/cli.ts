/**
 * The device simulator's entry: a GB/T 28181 IP camera on the command line.
 *
 *   tsx simulator/cli.ts --server 127.0.0.1:5060 --device-id 34020000001320000001 \
 *     --password 12345678
 *
 * Prints one JSON line per event on stdout; messages for people go to stderr. Exit status:
 * 0 after SIGTERM/SIGINT, 2 where registration is refused, 64 on bad flags, 1 otherwise.
 */
import { USAGE, readConfig } from './config.ts';
import type { SimulatorConfig } from './config.ts';
import { Device, RegistrationRefused } from './device.ts';
import type { SimulatorEvent } from './events.ts';
import { openTcpTransport, openUdpTransport } from './sip-transport.ts';
import type { TransportHandlers } from './sip-transport.ts';

const EXIT_REFUSED = 2;
const EXIT_USAGE = 64;

function emit(event: SimulatorEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function warn(message: string): void {
  process.stderr.write(`simulator: ${message}\n`);
}

function configOrExit(): SimulatorConfig {
  try {
    const config = readConfig(process.argv.slice(2), process.env);
    if (config !== undefined) return config;
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  } catch (error) {
    warn(error instanceof Error ? error.message : String(error));
    process.stderr.write(`${USAGE}\n`);
    process.exit(EXIT_USAGE);
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  // Messages can only arrive once the device has sent something, so after it exists.
  const ref: { device?: Device } = {};
  const handlers: TransportHandlers = {
    onMessage: (message) => ref.device?.handle(message),
    onError: (error) => warn(error.message),
    onClose: () => ref.device?.onDisconnected(),
  };
  const open = config.transport === 'tcp' ? openTcpTransport : openUdpTransport;
  const transport = await open(config, handlers);

  let stopping = false;
  const exitAfterStop = async (status: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await device.stop().catch((error: unknown) => warn(String(error)));
    await transport.close().catch(() => undefined);
    process.exit(status);
  };
  const fail = async (error: Error): Promise<void> => {
    warn(error.message);
    await exitAfterStop(error instanceof RegistrationRefused ? EXIT_REFUSED : 1);
  };
  const device = new Device({ config, transport, emit, onFatal: (error) => void fail(error) });
  ref.device = device;

  process.once('SIGTERM', () => void exitAfterStop(0));
  process.once('SIGINT', () => void exitAfterStop(0));
  await device.start().catch(fail);
}

main().catch((error: unknown) => {
  warn(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
