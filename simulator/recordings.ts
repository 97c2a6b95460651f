/**
 * The simulated camera's recordings: a 10-minute file at the start of every hour, of every
 * channel. A RecordInfo query (GB/T 28181-2016 §A.2.4.5) is answered with those overlapping
 * its range, a few per MESSAGE, each MESSAGE carrying SumNum (§A.2.6.6), as cameras page
 * long lists. Device times are in the simulator's local zone, as a camera that set its clock
 * from the platform's REGISTER `Date:` keeps them.
 */
import { buildManscdpBody, childText, type XmlElement } from '../media-node/formats/manscdp.ts';
import type { ManscdpMessage } from '../media-node/formats/manscdp.ts';
import { formatGbDate } from '../media-node/formats/gb-date.ts';
import { parseDeviceTime } from '../media-node/gb/record-info.ts';
import type { EmitEvent } from './events.ts';

/** Recordings per RecordInfo MESSAGE. */
export const RECORDS_PER_MESSAGE = 3;
/** Length of each recording. */
export const RECORDING_MS = 10 * 60_000;
/** Most recordings one answer lists (a range of weeks is cut short). */
export const MAX_RECORDINGS = 500;
const HOUR_MS = 3_600_000;

export interface Recording {
  readonly start: Date;
  readonly end: Date;
}

/** The recordings overlapping [start, end): one starting every whole hour. */
export function recordingsBetween(start: Date, end: Date): Recording[] {
  const recordings: Recording[] = [];
  let at = Math.floor((start.getTime() - RECORDING_MS) / HOUR_MS + 1) * HOUR_MS;
  while (at < end.getTime() && recordings.length < MAX_RECORDINGS) {
    if (at + RECORDING_MS > start.getTime()) {
      recordings.push({ start: new Date(at), end: new Date(at + RECORDING_MS) });
    }
    at += HOUR_MS;
  }
  return recordings;
}

export interface RecordingsOptions {
  readonly deviceId: string;
  /** Sends a MANSCDP body to the platform; resolves with the response status. */
  readonly send: (body: Uint8Array) => Promise<number>;
  readonly emit: EmitEvent;
  /** The device's zone, minutes east of UTC. */
  readonly offsetMinutes: number;
}

export class Recordings {
  readonly #options: RecordingsOptions;

  constructor(options: RecordingsOptions) {
    this.#options = options;
  }

  /** Answers a RecordInfo query in pages of RECORDS_PER_MESSAGE. */
  async answer(query: ManscdpMessage): Promise<void> {
    const { offsetMinutes } = this.#options;
    const channelId = query.deviceId;
    let recordings: Recording[] = [];
    try {
      const start = parseDeviceTime(childText(query.fields, 'StartTime') ?? '', offsetMinutes);
      const end = parseDeviceTime(childText(query.fields, 'EndTime') ?? '', offsetMinutes);
      recordings = recordingsBetween(start, end);
    } catch {
      // A range the camera cannot read: it answers that it has nothing.
    }
    const items = recordings.map((r) => this.#item(channelId, r));
    let messages = 0;
    for (let i = 0; i === 0 || i < items.length; i += RECORDS_PER_MESSAGE) {
      const page = items.slice(i, i + RECORDS_PER_MESSAGE);
      const body = buildManscdpBody('Response', 'RecordInfo', query.sn, channelId, [
        ['Name', 'Camera'],
        ['SumNum', items.length],
        ['RecordList', page, { Num: page.length }],
      ]);
      await this.#options.send(body);
      messages++;
    }
    this.#options.emit({ event: 'records_sent', sn: query.sn, sumNum: items.length, messages });
  }

  #item(channelId: string, recording: Recording): XmlElement {
    const gb = (d: Date) => formatGbDate(d, this.#options.offsetMinutes).slice(0, 19);
    const name = gb(recording.start).replace(/\D/g, '');
    return [
      'Item',
      [
        ['DeviceID', channelId],
        ['Name', 'Camera'],
        ['FilePath', `/record/${channelId}/${name}.ps`],
        ['Address', 'Simulator'],
        ['StartTime', gb(recording.start)],
        ['EndTime', gb(recording.end)],
        ['Secrecy', 0],
        ['Type', 'time'],
        ['RecorderID', this.#options.deviceId],
      ],
    ];
  }
}
