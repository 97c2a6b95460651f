/**
 * Alarms from the simulated device (GB/T 28181-2016 §9.4.2, §A.2.5.4): with `--alarm-every S`
 * a Notify Alarm every S seconds, each with another subset of the optional fields (all of
 * them, DeviceID only, priority and time, method/type/description), the way different
 * devices fill them in. The platform's Response Alarm is reported when it arrives.
 */
import { formatGbDate } from '../media-node/formats/gb-date.ts';
import { buildAlarmNotify, type AlarmNotify } from '../media-node/formats/manscdp-alarm.ts';
import type { ManscdpMessage } from '../media-node/formats/manscdp.ts';
import type { Clock } from './clock.ts';
import type { EmitEvent } from './events.ts';

export interface AlarmSenderOptions {
  readonly deviceId: string;
  readonly channelIds: readonly string[];
  /** Sends a MANSCDP MESSAGE; resolves with the response status. */
  readonly send: (body: Uint8Array) => Promise<number>;
  readonly emit: EmitEvent;
  readonly clock: Clock;
  /** Seconds between alarms. */
  readonly every: number;
  /** The zone of the device's clock, minutes east of UTC (the platform's, from its Date). */
  readonly offsetMinutes: number;
}

/** The field subsets sent in turn. */
export const ALARM_VARIANTS = ['full', 'device-id-only', 'priority-time', 'method-type'] as const;

export class AlarmSender {
  readonly #options: AlarmSenderOptions;
  #timer: unknown;
  #sent = 0;
  #sn = 5000;

  constructor(options: AlarmSenderOptions) {
    this.#options = options;
  }

  start(): void {
    this.#schedule();
  }

  stop(): void {
    this.#options.clock.clearTimeout(this.#timer);
  }

  /** Takes the platform's Response Alarm; false for other messages. */
  onResponse(message: ManscdpMessage): boolean {
    if (message.root !== 'Response' || message.cmdType !== 'Alarm') return false;
    const result = typeof message.fields['Result'] === 'string' ? message.fields['Result'] : '';
    this.#options.emit({ event: 'alarm_answered', sn: message.sn, result });
    return true;
  }

  #schedule(): void {
    this.#timer = this.#options.clock.setTimeout(() => {
      this.#schedule();
      void this.#sendNext();
    }, this.#options.every * 1000);
  }

  async #sendNext(): Promise<void> {
    const variant = ALARM_VARIANTS[this.#sent++ % ALARM_VARIANTS.length] ?? 'full';
    const alarm = this.#alarm(variant, ++this.#sn);
    const status = await this.#options.send(buildAlarmNotify(alarm)).catch(() => undefined);
    this.#options.emit({
      event: 'alarm_sent',
      variant,
      sn: alarm.sn,
      sourceId: alarm.sourceId,
      ...(alarm.time === undefined ? {} : { time: alarm.time }),
      ...(status === undefined ? {} : { status }),
    });
  }

  #alarm(variant: (typeof ALARM_VARIANTS)[number], sn: number): AlarmNotify {
    const { deviceId, channelIds, clock, offsetMinutes } = this.#options;
    const channel = channelIds[0] ?? deviceId;
    const time = formatGbDate(new Date(clock.now()), offsetMinutes).slice(0, 19);
    switch (variant) {
      case 'full':
        return {
          sourceId: channel,
          sn,
          priority: 1,
          method: 5,
          type: 2,
          eventType: 1,
          time,
          longitude: 116.397,
          latitude: 39.909,
          description: '仓库区域入侵报警',
        };
      case 'device-id-only':
        return { sourceId: deviceId, sn };
      case 'priority-time':
        return { sourceId: channel, sn, priority: 3, time };
      case 'method-type':
        return { sourceId: channel, sn, method: 2, type: 1, description: '视频丢失' };
    }
  }
}
