/**
 * The per-user alert throttle, pure: at most one alert per window. An alarm while no window
 * is open is alerted at once and opens a window of `windowMs` from its time; alarms inside
 * the window are held back and counted per device. The next alert carries the count: either
 * the next alarm after the window (alert `alarm`), or, where the window closes with alarms
 * held and no new one, a `summary` sent at the window's end, which opens a window in turn.
 * So nothing is dropped, and alerts are at least a window apart. Times are milliseconds;
 * alarms are timed by when they were received, the window's end by the injected clock.
 */

/** An alarm as the throttle sees it: its device, its time and what an alert shows of it. */
export interface ThrottledAlarm {
  readonly deviceId: string;
  readonly atMs: number;
  readonly data: Readonly<Record<string, unknown>>;
}

/** What the throttle keeps between alarms (stored per user, so it survives restarts). */
export interface ThrottleState {
  /** End of the open window (exclusive); undefined before the first alert. */
  readonly windowEndMs?: number;
  /** Alarms held back in the open window. */
  readonly held: number;
  readonly heldByDevice: Readonly<Record<string, number>>;
  /** The first alarm held back, shown by a summary. */
  readonly firstHeld?: Readonly<Record<string, unknown>>;
}

export interface ThrottledAlert {
  readonly type: 'alarm' | 'summary';
  /** The alarm that raised the alert; for a summary, the first alarm held back. */
  readonly firstAlarm: Readonly<Record<string, unknown>>;
  /** Alarms held back in the window before this alert, counted here. */
  readonly suppressedCount: number;
  readonly byDevice: Readonly<Record<string, number>>;
  /** The window this alert opens: no other alert before its end. */
  readonly windowStartMs: number;
  readonly windowEndMs: number;
}

export interface ThrottleStep {
  readonly state: ThrottleState;
  readonly alert?: ThrottledAlert;
}

export const idleThrottle: ThrottleState = { held: 0, heldByDevice: {} };

/** One alarm: alerted where no window is open at its time, else held back. */
export function throttleAlarm(
  state: ThrottleState,
  alarm: ThrottledAlarm,
  windowMs: number,
): ThrottleStep {
  if (state.windowEndMs !== undefined && alarm.atMs < state.windowEndMs) {
    const byDevice = { ...state.heldByDevice };
    byDevice[alarm.deviceId] = (byDevice[alarm.deviceId] ?? 0) + 1;
    return {
      state: {
        ...state,
        held: state.held + 1,
        heldByDevice: byDevice,
        firstHeld: state.firstHeld ?? alarm.data,
      },
    };
  }
  const alert: ThrottledAlert = {
    type: 'alarm',
    firstAlarm: alarm.data,
    suppressedCount: state.held,
    byDevice: state.heldByDevice,
    windowStartMs: alarm.atMs,
    windowEndMs: alarm.atMs + windowMs,
  };
  return { state: { ...idleThrottle, windowEndMs: alert.windowEndMs }, alert };
}

/**
 * The clock moved on to `nowMs`: a window that ended with alarms held back gives its
 * summary, timed at the window's end so that the outcome does not depend on when this runs.
 */
export function throttleTick(state: ThrottleState, nowMs: number, windowMs: number): ThrottleStep {
  const end = state.windowEndMs;
  if (end === undefined || nowMs < end || state.held === 0 || state.firstHeld === undefined) {
    return { state };
  }
  const alert: ThrottledAlert = {
    type: 'summary',
    firstAlarm: state.firstHeld,
    suppressedCount: state.held,
    byDevice: state.heldByDevice,
    windowStartMs: end,
    windowEndMs: end + windowMs,
  };
  return { state: { ...idleThrottle, windowEndMs: alert.windowEndMs }, alert };
}
