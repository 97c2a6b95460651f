/**
 * Alarms from devices (GB/T 28181-2016 §9.4.2): a MESSAGE (or NOTIFY) carrying Notify Alarm is
 * answered 200 by the server, recorded here as a DeviceAlarmReceived on the device's alarm
 * stream, and then answered with the Response Alarm (Result OK) that devices wait for before
 * they stop resending it.
 */
import { alarmStreamName, decideAlarm } from '../../src/domain/alarm.ts';
import type { EventStore } from '../../src/event-store/event-store.ts';
import type { Logger } from '../../src/logger.ts';
import { buildAlarmResponse, readAlarmNotify } from '../formats/manscdp-alarm.ts';
import type { ManscdpMessage } from '../formats/manscdp.ts';
import type { SipRequest } from '../formats/sip-message.ts';

export interface AlarmRecorderOptions {
  readonly store: EventStore;
  /** Sends a MANSCDP body to the device in a MESSAGE. @throws where it is refused */
  readonly send: (deviceId: string, body: Uint8Array) => Promise<void>;
  readonly logger: Logger;
  readonly now: () => Date;
  /** The zone of the devices' clocks, minutes east of UTC: the one the REGISTER Date uses. */
  readonly offsetMinutes: number;
}

export class AlarmRecorder {
  readonly #options: AlarmRecorderOptions;

  constructor(options: AlarmRecorderOptions) {
    this.#options = options;
  }

  /** A GbServer Notify handler: takes Notify Alarm, recording it in the background. */
  take = (deviceId: string, message: ManscdpMessage, request: SipRequest): boolean => {
    if (message.root !== 'Notify' || message.cmdType.toLowerCase() !== 'alarm') return false;
    void this.record(deviceId, message, request);
    return true;
  };

  /** Records one alarm and answers it; never throws (failures are logged). */
  async record(deviceId: string, message: ManscdpMessage, request: SipRequest): Promise<void> {
    const report = readAlarmNotify(message);
    // A retransmission of the same MESSAGE (UDP) has the same Call-ID and CSeq: the same id,
    // which the store keeps once.
    const callId = request.headers.get('Call-ID') ?? '';
    const cseq = (request.headers.get('CSeq') ?? '').split(' ')[0] ?? '';
    const [event] = decideAlarm({
      alarmId: `${deviceId}:${callId}:${cseq}`,
      deviceId,
      report,
      receivedAt: this.#options.now(),
      offsetMinutes: this.#options.offsetMinutes,
    });
    if (event === undefined) return;
    try {
      await this.#options.store.appendToStream(
        alarmStreamName(deviceId),
        [{ id: event.data.alarmId, type: event.type, data: { ...event.data } }],
        { expectedRevision: 'any' },
      );
    } catch (err) {
      this.#options.logger.error({ err, deviceId }, 'alarm not recorded');
      return;
    }
    const { channelId, priority, method, alarmType } = event.data;
    this.#options.logger.debug(
      { deviceId, channelId, priority, method, alarmType },
      'alarm received',
    );
    try {
      await this.#options.send(deviceId, buildAlarmResponse(report.sn, report.sourceId));
    } catch (err) {
      // Devices that expect no answer may refuse it; the alarm is recorded either way.
      this.#options.logger.debug({ err, deviceId }, 'alarm answer refused');
    }
  }
}
