/**
 * Catalog subscriptions (GB/T 28181-2016 §9.11, RFC 6665): after a device registers the
 * platform sends it a SUBSCRIBE (Event: Catalog, a Query Catalog body, Expires) and renews it
 * inside the dialog before it expires; the device then sends NOTIFYs whose Notify Catalog
 * items carry ADD, DEL, UPDATE, ON or OFF, which the collector applies to the channel list.
 * Devices that refuse the subscription still report changes in MESSAGEs, handled the same.
 */
import { isArgusError } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import { buildManscdpBody, readCatalogResponse, type ManscdpMessage } from '../formats/manscdp.ts';
import { parseNameAddr, type SipResponse } from '../formats/sip-message.ts';
import type { SipClient } from '../sip/sip-client.ts';
import type { CatalogCollector } from './catalog-collector.ts';
import type { GbServer } from './gb-server.ts';

/** Seconds of subscription asked for. */
export const CATALOG_SUBSCRIPTION_EXPIRES_S = 3600;
/** A subscription is renewed when this share of its granted time has passed. */
const RENEW_AT = 0.8;

interface Dialog {
  readonly callId: string;
  readonly from: string;
  readonly to: string;
  readonly sn: number;
  cseq: number;
  timer?: ReturnType<typeof setTimeout>;
}

export interface CatalogSubscriptionsOptions {
  readonly server: GbServer;
  readonly client: SipClient;
  readonly collector: CatalogCollector;
  readonly logger: Logger;
  /** Seconds of subscription asked for; CATALOG_SUBSCRIPTION_EXPIRES_S by default. */
  readonly expires?: number;
  /** Runs the renewal later; setTimeout (unref'd) by default. */
  readonly schedule?: (renew: () => void, ms: number) => ReturnType<typeof setTimeout>;
}

export class CatalogSubscriptions {
  readonly #options: CatalogSubscriptionsOptions;
  readonly #dialogs = new Map<string, Dialog>();

  constructor(options: CatalogSubscriptionsOptions) {
    this.#options = options;
  }

  /** Subscribes to the device's catalog unless subscribed already; never throws. */
  async subscribe(deviceId: string): Promise<void> {
    if (this.#dialogs.has(deviceId)) return;
    const { server } = this.#options;
    const sn = server.nextSn();
    const dialog: Dialog = {
      callId: crypto.randomUUID(),
      from: server.platformFrom(),
      to: `<sip:${deviceId}@${server.domain}>`,
      sn,
      cseq: 0,
    };
    this.#dialogs.set(deviceId, dialog);
    await this.#send(deviceId, dialog);
  }

  /** A GbServer Notify handler: takes Notify Catalog (changes) and applies it. */
  take = (deviceId: string, message: ManscdpMessage): boolean => {
    if (message.root !== 'Notify' || message.cmdType.toLowerCase() !== 'catalog') return false;
    const { items } = readCatalogResponse(message);
    void this.#options.collector.applyChanges(deviceId, items);
    return true;
  };

  /** Forgets the device's subscription (it unregistered); no request is sent. */
  forget(deviceId: string): void {
    clearTimeout(this.#dialogs.get(deviceId)?.timer);
    this.#dialogs.delete(deviceId);
  }

  close(): void {
    for (const deviceId of [...this.#dialogs.keys()]) this.forget(deviceId);
  }

  /** Sends the SUBSCRIBE of `dialog` (first or renewal) and schedules the next renewal. */
  async #send(deviceId: string, dialog: Dialog): Promise<void> {
    const { logger } = this.#options;
    let response: SipResponse;
    try {
      response = await this.#request(deviceId, dialog);
    } catch (error) {
      const reason = isArgusError(error) ? error.message : String(error);
      logger.warn({ deviceId, reason }, 'catalog subscription failed');
      return this.forget(deviceId);
    }
    if (this.#dialogs.get(deviceId) !== dialog) return; // forgotten or replaced meanwhile
    if (response.status === 481 && dialog.cseq > 1) {
      // The device lost the dialog (it restarted): subscribe anew.
      this.forget(deviceId);
      return this.subscribe(deviceId);
    }
    if (response.status >= 300) {
      logger.info({ deviceId, status: response.status }, 'catalog subscription refused');
      return this.forget(deviceId);
    }
    const toTag = parseNameAddr(response.headers.get('To') ?? '').tag;
    const granted = grantedSeconds(response, this.#options.expires);
    const renewed = dialog.cseq > 1;
    const updated: Dialog =
      toTag === undefined || renewed ? dialog : { ...dialog, to: withTag(dialog.to, toTag) };
    this.#dialogs.set(deviceId, updated);
    logger.info(
      { deviceId, expires: granted },
      renewed ? 'catalog subscription renewed' : 'catalog subscribed',
    );
    const schedule = this.#options.schedule ?? unrefTimeout;
    updated.timer = schedule(() => void this.#send(deviceId, updated), granted * RENEW_AT * 1000);
  }

  #request(deviceId: string, dialog: Dialog): Promise<SipResponse> {
    const { server, client } = this.#options;
    const { peer } = server.registration(deviceId);
    dialog.cseq += 1;
    const expires = this.#options.expires ?? CATALOG_SUBSCRIPTION_EXPIRES_S;
    const request = client.build(peer, {
      method: 'SUBSCRIBE',
      uri: `sip:${deviceId}@${peer.address}:${peer.port}`,
      from: dialog.from,
      to: dialog.to,
      callId: dialog.callId,
      cseq: dialog.cseq,
      headers: [
        ['Contact', `<sip:${server.serverId}@${server.localAddress(peer)}:${server.sipPort}>`],
        ['Event', `Catalog;id=${dialog.sn}`],
        ['Expires', String(expires)],
      ],
      contentType: 'Application/MANSCDP+xml',
      body: buildManscdpBody('Query', 'Catalog', dialog.sn, deviceId),
    });
    return client.request(peer, request);
  }
}

/** The Expires the device granted, or what was asked where it says nothing; at least 10 s. */
function grantedSeconds(response: SipResponse, asked = CATALOG_SUBSCRIPTION_EXPIRES_S): number {
  const value = Number(response.headers.get('Expires') ?? Number.NaN);
  return Math.max(10, Number.isInteger(value) && value > 0 ? Math.min(value, asked) : asked);
}

function unrefTimeout(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return timer;
}

function withTag(nameAddr: string, tag: string): string {
  return `${nameAddr};tag=${tag}`;
}
