import type { ThrottledAlert } from './alert-throttle.ts';

/** An alert as the SSE stream and Web Push carry it. */
export interface AlertBody {
  readonly alert_id: string;
  /** `alarm`: raised by `first_alarm`; `summary`: a window closed with alarms held back. */
  readonly alert_type: 'alarm' | 'summary';
  /** A `device_alarm` message's data: the raising alarm, or the first one held back. */
  readonly first_alarm: Readonly<Record<string, unknown>>;
  /** Alarms held back in the window before this alert. */
  readonly suppressed_count: number;
  /** Those alarms per device ID. */
  readonly by_device: Readonly<Record<string, number>>;
  /** The window this alert opens (ISO 8601): the next alert comes no earlier than its end. */
  readonly window_start: string;
  readonly window_end: string;
}

export function alertBody(alertId: string, alert: ThrottledAlert): AlertBody {
  return {
    alert_id: alertId,
    alert_type: alert.type,
    first_alarm: alert.firstAlarm,
    suppressed_count: alert.suppressedCount,
    by_device: alert.byDevice,
    window_start: new Date(alert.windowStartMs).toISOString(),
    window_end: new Date(alert.windowEndMs).toISOString(),
  };
}
