import { handleCommand } from '../domain/command-handler.ts';
import {
  decideCreateEnterprise,
  decideIssueCredential,
  evolveEnterprise,
  foldEnterprise,
  type EnterpriseEvent,
} from '../domain/enterprise.ts';
import { streamNames, type EventStore } from '../event-store/event-store.ts';
import { hashSecret, randomToken } from '../auth/secrets.ts';

export interface BootstrapResult {
  readonly userId: string;
  /** The AK/SK, returned only where they were generated here (print them once). */
  readonly generated?: { ak: string; sk: string };
}

/**
 * On first start (an empty event store), creates the enterprise `userId` (generated where
 * absent) with one AK/SK pair (generated where absent). Later starts change nothing and
 * return undefined.
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
  if ((await store.headPosition()) > 0) return undefined;

  const userId = options.userId ?? randomToken(20, 'digits').replace(/^0/, '1');
  const stream = streamNames.enterprise(userId);

  const ak = options.ak ?? randomToken(10).toUpperCase();
  const sk = options.sk ?? randomToken(20);
  const skHash = await hashSecret(sk);
  const fold = (events: EnterpriseEvent[]) => foldEnterprise(userId, events);
  await handleCommand(store, stream, fold, (enterprise) => {
    const created = decideCreateEnterprise(enterprise, {
      name: 'Default enterprise',
      at: options.now,
    });
    const next = created.reduce(evolveEnterprise, enterprise);
    return [...created, ...decideIssueCredential(next, { ak, skHash, at: options.now })];
  });

  const generated = options.ak === undefined || options.sk === undefined ? { ak, sk } : undefined;
  return generated === undefined ? { userId } : { userId, generated };
}
