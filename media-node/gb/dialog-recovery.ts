/**
 * What a media node left open when it stopped without ending its live sessions (kill -9, a
 * crash, a power cut): on start, each dialog recorded as established by this node and never
 * recorded as ended is ended with a BYE within that dialog (RFC 3261 §15.1.1), and its end is
 * recorded with reason `node_restarted`.
 *
 * Ended, not re-adopted: the viewers' connections, the demuxer state and the sockets died with
 * the process, so an adopted stream would have no one to serve and would be ended by the
 * linger timer anyway; a BYE stops the device at once instead of it streaming to a dead port.
 *
 * The open dialogs come from the `open_live_sessions` read model (a row per session between
 * LiveDialogEstablished and LiveStreamStopped), not from a scan of the session streams: the
 * read at start costs what is open now, however many thousand sessions the node ever held.
 *
 * Until a dialog's BYE is settled, its UDP RTP port is held by a socket of ours, so that a new
 * session is not given the port a device may still be streaming to; what arrives there is
 * counted and dropped. A device whose signalling was over TCP has lost its connection: its BYE
 * waits until it registers again, for a while.
 */
import type { LiveDialogFacts } from '../../src/domain/live-session.ts';
import { liveStopReasons } from '../../src/domain/live-session.ts';
import type { Logger } from '../../src/logger.ts';
import { openLiveSessionsOf } from '../../src/read-models/open-live-sessions-table.ts';
import type { Db } from '../../src/sql/database.ts';
import type { SipClient } from '../sip/sip-client.ts';
import type { SipPeer } from '../sip/sip-transport.ts';
import type { DeviceCommands } from './device-commands.ts';
import type { DeviceRegistry } from './device-registry.ts';
import { StalePortHold } from '../media/stale-port-hold.ts';

export interface DialogRecoveryOptions {
  readonly db: Db;
  readonly commands: DeviceCommands;
  readonly client: SipClient;
  readonly registry: DeviceRegistry;
  readonly nodeId: string;
  readonly logger: Logger;
  readonly now: () => Date;
  /** The host RTP ports are bound on (as the RtpPortPool binds them). */
  readonly rtpHost?: string;
  /** How long a device that cannot be reached now may take to register again: 2 min. */
  readonly awaitRegistrationMs?: number;
  /** How long a port stays held once its BYE was answered, for packets in flight: 2 s. */
  readonly portGraceMs?: number;
}

/** How a recovered dialog's BYE went: the device's status, or why none came. */
export type ByeOutcome = number | 'no_answer' | 'unreachable';

const DEFAULT_AWAIT_REGISTRATION_MS = 120_000;
const DEFAULT_PORT_GRACE_MS = 2000;

export class DialogRecovery {
  readonly #options: DialogRecoveryOptions;
  /** Ports held for dialogs not yet ended, by Call-ID. */
  readonly #holds = new Map<string, StalePortHold>();
  /** Dialogs whose device had no connection at start, by device: BYE'd once it registers. */
  readonly #awaiting = new Map<string, LiveDialogFacts[]>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(options: DialogRecoveryOptions) {
    this.#options = options;
  }

  /**
   * The dialogs this node recorded and never ended, oldest first, with the UDP port of each
   * held: call it before the node starts new sessions.
   * @throws the database's error
   */
  async find(): Promise<LiveDialogFacts[]> {
    const dialogs = await openLiveSessionsOf(this.#options.db, this.#options.nodeId);
    for (const dialog of dialogs) {
      const hold = await this.#hold(dialog);
      if (hold !== undefined) this.#holds.set(dialog.callId, hold);
    }
    return dialogs;
  }

  /**
   * Ends each dialog: sends the BYE (to where the device is registered now, else where the
   * dialog recorded it), records the end, then frees the port. Resolves once every dialog
   * whose device could be reached was settled; returns how many this call ended.
   */
  async endAll(dialogs: readonly LiveDialogFacts[]): Promise<number> {
    const ended = await Promise.all(dialogs.map((dialog) => this.#end(dialog)));
    return ended.filter(Boolean).length;
  }

  /** Told of every registration: BYEs that waited for this device are sent now. */
  registered(deviceId: string): void {
    const waiting = this.#awaiting.get(deviceId);
    if (waiting === undefined) return;
    this.#awaiting.delete(deviceId);
    for (const dialog of waiting) void this.#end(dialog);
  }

  /** Stops waiting for devices to register (shutdown). */
  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#awaiting.clear();
    for (const hold of this.#holds.values()) hold.release();
    this.#holds.clear();
  }

  async #hold(dialog: LiveDialogFacts): Promise<StalePortHold | undefined> {
    if (dialog.rtp.transport !== 'UDP' || dialog.rtp.localPort === 0) return undefined;
    return StalePortHold.bind(dialog.rtp.localPort, this.#options.rtpHost ?? '0.0.0.0');
  }

  /** BYE, then the end recorded; a device with no connection now is waited for. */
  async #end(dialog: LiveDialogFacts): Promise<boolean> {
    const outcome = await this.#bye(dialog, this.#peerOf(dialog));
    // Waiting for a device to come back holds no port: its stream died with its connection.
    if (outcome === 'unreachable' && this.#await(dialog)) {
      this.#holds.get(dialog.callId)?.release();
      this.#holds.delete(dialog.callId);
      return false;
    }
    return this.#finish(dialog, outcome);
  }

  /** Records the end, logs it, and frees the port after a grace. */
  async #finish(dialog: LiveDialogFacts, outcome: ByeOutcome): Promise<boolean> {
    const ended = await this.#record(dialog);
    this.#releaseLater(dialog.callId);
    const { deviceId, channelId, callId, ssrc } = dialog;
    this.#options.logger.info(
      { deviceId, channelId, callId, ssrc, bye: outcome, reason: liveStopReasons.nodeRestarted },
      'dialog ended after restart',
    );
    return ended;
  }

  /** Where the device is registered now (it may have moved), else where it was. */
  #peerOf(dialog: LiveDialogFacts): SipPeer {
    return this.#options.registry.get(dialog.deviceId)?.peer ?? dialog.device;
  }

  async #bye(dialog: LiveDialogFacts, peer: SipPeer): Promise<ByeOutcome> {
    const { client } = this.#options;
    const bye = client.build(peer, {
      method: 'BYE',
      uri: dialog.remoteTarget,
      from: dialog.from,
      to: dialog.to,
      callId: dialog.callId,
      cseq: dialog.cseq,
    });
    if (peer.transport === 'TCP' && this.#options.registry.get(dialog.deviceId) === undefined) {
      return 'unreachable'; // its connection died with the node's process
    }
    try {
      return (await client.request(peer, bye)).status;
    } catch {
      return 'no_answer';
    }
  }

  /** Keeps the dialog until its device registers again; false where one waits already. */
  #await(dialog: LiveDialogFacts): boolean {
    const waiting = this.#awaiting.get(dialog.deviceId) ?? [];
    if (waiting.some((d) => d.callId === dialog.callId)) return false;
    this.#awaiting.set(dialog.deviceId, [...waiting, dialog]);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      const left = this.#awaiting.get(dialog.deviceId)?.filter((d) => d !== dialog) ?? [];
      if (left.length === 0) this.#awaiting.delete(dialog.deviceId);
      else this.#awaiting.set(dialog.deviceId, left);
      // The device never came back: nothing streams any more, the end is recorded anyway.
      void this.#finish(dialog, 'unreachable');
    }, this.#options.awaitRegistrationMs ?? DEFAULT_AWAIT_REGISTRATION_MS);
    timer.unref();
    this.#timers.add(timer);
    return true;
  }

  async #record(dialog: LiveDialogFacts): Promise<boolean> {
    const { commands, logger, now } = this.#options;
    try {
      return await commands.endLiveSession(dialog.callId, liveStopReasons.nodeRestarted, now());
    } catch (err) {
      logger.error({ err, callId: dialog.callId }, 'stream event not recorded');
      return false;
    }
  }

  #releaseLater(callId: string): void {
    const hold = this.#holds.get(callId);
    if (hold === undefined) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#holds.delete(callId);
      const stale = hold.release();
      if (stale > 0) {
        this.#options.logger.info({ port: hold.port, packets: stale }, 'stale rtp dropped');
      }
    }, this.#options.portGraceMs ?? DEFAULT_PORT_GRACE_MS);
    timer.unref();
    this.#timers.add(timer);
  }
}
