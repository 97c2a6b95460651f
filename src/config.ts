/**
 * Platform configuration from environment variables (README lists each). Runtime-neutral:
 * entries pass their environment in as a plain record.
 */
import { z } from 'zod';

import { ArgusError, errorCodes } from './errors.ts';

const port = z.coerce.number().int().min(0).max(65535);
const gbId = z.string().regex(/^\d{20}$/, 'must be 20 digits');

const schema = z.object({
  ARGUS_DATA_DIR: z.string().default('./data'),
  ARGUS_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//i, 'must be a postgres:// URL')
    .optional(),
  ARGUS_HTTP_HOST: z.string().default('0.0.0.0'),
  ARGUS_HTTP_PORT: port.default(8080),
  ARGUS_PUBLIC_HOST: z.string().optional(),
  ARGUS_SIP_PORT: port.default(5060),
  ARGUS_SIP_ID: gbId.default('34020000002000000001'),
  ARGUS_SIP_DOMAIN: z
    .string()
    .regex(/^\d{10}$/, 'must be 10 digits')
    .default('3402000000'),
  ARGUS_HEARTBEAT_S: z.coerce.number().positive().default(60),
  ARGUS_HEARTBEAT_MISSES: z.coerce.number().int().positive().default(3),
  ARGUS_RTP_PORTS: z
    .string()
    .regex(/^\d+-\d+$/, 'must be a range such as 30000-30499')
    .default('30000-30499'),
  ARGUS_RTP_TCP_MODE: z.enum(['passive', 'active']).default('passive'),
  ARGUS_MEDIA_HTTP_PORT: port.default(8081),
  ARGUS_MEDIA_HTTPS_PORT: port.default(8443),
  ARGUS_TLS_CERT: z.string().optional(),
  ARGUS_TLS_KEY: z.string().optional(),
  ARGUS_MEDIA_NODE_ID: z.string().min(1).default('media-1'),
  ARGUS_USER_ID: z
    .string()
    .regex(/^\d{15,25}$/, 'must be 15 to 25 digits')
    .optional(),
  ARGUS_AK: z
    .string()
    .regex(/^[\w-]{1,64}$/)
    .optional(),
  ARGUS_SK: z
    .string()
    .regex(/^[\w-]{1,64}$/)
    .optional(),
  ARGUS_SECRET: z.string().min(32).optional(),
  ARGUS_TOKEN_TTL_S: z.coerce.number().int().positive().default(86400),
  ARGUS_CONTROL_LOCK_S: z.coerce.number().int().positive().default(120),
  ARGUS_LIVE_LINGER_S: z.coerce.number().nonnegative().default(5),
  ARGUS_NO_MEDIA_S: z.coerce.number().positive().default(8),
  ARGUS_METERING_INTERVAL_S: z.coerce.number().positive().default(60),
  ARGUS_CALLBACK_TIMEOUT_MS: z.coerce.number().int().positive().default(1000),
  ARGUS_CALLBACK_ALLOW_PRIVATE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  ARGUS_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

export type ArgusConfig = z.infer<typeof schema>;

/**
 * Reads the configuration.
 * @throws ArgusError VALIDATION naming each bad variable
 */
export function readConfig(env: Record<string, string | undefined>): ArgusConfig {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
    throw new ArgusError(
      errorCodes.VALIDATION,
      `Cannot read configuration: ${problems.join('; ')}`,
    );
  }
  return parsed.data;
}

/** The RTP port range as numbers. */
export function rtpPortRange(config: ArgusConfig): { min: number; max: number } {
  const [min = 0, max = 0] = config.ARGUS_RTP_PORTS.split('-').map(Number);
  if (min > max) {
    throw new ArgusError(errorCodes.VALIDATION, `Cannot read ARGUS_RTP_PORTS: ${min} > ${max}`);
  }
  return { min, max };
}
