/**
 * The simulated camera's pan-tilt head: it decodes every DeviceControl it is sent (GB/T
 * 28181-2016 §A.2.3.1), checks each PTZCmd's check nibble and checksum (§A.3) and reports
 * what it was asked; keeps its presets in memory per channel, answering PresetQuery from
 * them (§A.2.4.9); and arms or disarms its guard, answering the GuardCmd with Result OK.
 */
import {
  buildManscdpBody,
  childText,
  type ManscdpMessage,
  type XmlElement,
} from '../media-node/formats/manscdp.ts';
import { parsePtzCmd, type ParsedPtzCmd } from '../media-node/formats/ptz.ts';
import type { EmitEvent } from './events.ts';

export interface SimulatedPtzOptions {
  /** Sends a MANSCDP body to the platform in a MESSAGE; resolves with the answer's status. */
  readonly send: (body: Uint8Array) => Promise<number>;
  readonly emit: EmitEvent;
}

export class SimulatedPtz {
  readonly #options: SimulatedPtzOptions;
  /** Per channel: preset index → name. */
  readonly #presets = new Map<string, Map<number, string>>();

  constructor(options: SimulatedPtzOptions) {
    this.#options = options;
  }

  /**
   * Acts on a Control message; false where it carries neither a PTZCmd nor a GuardCmd (other
   * controls are someone else's).
   */
  onControl(message: ManscdpMessage): boolean {
    if (message.cmdType !== 'DeviceControl') return false;
    const ptzCmd = childText(message.fields, 'PTZCmd');
    if (ptzCmd !== undefined) {
      this.#onPtzCmd(message.deviceId, ptzCmd);
      return true;
    }
    const guard = childText(message.fields, 'GuardCmd');
    if (guard === undefined) return false;
    this.#options.emit({ event: 'guard', guard, sn: message.sn });
    void this.#answerControl(message, guard === 'SetGuard' || guard === 'ResetGuard');
    return true;
  }

  /** Answers a PresetQuery with the presets of the channel it names. */
  async answerPresetQuery(query: ManscdpMessage): Promise<void> {
    const presets = [...(this.#presets.get(query.deviceId) ?? new Map<number, string>())];
    const items: XmlElement[] = presets
      .sort(([a], [b]) => a - b)
      .map(([index, name]) => [
        'Item',
        [
          ['PresetID', index],
          ['PresetName', name],
        ],
      ]);
    const body = buildManscdpBody('Response', 'PresetQuery', query.sn, query.deviceId, [
      ['PresetList', items, { Num: items.length }],
    ]);
    const status = await this.#options.send(body);
    this.#options.emit({
      event: 'presets_sent',
      channel: query.deviceId,
      count: items.length,
      status,
    });
  }

  #onPtzCmd(channel: string, text: string): void {
    let parsed: ParsedPtzCmd;
    try {
      parsed = parsePtzCmd(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.#options.emit({
        event: 'ptz',
        channel,
        ptzCmd: text.slice(0, 32),
        checksumOk: false,
        reason,
      });
      return;
    }
    const { command, checksumOk } = parsed;
    if (command?.kind === 'preset') {
      // A real head ignores a command whose checksum fails; so does this one.
      if (checksumOk) this.#applyPreset(channel, command.action, command.index);
      this.#options.emit({
        event: 'preset',
        channel,
        action: command.action,
        index: command.index,
        checksumOk,
        ptzCmd: text,
      });
      return;
    }
    this.#options.emit({
      event: 'ptz',
      channel,
      direction: command?.direction ?? null,
      speed: command?.speed ?? null,
      checksumOk,
      ptzCmd: text,
    });
  }

  #applyPreset(channel: string, action: 'SET' | 'CALL' | 'DELETE', index: number): void {
    let presets = this.#presets.get(channel);
    if (presets === undefined) {
      presets = new Map();
      this.#presets.set(channel, presets);
    }
    if (action === 'SET') presets.set(index, `Preset ${index}`);
    if (action === 'DELETE') presets.delete(index);
  }

  /** The DeviceControl Response (§A.2.6.2) to a command that expects one. */
  async #answerControl(message: ManscdpMessage, ok: boolean): Promise<void> {
    const body = buildManscdpBody('Response', 'DeviceControl', message.sn, message.deviceId, [
      ['Result', ok ? 'OK' : 'ERROR'],
    ]);
    await this.#options.send(body).catch(() => undefined);
  }
}
