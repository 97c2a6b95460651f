/**
 * The message subscription aggregate: stream `subscription-<user_id>-<subscription_type>`, one
 * callback URL per enterprise and subscription type (IVM: `messages/callback`). Deciders take
 * the folded state and a command and return the events to append; they touch no storage and
 * no network: the callback URL is verified before a command is decided.
 */
import { ArgusError, errorCodes } from '../errors.ts';

/** The IVM subscription types Argus delivers; each carries one message type. */
export const subscriptionTypes = [
  'DEVICE_STATUS',
  'DEVICE_ALARM',
  'DEVICE_UNBIND',
  'INTELLIGENCE_DATA',
] as const;
export type SubscriptionType = (typeof subscriptionTypes)[number];

/** The message type (envelope `message_type`) each subscription type receives. */
export const messageTypeOf = {
  DEVICE_STATUS: 'device_status',
  DEVICE_ALARM: 'device_alarm',
  DEVICE_UNBIND: 'device_unbind',
  INTELLIGENCE_DATA: 'intelligence_data',
} as const satisfies Record<SubscriptionType, string>;

export type MessageType = (typeof messageTypeOf)[SubscriptionType];

/** Where the signing key came from: the caller's `auth_key`, or generated at registration. */
export type KeySource = 'auth_key' | 'generated';

export type SubscriptionEvent =
  | {
      type: 'SubscriptionRegistered';
      data: {
        subscriptionId: string;
        userId: string;
        subscriptionType: SubscriptionType;
        callbackUrl: string;
        signingKey: string;
        keySource: KeySource;
        /** Delivery starts after this global position (the head when first registered). */
        startAfter: number;
        at: string;
      };
    }
  | { type: 'SubscriptionRemoved'; data: { subscriptionId: string; userId: string; at: string } }
  | {
      type: 'SubscriptionReplayRequested';
      data: { subscriptionId: string; userId: string; fromPosition: number; at: string };
    };

export type SubscriptionEventType = SubscriptionEvent['type'];

export const subscriptionEventTypes: readonly SubscriptionEventType[] = [
  'SubscriptionRegistered',
  'SubscriptionRemoved',
  'SubscriptionReplayRequested',
];

export interface Subscription {
  readonly exists: boolean;
  readonly subscriptionId: string;
  readonly callbackUrl: string;
  readonly signingKey: string;
}

/** The id of an enterprise's subscription of one type, also the suffix of its stream name. */
export function subscriptionId(userId: string, type: SubscriptionType): string {
  return `${userId}-${type}`;
}

export function subscriptionStreamName(id: string): string {
  return `subscription-${id}`;
}

export function initialSubscription(id: string): Subscription {
  return { exists: false, subscriptionId: id, callbackUrl: '', signingKey: '' };
}

/** Folds one event into the subscription's state. */
export function evolveSubscription(
  subscription: Subscription,
  event: SubscriptionEvent,
): Subscription {
  switch (event.type) {
    case 'SubscriptionRegistered':
      return {
        ...subscription,
        exists: true,
        callbackUrl: event.data.callbackUrl,
        signingKey: event.data.signingKey,
      };
    case 'SubscriptionRemoved':
      return initialSubscription(subscription.subscriptionId);
    case 'SubscriptionReplayRequested':
      return subscription;
  }
}

export function foldSubscription(id: string, events: readonly SubscriptionEvent[]): Subscription {
  return events.reduce(evolveSubscription, initialSubscription(id));
}

function requireSubscription(subscription: Subscription, action: string): void {
  if (!subscription.exists) {
    throw new ArgusError(
      errorCodes.NOT_FOUND,
      `Cannot ${action}: no subscription ${subscription.subscriptionId}`,
      { subscriptionId: subscription.subscriptionId },
    );
  }
}

/**
 * Registers (or re-points) a verified callback URL. Registering the same URL with the same key
 * again records nothing; a new URL or key replaces the old one and keeps the delivery position.
 */
export function decideRegisterSubscription(
  subscription: Subscription,
  command: {
    userId: string;
    subscriptionType: SubscriptionType;
    callbackUrl: string;
    signingKey: string;
    keySource: KeySource;
    startAfter: number;
    at: Date;
  },
): SubscriptionEvent[] {
  const { callbackUrl, signingKey } = command;
  if (
    subscription.exists &&
    subscription.callbackUrl === callbackUrl &&
    subscription.signingKey === signingKey
  ) {
    return [];
  }
  return [
    {
      type: 'SubscriptionRegistered',
      data: {
        subscriptionId: subscription.subscriptionId,
        userId: command.userId,
        subscriptionType: command.subscriptionType,
        callbackUrl,
        signingKey,
        keySource: command.keySource,
        startAfter: command.startAfter,
        at: command.at.toISOString(),
      },
    },
  ];
}

/** @throws ArgusError NOT_FOUND where the subscription does not exist */
export function decideRemoveSubscription(
  subscription: Subscription,
  command: { userId: string; at: Date },
): SubscriptionEvent[] {
  requireSubscription(subscription, 'remove subscription');
  return [
    {
      type: 'SubscriptionRemoved',
      data: {
        subscriptionId: subscription.subscriptionId,
        userId: command.userId,
        at: command.at.toISOString(),
      },
    },
  ];
}

/**
 * Delivers again every message from global position `fromPosition` on.
 * @throws ArgusError NOT_FOUND where the subscription does not exist; VALIDATION for a
 * position below 1
 */
export function decideReplaySubscription(
  subscription: Subscription,
  command: { userId: string; fromPosition: number; at: Date },
): SubscriptionEvent[] {
  requireSubscription(subscription, 'replay messages');
  if (!Number.isSafeInteger(command.fromPosition) || command.fromPosition < 1) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      `Cannot replay messages: the first message id must be 1 or more: ${command.fromPosition}`,
    );
  }
  return [
    {
      type: 'SubscriptionReplayRequested',
      data: {
        subscriptionId: subscription.subscriptionId,
        userId: command.userId,
        fromPosition: command.fromPosition,
        at: command.at.toISOString(),
      },
    },
  ];
}
