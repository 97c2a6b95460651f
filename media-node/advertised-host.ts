import { networkInterfaces } from 'node:os';

/**
 * The address viewers and devices are told to use: ARGUS_PUBLIC_HOST where set, else the
 * first non-internal IPv4 address of this host, else the loopback.
 */
export function advertisedHost(configured: string | undefined): string {
  if (configured !== undefined) return configured;
  for (const addresses of Object.values(networkInterfaces())) {
    const lan = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (lan !== undefined) return lan.address;
  }
  return '127.0.0.1';
}
