import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { errorCodes, isArgusError } from '../../../src/errors.ts';
import type { EventStore, RecordedEvent } from '../../../src/event-store/event-store.ts';

/** What every event-store adapter must do. `open` gives a fresh, empty store per test. */
export function eventStoreContract(
  adapter: string,
  open: () => Promise<{ store: EventStore; close(): Promise<void> }>,
): void {
  const withStore = (fn: (store: EventStore) => Promise<void>) => async () => {
    const { store, close } = await open();
    try {
      await fn(store);
    } finally {
      await close();
    }
  };
  const event = (type: string, n = 0) => ({ type, data: { n } });
  const rejectsRevision = (error: unknown) =>
    isArgusError(error, errorCodes.WRONG_EXPECTED_REVISION);

  describe(`event store contract: ${adapter}`, () => {
    it(
      'appends and reads a stream in order with revisions from 0',
      withStore(async (store) => {
        const result = await store.appendToStream('s-1', [event('A', 1), event('B', 2)]);
        assert.equal(result.nextExpectedRevision, 1);

        const events = await store.readStream('s-1');
        assert.deepEqual(
          events.map((e) => [e.type, e.revision, e.data]),
          [
            ['A', 0, { n: 1 }],
            ['B', 1, { n: 2 }],
          ],
        );
        assert.equal(result.lastPosition, events[1]?.globalPosition);
      }),
    );

    it(
      'reads an absent stream as no events',
      withStore(async (store) => {
        assert.deepEqual(await store.readStream('nobody-1'), []);
      }),
    );

    it(
      'honours expected revision no_stream',
      withStore(async (store) => {
        await store.appendToStream('s-1', [event('A')], { expectedRevision: 'no_stream' });
        await assert.rejects(
          store.appendToStream('s-1', [event('B')], { expectedRevision: 'no_stream' }),
          rejectsRevision,
        );
      }),
    );

    it(
      'honours expected revision stream_exists',
      withStore(async (store) => {
        await assert.rejects(
          store.appendToStream('s-1', [event('A')], { expectedRevision: 'stream_exists' }),
          rejectsRevision,
        );
        await store.appendToStream('s-1', [event('A')]);
        await store.appendToStream('s-1', [event('B')], { expectedRevision: 'stream_exists' });
        assert.equal((await store.readStream('s-1')).length, 2);
      }),
    );

    it(
      'rejects a stale exact revision with a typed error and stores nothing',
      withStore(async (store) => {
        await store.appendToStream('s-1', [event('A'), event('B')]);
        await store.appendToStream('s-1', [event('C')], { expectedRevision: 1 });

        const error = await store
          .appendToStream('s-1', [event('D')], { expectedRevision: 1 })
          .catch((e: unknown) => e);
        assert.ok(rejectsRevision(error));
        assert.match(String((error as Error).message), /expected revision 1, actual 2/);
        assert.deepEqual(
          (await store.readStream('s-1')).map((e) => e.type),
          ['A', 'B', 'C'],
        );
      }),
    );

    it(
      'accepts any revision with any',
      withStore(async (store) => {
        await store.appendToStream('s-1', [event('A')], { expectedRevision: 'any' });
        await store.appendToStream('s-1', [event('B')], { expectedRevision: 'any' });
        assert.equal((await store.readStream('s-1')).length, 2);
      }),
    );

    it(
      'does not store a repeated event id twice',
      withStore(async (store) => {
        const id = crypto.randomUUID();
        const first = await store.appendToStream('s-1', [{ id, type: 'A', data: {} }]);
        const again = await store.appendToStream('s-1', [{ id, type: 'A', data: {} }], {
          expectedRevision: 'no_stream',
        });
        assert.deepEqual(again, first);
        assert.equal((await store.readStream('s-1')).length, 1);
        assert.equal((await store.readAll()).length, 1);
      }),
    );

    it(
      'rejects a batch that repeats only some stored ids',
      withStore(async (store) => {
        const id = crypto.randomUUID();
        await store.appendToStream('s-1', [{ id, type: 'A', data: {} }]);
        await assert.rejects(
          store.appendToStream('s-1', [{ id, type: 'A', data: {} }, event('B')]),
          (error) => isArgusError(error, errorCodes.CONFLICT),
        );
      }),
    );

    it(
      'keeps the global log totally ordered across streams',
      withStore(async (store) => {
        await store.appendToStream('a-1', [event('A1')]);
        await store.appendToStream('b-1', [event('B1'), event('B2')]);
        await store.appendToStream('a-1', [event('A2')]);

        const all = await store.readAll();
        assert.deepEqual(
          all.map((e) => e.type),
          ['A1', 'B1', 'B2', 'A2'],
        );
        const positions = all.map((e) => e.globalPosition);
        assert.deepEqual(
          positions,
          [...positions].sort((x, y) => x - y),
        );
        assert.equal(new Set(positions).size, positions.length);
        assert.equal(await store.headPosition(), positions.at(-1));

        const tail = await store.readAll({ after: positions[1] ?? 0 });
        assert.deepEqual(
          tail.map((e) => e.type),
          ['B2', 'A2'],
        );
      }),
    );

    it(
      'orders concurrent appends to one stream: exactly one wins a revision',
      withStore(async (store) => {
        await store.appendToStream('s-1', [event('A')]);
        const results = await Promise.allSettled(
          [1, 2, 3].map((n) =>
            store.appendToStream('s-1', [event('B', n)], { expectedRevision: 0 }),
          ),
        );
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        assert.equal((await store.readStream('s-1')).length, 2);
      }),
    );

    it(
      'lets a follower see events appended after it started',
      withStore(async (store) => {
        await store.appendToStream('s-1', [event('before')]);
        const controller = new AbortController();
        const seen: RecordedEvent[] = [];
        const following = (async () => {
          for await (const e of store.subscribeToAll({ signal: controller.signal })) {
            seen.push(e);
            if (seen.length === 3) controller.abort();
          }
        })();

        await store.appendToStream('s-2', [event('after-1')]);
        await store.appendToStream('s-1', [event('after-2')]);
        await following;
        assert.deepEqual(
          seen.map((e) => e.type),
          ['before', 'after-1', 'after-2'],
        );
      }),
    );

    it(
      'starts a follower after a given position',
      withStore(async (store) => {
        const { lastPosition } = await store.appendToStream('s-1', [event('A'), event('B')]);
        const controller = new AbortController();
        const seen: string[] = [];
        const following = (async () => {
          for await (const e of store.subscribeToAll({
            after: lastPosition,
            signal: controller.signal,
          })) {
            seen.push(e.type);
            controller.abort();
          }
        })();
        await store.appendToStream('s-1', [event('C')]);
        await following;
        assert.deepEqual(seen, ['C']);
      }),
    );
  });
}
