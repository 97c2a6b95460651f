/**
 * Read → decide → append on one service package's stream, with the bindings the read models
 * released since (device deleted, channel gone from the catalog) recorded first, so that they
 * no longer count against the quota. The released set is read only once the read models have
 * applied every event of the stream read, so a binding just appended is never mistaken for a
 * released one.
 */
import {
  channelKey,
  decideRelease,
  evolveServicePackage,
  foldServicePackage,
  servicePackageStreamName,
  type ServicePackage,
  type ServicePackageEvent,
} from '../../domain/service-package.ts';
import { asDomainEvent } from '../../domain/command-handler.ts';
import { ArgusError, errorCodes, isArgusError } from '../../errors.ts';
import type { AppendResult } from '../../event-store/event-store.ts';
import { boundChannelKeys } from '../../read-models/package-queries.ts';
import type { ApiDeps } from '../context.ts';

export interface PackageOutcome<R> {
  readonly result: R;
  readonly append: AppendResult | undefined;
}

const attempts = 5;

/**
 * Runs `decide` on the package's state after releases, appends the releases and its events
 * in one append with the expected revision, and retries on a concurrent writer.
 * @throws ArgusError UNAVAILABLE where the read models stay behind the stream; the decider's
 * errors; WRONG_EXPECTED_REVISION after `attempts` lost races
 */
export async function onPackage<R>(
  deps: ApiDeps,
  resourceId: string,
  at: Date,
  decide: (state: ServicePackage) => { events: ServicePackageEvent[]; result: R },
): Promise<PackageOutcome<R>> {
  const streamName = servicePackageStreamName(resourceId);
  for (let attempt = 1; ; attempt++) {
    const recorded = await deps.store.readStream(streamName);
    const state = foldServicePackage(resourceId, recorded.map(asDomainEvent<ServicePackageEvent>));
    const released = await releasedSince(deps, state, recorded.at(-1)?.globalPosition ?? 0);

    const releases = decideRelease(state, { released, at });
    const decided = decide(releases.reduce(evolveServicePackage, state));
    const events = [...releases, ...decided.events];
    if (events.length === 0) return { result: decided.result, append: undefined };

    try {
      const append = await deps.store.appendToStream(
        streamName,
        events.map((event) => ({ type: event.type, data: { ...event.data } })),
        { expectedRevision: recorded.length === 0 ? 'no_stream' : recorded.length - 1 },
      );
      return { result: decided.result, append };
    } catch (error) {
      if (attempt >= attempts || !isArgusError(error, errorCodes.WRONG_EXPECTED_REVISION)) {
        throw error;
      }
    }
  }
}

/** The bindings of the stream that the read models, caught up with it, no longer hold. */
async function releasedSince(
  deps: ApiDeps,
  state: ServicePackage,
  position: number,
): Promise<string[]> {
  if (state.bindings.size === 0) return [];
  if (!(await deps.runner.waitFor(position))) {
    throw new ArgusError(
      errorCodes.UNAVAILABLE,
      `Cannot change resource ${state.resourceId}: the read models are behind, try again`,
    );
  }
  const held = await boundChannelKeys(deps.db, state.resourceId);
  return [...state.bindings.values()].map(channelKey).filter((key) => !held.has(key));
}
