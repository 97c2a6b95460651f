/**
 * The throttle as specifications: alarms at given times, ticks of the clock, the alerts out.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  idleThrottle,
  throttleAlarm,
  throttleTick,
  type ThrottledAlert,
  type ThrottleState,
} from '../../../../src/fanout/alerts/alert-throttle.ts';

const devices = ['34020000001320000001', '34020000001320000002'];

/**
 * Runs the throttle over `count` alarms `everyMs` apart (alternating devices) with a clock
 * tick every 100 ms, up to `untilMs`: how a loop polling at 10 Hz would drive it.
 */
function drive(count: number, everyMs: number, windowMs: number, untilMs: number) {
  let state: ThrottleState = idleThrottle;
  const alerts: ThrottledAlert[] = [];
  const alarms = Array.from({ length: count }, (_, i) => ({
    deviceId: devices[i % 2]!,
    atMs: i * everyMs,
    data: { alarm_id: `a${i}` },
  }));
  for (let now = 0; now <= untilMs; now += 100) {
    while (alarms.length > 0 && alarms[0]!.atMs <= now) {
      const step = throttleAlarm(state, alarms.shift()!, windowMs);
      state = step.state;
      if (step.alert) alerts.push(step.alert);
    }
    const tick = throttleTick(state, now, windowMs);
    state = tick.state;
    if (tick.alert) alerts.push(tick.alert);
  }
  return { alerts, state };
}

describe('alert throttle', () => {
  it('turns 20 alarms in 10 s into one alert and one summary with a 20 s window', () => {
    const { alerts } = drive(20, 500, 20_000, 60_000);

    assert.equal(alerts.length, 2);
    const [first, summary] = alerts as [ThrottledAlert, ThrottledAlert];
    assert.equal(first.type, 'alarm');
    assert.deepEqual(first.firstAlarm, { alarm_id: 'a0' });
    assert.equal(first.suppressedCount, 0);
    assert.equal(first.windowStartMs, 0);
    assert.equal(first.windowEndMs, 20_000);
    assert.equal(summary.type, 'summary');
    assert.equal(summary.suppressedCount, 19);
    assert.deepEqual(summary.firstAlarm, { alarm_id: 'a1' });
    assert.deepEqual(summary.byDevice, { [devices[0]!]: 9, [devices[1]!]: 10 });
    assert.equal(summary.windowStartMs, 20_000);
  });

  it('gives two alerts and a summary for the same alarms with a 5 s window', () => {
    const { alerts } = drive(20, 500, 5000, 60_000);

    assert.deepEqual(
      alerts.map((a) => [a.type, a.firstAlarm['alarm_id'], a.suppressedCount, a.windowStartMs]),
      [
        ['alarm', 'a0', 0, 0],
        // a10 at 5.0 s: the first window [0, 5 s) has ended; it carries that window's 9.
        ['alarm', 'a10', 9, 5000],
        ['summary', 'a11', 9, 10_000],
      ],
    );
    const counted = alerts.reduce((sum, a) => sum + a.suppressedCount, 0) + 2;
    assert.equal(counted, 20, 'every alarm is alerted or counted');
  });

  it('sends nothing at a window end with no alarm held back', () => {
    let { state, alert } = throttleAlarm(idleThrottle, { deviceId: 'd', atMs: 0, data: {} }, 1000);
    assert.ok(alert);
    ({ state, alert } = throttleTick(state, 5000, 1000));
    assert.equal(alert, undefined);
    const next = throttleAlarm(state, { deviceId: 'd', atMs: 6000, data: {} }, 1000);
    assert.equal(next.alert?.type, 'alarm');
    assert.equal(next.alert?.suppressedCount, 0);
  });

  it('does not depend on when the clock ticks: a late tick gives the same summary', () => {
    let state = throttleAlarm(idleThrottle, { deviceId: 'd', atMs: 0, data: {} }, 1000).state;
    state = throttleAlarm(state, { deviceId: 'd', atMs: 500, data: { n: 1 } }, 1000).state;
    const early = throttleTick(state, 1000, 1000).alert;
    const late = throttleTick(state, 9999, 1000).alert;
    assert.deepEqual(early, late);
    assert.equal(early?.windowStartMs, 1000);
    assert.equal(throttleTick(state, 999, 1000).alert, undefined);
  });
});
