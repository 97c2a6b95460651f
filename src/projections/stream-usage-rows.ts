/**
 * The stream_usage rows of one StreamUsageRecorded event: an `IN` row for the RTP from the
 * device, and per viewer protocol an `OUT` row summing its viewers.
 */
import type { StreamUsage } from '../domain/device.ts';
import type { StreamUsageTable } from '../sql/database.ts';

export function streamUsageRows(usage: StreamUsage, userId: string): StreamUsageTable[] {
  const key = {
    call_id: usage.callId,
    period_from: usage.from,
    period_to: usage.to,
    user_id: userId,
    device_id: usage.deviceId,
    channel_id: usage.channelId,
  };
  const periodS = (Date.parse(usage.to) - Date.parse(usage.from)) / 1000;
  const rows: StreamUsageTable[] = [
    {
      ...key,
      direction: 'IN',
      protocol: 'RTP',
      bytes: usage.bytesIn,
      seconds: periodS,
      viewers: 0,
    },
  ];
  for (const viewer of usage.viewers) {
    const row = rows.find((r) => r.direction === 'OUT' && r.protocol === viewer.protocol);
    if (row === undefined) {
      const { protocol, bytesOut: bytes, seconds } = viewer;
      rows.push({ ...key, direction: 'OUT', protocol, bytes, seconds, viewers: 1 });
      continue;
    }
    row.bytes += viewer.bytesOut;
    row.seconds += viewer.seconds;
    row.viewers += 1;
  }
  return rows;
}
