/**
 * Sends alerts as Web Push messages to a recipient's browsers. Each alert goes to each
 * subscription once: a push service that is down loses that alert for that browser (the
 * console's stream still has it), and an endpoint answering 404 or 410 is gone (RFC 8030
 * §7.3) and is forgotten.
 */
import {
  decideRemovePushSubscription,
  foldAlertSettings,
  userAlertSettingsStream,
  type AlertSettingsEvent,
  type PushSubscriptionData,
} from '../../domain/alert-settings.ts';
import { handleCommand } from '../../domain/command-handler.ts';
import type { EventStore } from '../../event-store/event-store.ts';
import type { Logger } from '../../logger.ts';
import type { Fetch } from '../post-message.ts';
import type { AlertPusher } from './alert-loop.ts';
import type { EffectiveAlertSettings } from './alert-recipients.ts';
import type { AlertRecipientsTable } from './alert-tables.ts';
import {
  encryptPushPayload,
  maxPushPlaintext,
  vapidAuthorization,
  type VapidKeys,
} from './web-push.ts';

export interface PushSenderOptions {
  readonly store: EventStore;
  readonly logger: Logger;
  readonly keys: () => Promise<VapidKeys>;
  /** The VAPID `sub` claim: a contact for the push service (`mailto:` or `https:`). */
  readonly subject: string;
  readonly fetch?: Fetch;
  readonly now?: () => Date;
  readonly timeoutMs?: number;
}

const encoder = new TextEncoder();

export class PushSender implements AlertPusher {
  readonly #options: PushSenderOptions;
  readonly #fetch: Fetch;
  readonly #now: () => Date;

  constructor(options: PushSenderOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#now = options.now ?? (() => new Date());
  }

  async push(
    recipient: AlertRecipientsTable,
    settings: EffectiveAlertSettings,
    alerts: readonly { alert_seq: number; body: string }[],
  ): Promise<number> {
    let through = recipient.pushed_seq;
    for (const alert of alerts) {
      const payload = pushPayload(alert.body);
      for (const subscription of settings.pushSubscriptions) {
        const gone = await this.#send(subscription, payload);
        if (gone) await this.#forget(recipient, subscription.endpoint);
      }
      through = alert.alert_seq;
    }
    return through;
  }

  /** @returns true where the push service says the subscription is gone */
  async #send(subscription: PushSubscriptionData, payload: Uint8Array): Promise<boolean> {
    const { logger, subject } = this.#options;
    const origin = new URL(subscription.endpoint).origin;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.#options.timeoutMs ?? 5000);
    try {
      const keys = await this.#options.keys();
      const body = await encryptPushPayload(subscription, payload);
      const response = await this.#fetch(subscription.endpoint, {
        method: 'POST',
        headers: {
          Authorization: await vapidAuthorization(
            subscription.endpoint,
            keys,
            subject,
            this.#now(),
          ),
          'Content-Encoding': 'aes128gcm',
          'Content-Type': 'application/octet-stream',
          TTL: '3600',
          Urgency: 'high',
        },
        body: body as Uint8Array<ArrayBuffer>,
        redirect: 'manual',
        signal: abort.signal,
      });
      await response.body?.cancel().catch(() => {});
      if (response.status === 404 || response.status === 410) return true;
      if (response.status < 200 || response.status > 299) {
        logger.warn({ origin, status: response.status }, 'web push refused');
      }
      return false;
    } catch (err) {
      logger.warn({ origin, err }, 'web push failed');
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async #forget(recipient: AlertRecipientsTable, endpoint: string): Promise<void> {
    const { user_id: userId, recipient: loginName } = recipient;
    await handleCommand(
      this.#options.store,
      userAlertSettingsStream(loginName),
      (events: AlertSettingsEvent[]) => foldAlertSettings(userId, events),
      (settings) =>
        decideRemovePushSubscription(settings, { userId, loginName, endpoint, at: this.#now() }),
    );
    this.#options.logger.info({ origin: new URL(endpoint).origin }, 'web push subscription gone');
  }
}

/**
 * The alert as pushed; where it would not fit one record (many devices held back), the
 * per-device counts give way to their number.
 */
export function pushPayload(body: string): Uint8Array {
  const full = encoder.encode(body);
  if (full.length <= maxPushPlaintext) return full;
  const { by_device: byDevice, ...rest } = JSON.parse(body) as Record<string, unknown>;
  const devices = Object.keys((byDevice ?? {}) as object).length;
  return encoder.encode(JSON.stringify({ ...rest, device_count: devices }));
}
