import { handleCommand } from '../domain/command-handler.ts';
import {
  decideCreateEnterpriseWithCredential,
  foldEnterprise,
  type EnterpriseStreamEvent,
} from '../domain/enterprise.ts';
import { streamNames, type EventStore } from '../event-store/event-store.ts';
import { hashSecret, randomToken } from '../auth/secrets.ts';
import { errorCodes, isArgusError } from '../errors.ts';

/** The stream that records which enterprise the first start created, once. */
const bootstrapStream = 'platform-bootstrap';

export interface BootstrapResult {
  readonly userId: string;
  /** The AK/SK, returned only where they were generated here (print them once). */
  readonly generated?: { ak: string; sk: string };
}

/**
 * On first start, creates the enterprise `userId` (generated where absent) with one AK/SK
 * pair (generated where absent). The first start is claimed by appending to
 * `platform-bootstrap` with expected revision no_stream, so of several processes starting at
 * once exactly one creates it; a start that finds the claim but no enterprise (a crash in
 * between) finishes the job. Later starts change nothing and return undefined.
 */
export async function bootstrapEnterprise(
  store: EventStore,
  options: {
    userId?: string | undefined;
    ak?: string | undefined;
    sk?: string | undefined;
    now: Date;
  },
): Promise<BootstrapResult | undefined> {
  const userId = await claimBootstrap(store, options);
  if (userId === undefined) return undefined;

  const ak = options.ak ?? randomToken(10).toUpperCase();
  const sk = options.sk ?? randomToken(20);
  const skHash = await hashSecret(sk);
  const fold = (events: EnterpriseStreamEvent[]) => foldEnterprise(userId, events);
  try {
    await handleCommand(store, streamNames.enterprise(userId), fold, (enterprise) =>
      decideCreateEnterpriseWithCredential(enterprise, {
        name: 'Default enterprise',
        ak,
        skHash,
        at: options.now,
      }),
    );
  } catch (error) {
    // Another start finishing an interrupted bootstrap got there first.
    if (isArgusError(error, errorCodes.CONFLICT)) return undefined;
    throw error;
  }

  const generated = options.ak === undefined || options.sk === undefined ? { ak, sk } : undefined;
  return generated === undefined ? { userId } : { userId, generated };
}

/**
 * The enterprise this start must create, or undefined where another start has (or is
 * doing so right now).
 */
async function claimBootstrap(
  store: EventStore,
  options: { userId?: string | undefined; now: Date },
): Promise<string | undefined> {
  const [claim] = await store.readStream(bootstrapStream, { maxCount: 1 });
  if (claim !== undefined) {
    const claimed = String(claim.data['userId']);
    const created = await store.readStream(streamNames.enterprise(claimed), { maxCount: 1 });
    return created.length === 0 ? claimed : undefined;
  }

  const userId = options.userId ?? randomToken(20, 'digits').replace(/^0/, '1');
  try {
    await store.appendToStream(
      bootstrapStream,
      [{ type: 'PlatformBootstrapped', data: { userId, at: options.now.toISOString() } }],
      { expectedRevision: 'no_stream' },
    );
    return userId;
  } catch (error) {
    if (isArgusError(error, errorCodes.WRONG_EXPECTED_REVISION)) return undefined;
    throw error;
  }
}
