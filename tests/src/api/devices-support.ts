/**
 * Givens for the device and organisation API tests, on the in-process platform of
 * control-plane-support.ts: organisations, devices with catalogs, and accounts.
 */
import assert from 'node:assert/strict';

import type { ChannelInfo } from '../../../src/domain/device.ts';
import { streamNames } from '../../../src/event-store/event-store.ts';
import type { Answer, Platform } from './control-plane-support.ts';

export const ivm = {
  ok: 'IVM.0',
  validation: 'IVM.10000001',
  forbidden: 'IVM.10000003',
  notFound: 'IVM.10000004',
  conflict: 'IVM.10000005',
};

/** An error answer: its status and code; resolves with its message. */
export function assertError(answer: Answer, status: number, errorCode: string): string {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.json.error_code, errorCode, answer.text);
  return answer.json.error_msg as string;
}

/** A token of the platform's enterprise AK/SK (an administrator). */
export async function adminToken(p: Platform): Promise<string> {
  const answer = await p.login();
  assert.equal(answer.status, 200, answer.text);
  return answer.json.access_token as string;
}

/** Creates an organisation under `parent`; resolves with its ID. */
export async function givenOrg(
  p: Platform,
  token: string,
  name: string,
  parent = '0',
  tenant = '{user_id}',
) {
  const answer = await p.call('POST', `/v1/${tenant}/device-orgs`, {
    token,
    body: { device_org_name: name, parent_org_id: parent },
  });
  assert.equal(answer.status, 200, answer.text);
  return answer.json.device_org_id as string;
}

/** Adds devices (to `orgId` where given); every item must succeed. */
export async function givenDevices(
  p: Platform,
  token: string,
  ids: readonly string[],
  orgId?: string,
  tenant = '{user_id}',
) {
  const devices = ids.map((id, i) => ({
    device_id: id,
    device_name: `Camera ${i + 1}`,
    device_password: '12345678',
    ...(orgId === undefined ? {} : { device_org_id: orgId }),
  }));
  const answer = await p.call('POST', `/v1/${tenant}/devices/gb/batch-add`, {
    token,
    body: { devices },
  });
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.json.failed_num, 0, answer.text);
}

/** The device registers on a media node and reports `channels`, as the media node records it. */
export async function givenOnline(p: Platform, deviceId: string, channels: ChannelInfo[]) {
  const at = new Date().toISOString();
  await p.store.appendToStream(streamNames.device(deviceId), [
    {
      type: 'DeviceRegistered',
      data: {
        deviceId,
        nodeId: 'media-1',
        transport: 'UDP',
        remoteAddress: '10.0.0.5:5060',
        expires: 3600,
        at,
      },
    },
    { type: 'DeviceCatalogUpdated', data: { deviceId, channels, at } },
  ]);
  await p.runner.catchUp();
}

/** A channel of a device, type 131, numbered `n`. */
export function channel(deviceId: string, n: number, name: string, status: 'ON' | 'OFF' = 'ON') {
  const channelId = `${deviceId.slice(0, 10)}131${String(n).padStart(7, '0')}`;
  return { channelId, name, status } satisfies ChannelInfo;
}

/** Creates an account of the enterprise and logs it in; resolves with its token. */
export async function givenAccount(
  p: Platform,
  token: string,
  login: string,
  role: string,
  orgId = '0',
): Promise<string> {
  const answer = await p.call('POST', '/v1/{user_id}/users', {
    token,
    body: {
      login_name: login,
      password: `${login}-password`,
      name: login,
      role,
      device_org_id: orgId,
    },
  });
  assert.equal(answer.status, 200, answer.text);
  return p.loginAs(login, `${login}-password`);
}
