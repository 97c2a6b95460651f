import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ViewerBacklog, type TagRole } from '../../../media-node/media/viewer-backlog.ts';

const limits = { skipAboveBytes: 100, dropAboveBytes: 1000, maxSkippedKeyframes: 3 };
const run = (backlog: ViewerBacklog, steps: [TagRole, number][]) =>
  steps.map(([role, queued]) => {
    const delivery = backlog.decide(role, queued);
    return delivery.action === 'drop' ? delivery.reason : delivery.action;
  });

test('ViewerBacklog sends while the queue is at the skip limit, skips one byte past it', () => {
  const backlog = new ViewerBacklog(limits);

  assert.deepEqual(
    run(backlog, [
      ['frame', 100],
      ['frame', 101],
      ['frame', 0],
    ]),
    ['send', 'skip', 'skip'],
  );
  assert.deepEqual([backlog.skippedTags, backlog.stalls, backlog.skipping], [2, 1, true]);
});

test('ViewerBacklog resumes at a keyframe that finds the queue drained; headers always go', () => {
  const backlog = new ViewerBacklog(limits);

  assert.deepEqual(
    run(backlog, [
      ['frame', 500],
      ['header', 500],
      ['keyframe', 500],
      ['frame', 0],
      ['keyframe', 100],
      ['frame', 100],
    ]),
    ['skip', 'send', 'skip', 'skip', 'send', 'send'],
  );
  assert.equal(backlog.skipping, false);
});

test('ViewerBacklog drops at one byte past the drop limit, or behind at the third keyframe', () => {
  const full = new ViewerBacklog(limits);
  const stuck = new ViewerBacklog(limits);

  const atLimit = run(full, [
    ['header', 1000],
    ['header', 1001],
  ]);
  const behind = run(stuck, [
    ['frame', 200],
    ['keyframe', 200],
    ['keyframe', 200],
    ['keyframe', 200],
  ]);

  assert.deepEqual(atLimit, ['send', 'backlog above 1000 bytes: 1001']);
  assert.deepEqual(behind, [
    'skip',
    'skip',
    'skip',
    'behind through 3 keyframes: 200 bytes queued',
  ]);
});
