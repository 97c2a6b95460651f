/**
 * The simulated device's side of a catalog subscription (GB/T 28181-2016 §9.11, RFC 6665):
 * answers the platform's SUBSCRIBE (and its renewals) with 200 and the granted Expires, and
 * with `--notify-after S` sends, S seconds after the first SUBSCRIBE, one NOTIFY in the dialog
 * that adds a channel, deletes the last one and turns the first one OFF.
 */
import { buildCatalogNotify, type CatalogItem } from '../media-node/formats/manscdp.ts';
import { parseNameAddr, type SipRequest } from '../media-node/formats/sip-message.ts';
import type { Clock } from './clock.ts';
import type { ChannelNames } from './catalog-flags.ts';
import { catalogItem, channelIdAt, encodedAs } from './catalog-fleet.ts';
import type { EmitEvent } from './events.ts';
import { newTag, type UserAgent } from './user-agent.ts';

/** Longest subscription granted, seconds. */
const MAX_EXPIRES_S = 3600;

interface Dialog {
  readonly callId: string;
  /** The platform's From (with its tag): the To of our NOTIFY. */
  readonly remote: string;
  readonly localTag: string;
  /** Where NOTIFYs go: the SUBSCRIBE's Contact. */
  readonly target: string | undefined;
  readonly event: string;
  expires: number;
  cseq: number;
}

export interface CatalogSubscriptionOptions {
  readonly ua: UserAgent;
  readonly clock: Clock;
  readonly emit: EmitEvent;
  readonly channelIds: readonly string[];
  readonly names: ChannelNames;
  /** Seconds after the first SUBSCRIBE at which the change NOTIFY is sent; none if undefined. */
  readonly notifyAfter?: number | undefined;
}

export class CatalogSubscription {
  readonly #options: CatalogSubscriptionOptions;
  #dialog: Dialog | undefined;
  #notifyScheduled = false;
  #sn = 1000;

  constructor(options: CatalogSubscriptionOptions) {
    this.#options = options;
  }

  /** Answers a SUBSCRIBE: a new subscription, or the renewal of the current one. */
  onSubscribe(req: SipRequest): void {
    const { ua, emit } = this.#options;
    const event = req.headers.get('Event') ?? '';
    if (!/^catalog\b/i.test(event)) {
      ua.reply(req, 489, 'Bad Event');
      return;
    }
    const asked = Number(req.headers.get('Expires') ?? MAX_EXPIRES_S);
    const expires = Number.isFinite(asked) ? Math.min(Math.max(asked, 0), MAX_EXPIRES_S) : 0;
    const callId = req.headers.get('Call-ID') ?? '';
    const renewal = this.#dialog?.callId === callId;
    const localTag = renewal ? (this.#dialog?.localTag ?? newTag()) : newTag();
    ua.reply(req, 200, 'OK', { toTag: localTag, headers: [['Expires', String(expires)]] });

    this.#dialog = {
      callId,
      remote: req.headers.get('From') ?? '',
      localTag,
      target: contactUri(req.headers.get('Contact')),
      event,
      expires,
      cseq: renewal ? (this.#dialog?.cseq ?? 0) : 0,
    };
    emit({ event: 'catalog_subscribed', expires, renewal });
    this.#scheduleNotify();
  }

  #scheduleNotify(): void {
    const after = this.#options.notifyAfter;
    if (after === undefined || this.#notifyScheduled) return;
    this.#notifyScheduled = true;
    this.#options.clock.setTimeout(() => void this.#sendChanges(), after * 1000);
  }

  /** One NOTIFY: ADD channel N+1, DEL channel N, OFF channel 1. */
  async #sendChanges(): Promise<void> {
    const dialog = this.#dialog;
    const { ua, emit, channelIds, names } = this.#options;
    if (dialog === undefined) return;
    const deviceId = ua.config.deviceId;
    const count = channelIds.length;
    const added = channelIdAt(deviceId, count);
    const items: CatalogItem[] = [
      { ...catalogItem(deviceId, added, count, names), event: 'ADD' },
      ...(count > 1 ? [change(channelIds[count - 1], 'DEL')] : []),
      change(channelIds[0], 'OFF'),
    ];
    const sn = ++this.#sn;
    const body = encodedAs(
      buildCatalogNotify({ deviceId, sn, sumNum: items.length, items }),
      names,
    );
    dialog.cseq += 1;
    const req = ua.buildRequest({
      method: 'NOTIFY',
      ...(dialog.target === undefined ? {} : { uri: dialog.target }),
      to: dialog.remote,
      callId: dialog.callId,
      fromTag: dialog.localTag,
      cseq: dialog.cseq,
      headers: [
        ['Event', dialog.event],
        ['Subscription-State', `active;expires=${dialog.expires}`],
      ],
      contentType: 'Application/MANSCDP+xml',
      body,
    });
    const status = await ua.request(req).then(
      (response) => response.status,
      () => undefined,
    );
    emit({
      event: 'catalog_notify_sent',
      sn,
      ...(status === undefined ? {} : { status }),
      added: [added],
      removed: count > 1 ? [channelIds[count - 1]] : [],
      off: [channelIds[0]],
    });
  }
}

function contactUri(contact: string | undefined): string | undefined {
  try {
    return contact === undefined ? undefined : parseNameAddr(contact).uri || undefined;
  } catch {
    return undefined; // NOTIFYs then go to the server's URI
  }
}

function change(channelId: string | undefined, event: string): CatalogItem {
  return { deviceId: channelId ?? '', name: '', status: '', event };
}
