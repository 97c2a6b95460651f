/**
 * How console users are alerted of alarms: the throttle window (at most one alert per window
 * per user; 20 s unless set) and whether alerts also go out as Web Push, with the browsers'
 * push subscriptions. A tenant default is kept on `alert-settings-tenant-<user_id>` (set by an
 * administrator); each user's own settings on `alert-settings-user-<login_name>`, which win.
 * Streams of their own: the account stream's decider knows none of these events.
 */
import { ArgusError, errorCodes } from '../errors.ts';

/** The window when neither the user nor the tenant set one. */
export const defaultAlertWindowS = 20;
/** Bounds of a window: at least a second, at most a day. */
export const alertWindowBounds = { min: 1, max: 86_400 } as const;
/** Push subscriptions a user may hold: one per browser, a few browsers. */
export const maxPushSubscriptions = 10;

/** A browser's PushSubscription (W3C Push API), as `PushSubscription.toJSON()` gives it. */
export interface PushSubscriptionData {
  readonly endpoint: string;
  /** The browser's P-256 public key (uncompressed point), base64url. */
  readonly p256dh: string;
  /** The 16-byte authentication secret, base64url. */
  readonly auth: string;
}

export type AlertSettingsEvent =
  | {
      type: 'AlertSettingsChanged';
      data: {
        userId: string;
        /** Absent for the tenant default. */
        loginName?: string;
        alertWindowS: number;
        webPush: boolean;
        at: string;
      };
    }
  | {
      type: 'PushSubscriptionAdded';
      data: { userId: string; loginName: string } & PushSubscriptionData & { at: string };
    }
  | {
      type: 'PushSubscriptionRemoved';
      data: { userId: string; loginName: string; endpoint: string; at: string };
    };

export interface AlertSettings {
  /** Undefined where never set (the tenant default, else `defaultAlertWindowS`, applies). */
  readonly alertWindowS?: number;
  readonly webPush: boolean;
  readonly pushSubscriptions: readonly PushSubscriptionData[];
}

/** The stream of a tenant's default settings. */
export function tenantAlertSettingsStream(userId: string): string {
  return `alert-settings-tenant-${userId}`;
}

/** The stream of one user's settings. */
export function userAlertSettingsStream(loginName: string): string {
  return `alert-settings-user-${loginName}`;
}

/**
 * The settings of tenant `userId` folded from a settings stream. A login name is
 * platform-wide and may be taken again by another tenant after a delete: events of another
 * tenant are ignored.
 */
export function foldAlertSettings(
  userId: string,
  events: readonly AlertSettingsEvent[],
): AlertSettings {
  let settings: AlertSettings = { webPush: false, pushSubscriptions: [] };
  for (const event of events) {
    if (event.data.userId !== userId) continue;
    settings = evolve(settings, event);
  }
  return settings;
}

function evolve(settings: AlertSettings, event: AlertSettingsEvent): AlertSettings {
  switch (event.type) {
    case 'AlertSettingsChanged':
      return { ...settings, alertWindowS: event.data.alertWindowS, webPush: event.data.webPush };
    case 'PushSubscriptionAdded': {
      const { endpoint, p256dh, auth } = event.data;
      const others = settings.pushSubscriptions.filter((s) => s.endpoint !== endpoint);
      return { ...settings, pushSubscriptions: [...others, { endpoint, p256dh, auth }] };
    }
    case 'PushSubscriptionRemoved': {
      const kept = settings.pushSubscriptions.filter((s) => s.endpoint !== event.data.endpoint);
      return { ...settings, pushSubscriptions: kept };
    }
  }
}

/**
 * Sets the window and Web Push; `webPush` left out keeps what was set.
 * @throws ArgusError VALIDATION where the window is outside `alertWindowBounds`
 */
export function decideChangeAlertSettings(
  settings: AlertSettings,
  command: {
    userId: string;
    loginName?: string;
    alertWindowS: number;
    webPush?: boolean;
    at: Date;
  },
): AlertSettingsEvent[] {
  const { alertWindowS } = command;
  const { min, max } = alertWindowBounds;
  if (!Number.isInteger(alertWindowS) || alertWindowS < min || alertWindowS > max) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      'Cannot change alert settings: ' +
        `alert_window_s must be an integer from ${min} to ${max}: ${alertWindowS}`,
    );
  }
  const webPush = command.webPush ?? settings.webPush;
  if (settings.alertWindowS === alertWindowS && settings.webPush === webPush) return [];
  const who = command.loginName === undefined ? {} : { loginName: command.loginName };
  return [
    {
      type: 'AlertSettingsChanged',
      data: { userId: command.userId, ...who, alertWindowS, webPush, at: command.at.toISOString() },
    },
  ];
}

/**
 * Stores a browser's push subscription; the same endpoint again replaces its keys.
 * @throws ArgusError CONFLICT where the user holds `maxPushSubscriptions` already
 */
export function decideAddPushSubscription(
  settings: AlertSettings,
  command: { userId: string; loginName: string; subscription: PushSubscriptionData; at: Date },
): AlertSettingsEvent[] {
  const { endpoint } = command.subscription;
  const known = settings.pushSubscriptions.some((s) => s.endpoint === endpoint);
  if (!known && settings.pushSubscriptions.length >= maxPushSubscriptions) {
    throw new ArgusError(
      errorCodes.CONFLICT,
      `Cannot add push subscription: at most ${maxPushSubscriptions} per user; delete one first`,
    );
  }
  const { userId, loginName, subscription, at } = command;
  return [
    {
      type: 'PushSubscriptionAdded',
      data: { userId, loginName, ...subscription, at: at.toISOString() },
    },
  ];
}

/** Forgets a push subscription (the browser unsubscribed, or its endpoint is gone). */
export function decideRemovePushSubscription(
  settings: AlertSettings,
  command: { userId: string; loginName: string; endpoint: string; at: Date },
): AlertSettingsEvent[] {
  if (!settings.pushSubscriptions.some((s) => s.endpoint === command.endpoint)) return [];
  const { userId, loginName, endpoint, at } = command;
  return [
    {
      type: 'PushSubscriptionRemoved',
      data: { userId, loginName, endpoint, at: at.toISOString() },
    },
  ];
}
