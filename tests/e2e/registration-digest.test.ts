/**
 * Digest registration against the real media node over loopback: a SHA-256 device whose user
 * name is not its ID (added with `algorithm` and `device_username`), a stale nonce answered
 * with `stale=true` and then a success, and the 200 OK a device sets its clock by.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  computeDigestResponse,
  formatAuthorization,
  parseChallenge,
  type DigestChallenge,
} from '../../media-node/formats/sip-digest.ts';
import type { SipResponse } from '../../media-node/formats/sip-message.ts';
import { Platform } from '../support/platform.ts';
import { eventually } from '../support/processes.ts';
import { RawSipPeer } from '../support/raw-sip.ts';

const sha = { id: '34020000001320000051', username: 'cam-admin', password: 'sha-pass' };
const md5 = { id: '34020000001320000052', password: 'md5-pass' };

/** REGISTER answered with the given digest fields; returns the response. */
async function registerWith(
  peer: RawSipPeer,
  deviceId: string,
  credentials?: { username: string; password: string; challenge: DigestChallenge },
): Promise<SipResponse> {
  const headers: [string, string][] = [
    ['Contact', `<sip:${deviceId}@127.0.0.1:${peer.localPort}>;expires=300`],
    ['Route', '<sip:proxy.invalid;lr>'],
    ['X-Vendor-Serial', 'DS-2CD2T47'],
  ];
  const request = peer.craft({ method: 'REGISTER', deviceId, headers });
  if (credentials !== undefined) {
    const { challenge, username, password } = credentials;
    const qop = challenge.qop?.includes('auth') === true;
    const fields = {
      username,
      realm: challenge.realm,
      nonce: challenge.nonce,
      uri: request.uri,
      algorithm: challenge.algorithm ?? 'MD5',
      ...(qop ? { qop: 'auth', nc: '00000001', cnonce: 'c0ffee01' } : {}),
      ...(challenge.opaque === undefined ? {} : { opaque: challenge.opaque }),
    };
    const response = computeDigestResponse(fields, 'REGISTER', password);
    request.headers.append('Authorization', formatAuthorization({ ...fields, response }));
  }
  return peer.request(request);
}

const challengeOf = (response: SipResponse) =>
  parseChallenge(response.headers.get('WWW-Authenticate') ?? '');

describe('digest registration end to end', () => {
  const platform = new Platform();
  const peers: RawSipPeer[] = [];
  const open = async () => {
    const peer = await RawSipPeer.open('UDP', platform.sipPort);
    peers.push(peer);
    return peer;
  };

  before(async () => {
    await platform.start();
    const { json } = await platform.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
      devices: [
        {
          device_id: sha.id,
          device_name: 'SHA-256 camera',
          device_password: sha.password,
          algorithm: 'SHA-256',
          device_username: sha.username,
        },
        { device_id: md5.id, device_name: 'MD5 camera', device_password: md5.password },
      ],
    });
    assert.equal(json.failed_num, 0);
  });
  after(async () => {
    await Promise.all(peers.map((p) => p.close()));
    await platform.stop();
    platform.removeData();
  });

  it('a SHA-256 device with its own user name registers, with Contact, Expires, Date', async () => {
    const peer = await open();
    const first = await registerWith(peer, sha.id);
    assert.equal(first.status, 401);
    const challenge = challengeOf(first);
    assert.equal(challenge.algorithm, 'SHA-256');
    assert.deepEqual(challenge.qop, ['auth']);

    const ok = await registerWith(peer, sha.id, { ...sha, challenge });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('Expires'), '300');
    assert.equal(
      ok.headers.get('Contact'),
      `<sip:${sha.id}@127.0.0.1:${peer.localPort}>;expires=300`,
    );
    assert.match(ok.headers.get('Date') ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);

    const device = await eventually(async () => {
      const { json } = await platform.call('GET', `/v1/{user_id}/devices/${sha.id}`);
      return json.device_state === 'ONLINE' ? json : undefined;
    });
    assert.equal(device.gb_access_state, 'CONNECTED');
  });

  it('a stale nonce gets a fresh challenge with stale=true, and then registers', async () => {
    const peer = await open();
    const first = await registerWith(peer, md5.id);
    const challenge = challengeOf(first);
    const ok = await registerWith(peer, md5.id, {
      username: md5.id,
      password: md5.password,
      challenge,
    });
    assert.equal(ok.status, 200);

    // The refresh reuses the nonce it was given last time, as many devices do.
    const stale = await registerWith(peer, md5.id, {
      username: md5.id,
      password: md5.password,
      challenge,
    });
    assert.equal(stale.status, 401);
    const fresh = challengeOf(stale);
    assert.equal(fresh.stale, true);
    assert.notEqual(fresh.nonce, challenge.nonce);
    const again = await registerWith(peer, md5.id, {
      username: md5.id,
      password: md5.password,
      challenge: fresh,
    });
    assert.equal(again.status, 200);
  });
});
