import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  DroppedMessageLog,
  type DroppedMessage,
} from '../../../media-node/sip/dropped-messages.ts';
import { recordingLogger } from '../support/recording-logger.ts';

const drop = (n: number): DroppedMessage => ({
  peer: `UDP:127.0.0.1:${5000 + n}`,
  size: 100 + n,
  code: 'ARGUS.SIP.MALFORMED',
  reason: 'Cannot parse SIP message: headers are not ended by an empty line',
});

/** A log with a clock and timers the test moves by hand. */
function setUp() {
  const logger = recordingLogger();
  let now = 1_000_000;
  const timers: { at: number; run: () => void }[] = [];
  const log = new DroppedMessageLog({
    logger,
    now: () => now,
    schedule: (run, ms) => void timers.push({ at: now + ms, run }),
    intervalMs: 5000,
    detailedPerInterval: 5,
  });
  const advance = (ms: number, runTimers = true) => {
    now += ms;
    if (!runTimers) return;
    const due = timers.filter((t) => t.at <= now);
    timers.splice(0, timers.length, ...timers.filter((t) => t.at > now));
    for (const timer of due) timer.run();
  };
  const lines = (msg: string) => logger.lines.filter((l) => l.msg === msg);
  return { log, advance, lines };
}

describe('DroppedMessageLog', () => {
  it('logs the first five drops of an interval one by one', () => {
    const { log, lines } = setUp();
    for (let i = 0; i < 5; i++) log.record(drop(i));

    assert.equal(lines('sip message dropped').length, 5);
    assert.deepEqual(lines('sip message dropped')[4]?.fields, { ...drop(4), dropped: 5 });
    assert.equal(lines('sip messages dropped').length, 0);
  });

  it('counts a flood of 10000 drops in one summary line at the end of the interval', () => {
    const { log, advance, lines } = setUp();
    for (let i = 0; i < 10_000; i++) log.record(drop(i));
    assert.equal(lines('sip message dropped').length, 5);
    assert.equal(lines('sip messages dropped').length, 0, 'the summary waits for the interval');

    advance(5000);
    const summaries = lines('sip messages dropped');
    assert.equal(summaries.length, 1);
    assert.deepEqual(summaries[0]?.fields, {
      suppressed: 9995,
      dropped: 10_000,
      intervalMs: 5000,
      last: drop(9999),
    });
    assert.equal(log.total, 10_000);
  });

  it('logs drops one by one again in the next interval', () => {
    const { log, advance, lines } = setUp();
    for (let i = 0; i < 8; i++) log.record(drop(i));
    advance(5000);
    log.record(drop(100));

    assert.equal(lines('sip message dropped').length, 6);
    assert.equal(lines('sip messages dropped').length, 1);
    assert.equal(lines('sip message dropped')[5]?.fields['dropped'], 9);
  });

  it('sums up the old interval first where the next drop comes before its timer', () => {
    const { log, advance, lines } = setUp();
    for (let i = 0; i < 7; i++) log.record(drop(i));
    // The clock passes the interval but the timer has not run yet (a busy event loop).
    advance(5000, false);
    log.record(drop(7));
    assert.equal(lines('sip messages dropped').length, 1);
    assert.equal(lines('sip messages dropped')[0]?.fields['suppressed'], 2);
    assert.equal(lines('sip message dropped').length, 6);

    advance(0);
    assert.equal(lines('sip messages dropped').length, 1, 'the late timer logs nothing');
  });

  it('flush sums up what went unlogged (shutdown) and nothing twice', () => {
    const { log, advance, lines } = setUp();
    for (let i = 0; i < 6; i++) log.record(drop(i));
    log.flush();
    advance(5000);

    assert.equal(lines('sip messages dropped').length, 1);
    assert.equal(lines('sip messages dropped')[0]?.fields['suppressed'], 1);
  });

  it('uses the messages it is given', () => {
    const logger = recordingLogger();
    const log = new DroppedMessageLog({
      logger,
      messages: { one: 'catalog abandoned', summary: 'catalogs abandoned' },
    });
    log.record(drop(1));
    assert.equal(logger.lines[0]?.msg, 'catalog abandoned');
  });
});
