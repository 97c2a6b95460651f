/**
 * A simulated GB/T 28181 IP camera: registers with digest authentication, sends keepalives,
 * answers Catalog, DeviceInfo and DeviceStatus queries and serves live video calls. It is
 * modelled on the real exchanges in the shared fixtures (eXosip and Hikvision devices).
 */
import { formatGbDate } from '../media-node/formats/gb-date.ts';
import { withGbIdTypeAndSerial } from '../media-node/formats/gb-id.ts';
import {
  buildDeviceInfoResponse,
  buildKeepalive,
  buildManscdpBody,
  parseManscdp,
} from '../media-node/formats/manscdp.ts';
import type { ManscdpMessage } from '../media-node/formats/manscdp.ts';
import type { SipMessage, SipRequest } from '../media-node/formats/sip-message.ts';
import { AlarmSender } from './alarms.ts';
import { Calls } from './calls.ts';
import { CatalogSender, DEFAULT_CATALOG } from './catalog-fleet.ts';
import { CatalogSubscription } from './catalog-subscription.ts';
import { systemClock } from './clock.ts';
import type { Clock } from './clock.ts';
import type { ClipVideoCodec, SimulatorConfig } from './config.ts';
import type { EmitEvent } from './events.ts';
import { readClipFrames } from './media/clip.ts';
import { readHevcClipFrames } from './media/clip-h265.ts';
import { withClipAudio, type ClipAudioCodec } from './media/clip-audio.ts';
import type { ClipFrame } from './media/clip.ts';
import { SimulatedPtz } from './ptz.ts';
import { Recordings } from './recordings.ts';
import { Registration, RegistrationRefused } from './registration.ts';
import type { SipTransport } from './sip-transport.ts';
import { USER_AGENT, UserAgent, newCallId, newTag } from './user-agent.ts';

export { RegistrationRefused } from './registration.ts';

/** Most items per Catalog MESSAGE: GB devices split long lists to stay under UDP sizes. */
export const CATALOG_ITEMS_PER_MESSAGE = 4;
/** Missed keepalives after which the device registers again. */
const MAX_MISSED_KEEPALIVES = 3;
/** Pause before reconnecting after the server closed a TCP connection. */
const RECONNECT_MS = 3000;
const MANSCDP_TYPE = 'Application/MANSCDP+xml';
const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO';
/** The platform's zone for DeviceTime; China Standard Time, as GB devices assume. */
const DEVICE_TIME_OFFSET_MINUTES = 480;

export interface DeviceOptions {
  config: SimulatorConfig;
  transport: SipTransport;
  emit: EmitEvent;
  /** Called when the device cannot go on (registration refused on a refresh). */
  onFatal: (error: Error) => void;
  clock?: Clock;
  /** The frames to stream; the committed clip by default. */
  frames?: () => ClipFrame[];
}

/**
 * Channel IDs: the device ID with type 131 or 132 (alternating, as devices use both) and
 * serials 1..N.
 */
export function channelIdsOf(deviceId: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    withGbIdTypeAndSerial(deviceId, i % 2 === 0 ? 131 : 132, i + 1),
  );
}

export class Device {
  readonly #config: SimulatorConfig;
  readonly #emit: EmitEvent;
  readonly #clock: Clock;
  readonly #ua: UserAgent;
  readonly #registration: Registration;
  readonly #calls: Calls;
  readonly #channelIds: string[];
  readonly #onFatal: (error: Error) => void;
  readonly #recordings: Recordings;
  readonly #ptz: SimulatedPtz;
  readonly #catalog: CatalogSender;
  readonly #subscription: CatalogSubscription;
  readonly #alarms: AlarmSender | undefined;
  #sn = 0;
  #messageCseq = 0;
  #keepaliveTimer: unknown;
  #missedKeepalives = 0;
  #stopped = false;

  constructor(options: DeviceOptions) {
    this.#config = options.config;
    this.#emit = options.emit;
    this.#clock = options.clock ?? systemClock;
    this.#onFatal = options.onFatal;
    this.#ua = new UserAgent(options.config, options.transport, this.#clock);
    this.#registration = new Registration(this.#ua, this.#clock, this.#emit, options.onFatal);
    this.#channelIds = channelIdsOf(options.config.deviceId, options.config.channels);
    const frames = options.frames ?? cachedClip(options.config.audio, options.config.codec);
    this.#calls = new Calls(this.#ua, this.#clock, this.#emit, frames, this.#channelIds);
    const send = (body: Uint8Array) => this.#sendManscdp(body);
    this.#ptz = new SimulatedPtz({ send, emit: this.#emit });
    const fleet = options.config.fleet;
    const catalog = fleet?.catalog ?? DEFAULT_CATALOG;
    const common = { channelIds: this.#channelIds, emit: this.#emit };
    const deviceId = this.#config.deviceId;
    this.#catalog = new CatalogSender({ ...common, deviceId, catalog, send });
    this.#subscription = new CatalogSubscription({
      ...common,
      ua: this.#ua,
      clock: this.#clock,
      names: catalog.names,
      notifyAfter: fleet?.notifyAfter,
    });
    this.#alarms =
      fleet?.alarmEvery === undefined
        ? undefined
        : new AlarmSender({
            ...common,
            deviceId: this.#config.deviceId,
            send,
            clock: this.#clock,
            every: fleet.alarmEvery,
            offsetMinutes: -new Date().getTimezoneOffset(),
          });
    this.#recordings = new Recordings({
      deviceId: options.config.deviceId,
      send: (body) => this.#sendManscdp(body),
      emit: this.#emit,
      offsetMinutes: -new Date().getTimezoneOffset(),
    });
  }

  /**
   * Registers, then keeps alive every heartbeat.
   * @throws RegistrationRefused where the server refuses the device or its password
   */
  async start(): Promise<void> {
    await this.#registration.register();
    this.#scheduleKeepalive(0);
    this.#alarms?.start();
  }

  /** Ends the calls and unregisters (best effort, at most 2 s). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#keepaliveTimer);
    this.#alarms?.stop();
    this.#calls.stopAll();
    await this.#registration.unregister();
    this.#ua.cancelRequests();
  }

  /** Handles a message from the platform. */
  handle(message: SipMessage): void {
    if (message.kind === 'response') {
      this.#ua.handleResponse(message);
      return;
    }
    if (this.#ua.answerRetransmission(message)) return;
    this.#onRequest(message);
  }

  /** TCP: the server closed the connection; reconnect and register again. */
  onDisconnected(): void {
    if (this.#stopped) return;
    this.#emit({ event: 'disconnected' });
    this.#clock.clearTimeout(this.#keepaliveTimer);
    this.#clock.setTimeout(() => void this.#reconnect(), RECONNECT_MS);
  }

  async #reconnect(): Promise<void> {
    try {
      await this.#ua.transport.reconnect();
      await this.#registration.register();
      this.#scheduleKeepalive(0);
    } catch (error) {
      if (error instanceof RegistrationRefused) this.#onFatal(error);
      else this.onDisconnected();
    }
  }

  #onRequest(req: SipRequest): void {
    switch (req.method) {
      case 'MESSAGE':
        this.#onMessage(req);
        return;
      case 'INVITE':
        this.#calls.onInvite(req).catch(() => this.#ua.reply(req, 500, 'Server Internal Error'));
        return;
      case 'ACK':
        this.#calls.onAck(req);
        return;
      case 'BYE':
        this.#calls.onBye(req);
        return;
      case 'INFO':
        this.#calls.onInfo(req);
        return;
      case 'SUBSCRIBE':
        this.#subscription.onSubscribe(req);
        return;
      case 'CANCEL':
      case 'OPTIONS':
        // Calls are answered at once, so a CANCEL always comes too late (RFC 3261 §9.2).
        this.#ua.reply(req, 200, 'OK', { headers: [['Allow', ALLOW]] });
        return;
      default:
        this.#ua.reply(req, 405, 'Method Not Allowed', { headers: [['Allow', ALLOW]] });
    }
  }

  #onMessage(req: SipRequest): void {
    let query: ManscdpMessage;
    try {
      query = parseManscdp(req.body);
    } catch {
      this.#ua.reply(req, 400, 'Bad Request');
      return;
    }
    this.#ua.reply(req, 200, 'OK');
    if (query.root === 'Control' && this.#ptz.onControl(query)) return;
    if (this.#alarms?.onResponse(query) === true) return;
    if (query.root !== 'Query') return;
    const answer = this.#answers[query.cmdType];
    if (answer !== undefined) void answer(query.sn).catch(() => undefined);
    void this.#queries[query.cmdType]?.(query).catch(() => undefined);
  }

  readonly #answers: Record<string, ((sn: number) => Promise<void>) | undefined> = {
    Catalog: (sn) => this.#catalog.send(sn),
    DeviceInfo: (sn) => this.#sendDeviceInfo(sn),
    DeviceStatus: (sn) => this.#sendDeviceStatus(sn),
  };

  readonly #queries: Record<string, ((query: ManscdpMessage) => Promise<void>) | undefined> = {
    RecordInfo: (query) => this.#recordings.answer(query),
    PresetQuery: (query) => this.#ptz.answerPresetQuery(query),
  };

  /** Sends a MANSCDP MESSAGE to the platform; resolves with the response status. */
  async #sendManscdp(body: Uint8Array): Promise<number> {
    const req = this.#ua.buildRequest({
      method: 'MESSAGE',
      callId: newCallId(),
      fromTag: newTag(),
      cseq: ++this.#messageCseq,
      body,
      contentType: MANSCDP_TYPE,
    });
    return (await this.#ua.request(req)).status;
  }

  async #sendDeviceInfo(sn: number): Promise<void> {
    const info = {
      deviceName: 'Argus simulated camera',
      manufacturer: 'Argus',
      model: 'Simulator',
      firmware: USER_AGENT,
      channels: this.#channelIds.length,
    };
    const status = await this.#sendManscdp(
      buildDeviceInfoResponse(sn, this.#config.deviceId, info),
    );
    this.#emit({ event: 'device_info_sent', sn, status });
  }

  async #sendDeviceStatus(sn: number): Promise<void> {
    const deviceTime = formatGbDate(new Date(this.#clock.now()), DEVICE_TIME_OFFSET_MINUTES).slice(
      0,
      19,
    );
    const body = buildManscdpBody('Response', 'DeviceStatus', sn, this.#config.deviceId, [
      ['Result', 'OK'],
      ['Online', 'ONLINE'],
      ['Status', 'OK'],
      ['Encode', 'ON'],
      ['Record', 'OFF'],
      ['DeviceTime', deviceTime],
    ]);
    const status = await this.#sendManscdp(body);
    this.#emit({ event: 'device_status_sent', sn, status });
  }

  #scheduleKeepalive(delayMs: number): void {
    this.#clock.clearTimeout(this.#keepaliveTimer);
    this.#keepaliveTimer = this.#clock.setTimeout(() => void this.#keepalive(), delayMs);
  }

  /** One Keepalive (§9.6); after three misses in a row, registers again. */
  async #keepalive(): Promise<void> {
    if (this.#stopped) return;
    this.#scheduleKeepalive(this.#config.heartbeat * 1000);
    const sn = ++this.#sn;
    const status = await this.#sendManscdp(buildKeepalive(sn, this.#config.deviceId)).catch(
      () => undefined,
    );
    if (this.#stopped) return;
    this.#emit({ event: 'keepalive', sn, ...(status !== undefined && { status }) });

    const ok = status !== undefined && status >= 200 && status < 300;
    this.#missedKeepalives = ok ? 0 : this.#missedKeepalives + 1;
    if (this.#missedKeepalives >= MAX_MISSED_KEEPALIVES && !this.#stopped) {
      this.#missedKeepalives = 0;
      await this.#registration.register().catch(this.#onFatal);
    }
  }
}

/** Reads the committed clip (H.264, or its H.265 twin) and its sound once, on the first call. */
function cachedClip(audio: ClipAudioCodec, codec: ClipVideoCodec = 'h264'): () => ClipFrame[] {
  let frames: ClipFrame[] | undefined;
  const read = codec === 'h265' ? readHevcClipFrames : readClipFrames;
  return () => (frames ??= withClipAudio(read(), audio));
}
