/**
 * A device's recordings, through the node that serves it:
 *
 * - `GET /internal/devices/{device_id}/channels/{channel_id}/records?start_time&end_time`
 *   asks the device RecordInfo (GB/T 28181-2016 §A.2.4.5) and answers every recording of the
 *   range, assembled from its pages, with times in UTC;
 * - `POST /internal/devices/{device_id}/channels/{channel_id}/downloads`
 *   `{start_time, end_time, download_speed}` starts a download to an MP4 file;
 * - `GET /internal/devices/{device_id}/downloads/{download_id}` answers its progress.
 *
 * Times in and out are ISO 8601 (the API has made them so). Device times carry no zone: a
 * device sets its clock from the REGISTER answer's `Date:`, which this node writes in its own
 * local time (registrar.ts), so device times are read in that zone, `tzOffsetMinutes`.
 */
import { ArgusError, errorCodes } from '../../src/errors.ts';
import { buildManscdpBody } from '../formats/manscdp.ts';
import type { DeviceCommands } from '../gb/device-commands.ts';
import type { GbServer } from '../gb/gb-server.ts';
import { parseDeviceTime, recordInfoQuery, type RecordItem } from '../gb/record-info.ts';
import type { DownloadSessions } from '../media/download-sessions.ts';
import type { ControlRequest, ControlRouter } from './control-router.ts';
import { ownedDeviceId } from './device-control.ts';

export interface RecordRoutesDeps {
  readonly server: GbServer;
  readonly commands: DeviceCommands;
  readonly downloads: DownloadSessions;
  /** The zone of device times, minutes east of UTC. */
  readonly tzOffsetMinutes: number;
}

const gbId = /^\d{20}$/;

export function recordRoutes(router: ControlRouter, deps: RecordRoutesDeps): void {
  router.on('GET', '/internal/devices/:device_id/channels/:channel_id/records', async (request) => {
    const deviceId = await ownedDeviceId(deps.commands, request);
    const channelId = channelOf(request);
    const { start, end } = rangeOf(request.query.get('start_time'), request.query.get('end_time'));
    const { server } = deps;
    const children = recordInfoQuery(start, end, deps.tzOffsetMinutes);
    const answer = await server.records.collect(deviceId, async () => {
      // The query names the channel in DeviceID; the answer comes from the device.
      const sn = server.nextSn();
      const body = buildManscdpBody('Query', 'RecordInfo', sn, channelId, children);
      await server.sendManscdp(deviceId, body, 'query RecordInfo');
      return sn;
    });
    const records = answer.items
      .flatMap((item) => recordOf(item, deps.tzOffsetMinutes))
      .sort((a, b) => a.start_time.localeCompare(b.start_time));
    return {
      device_id: deviceId,
      channel_id: channelId,
      sum_num: answer.sumNum,
      complete: answer.complete,
      /** The zone device times were read in: the API answers times in it. */
      utc_offset_minutes: deps.tzOffsetMinutes,
      records,
    };
  });

  router.on(
    'POST',
    '/internal/devices/:device_id/channels/:channel_id/downloads',
    async (request) => {
      const deviceId = await ownedDeviceId(deps.commands, request);
      const channelId = channelOf(request);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const { start, end } = rangeOf(text(body['start_time']), text(body['end_time']));
      const speed = Number(body['download_speed'] ?? 4);
      if (!Number.isInteger(speed) || speed < 1 || speed > 8) {
        throw new ArgusError(errorCodes.VALIDATION, 'Cannot download: download_speed is not 1–8');
      }
      const download = await deps.downloads.start({
        userId: request.caller.userId,
        deviceId,
        channelId,
        start,
        end,
        speed,
      });
      return download;
    },
  );

  router.on('GET', '/internal/devices/:device_id/downloads/:download_id', async (request) => {
    const deviceId = await ownedDeviceId(deps.commands, request);
    const progress = deps.downloads.progress(request.params['download_id'] ?? '');
    if (progress === undefined || progress.device_id !== deviceId) {
      throw new ArgusError(errorCodes.NOT_FOUND, 'Cannot find download');
    }
    return progress;
  });
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function channelOf(request: ControlRequest): string {
  const channelId = request.params['channel_id'] ?? '';
  if (!gbId.test(channelId)) {
    throw new ArgusError(errorCodes.VALIDATION, 'Cannot accept channel_id: not 20 digits');
  }
  return channelId;
}

/** @throws ArgusError VALIDATION for a missing or unreadable time, or an empty range */
function rangeOf(startText: string | null, endText: string | null): { start: Date; end: Date } {
  const read = (value: string | null, name: string) => {
    const date = new Date(value ?? '');
    if (value === null || Number.isNaN(date.getTime())) {
      throw new ArgusError(errorCodes.VALIDATION, `Cannot accept ${name}: not an ISO 8601 time`);
    }
    return date;
  };
  const start = read(startText, 'start_time');
  const end = read(endText, 'end_time');
  if (end <= start) {
    throw new ArgusError(errorCodes.VALIDATION, 'Cannot accept end_time: not after start_time');
  }
  return { start, end };
}

/** One recording for the API; one whose times cannot be read is left out. */
function recordOf(item: RecordItem, offsetMinutes: number) {
  let start: Date;
  let end: Date;
  try {
    start = parseDeviceTime(item.startTime, offsetMinutes);
    end = parseDeviceTime(item.endTime, offsetMinutes);
  } catch {
    return [];
  }
  return [
    {
      channel_id: item.deviceId,
      name: item.name,
      file_path: item.filePath,
      address: item.address,
      start_time: start.toISOString(),
      end_time: end.toISOString(),
      secrecy: item.secrecy,
      record_type: item.type,
      recorder_id: item.recorderId,
      ...(item.fileSize === undefined ? {} : { file_size: item.fileSize }),
    },
  ];
}
