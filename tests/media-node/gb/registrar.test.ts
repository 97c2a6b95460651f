import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { errorCodes, isArgusError } from '../../../src/errors.ts';
import { Registrar, type RegistrarOptions } from '../../../media-node/gb/registrar.ts';
import {
  computeDigestResponse,
  formatAuthorization,
  parseChallenge,
  type DigestCredentials,
} from '../../../media-node/formats/sip-digest.ts';
import { SipHeaders, type SipRequest } from '../../../media-node/formats/sip-message.ts';
import type { SipPeer } from '../../../media-node/sip/sip-transport.ts';
import { gbHarness, type GbHarness } from './support.ts';

const deviceId = '34020000001320000001';
const uri = 'sip:34020000002000000001@3402000000';
const peer: SipPeer = { transport: 'UDP', address: '192.0.2.10', port: 5060 };

function register(headers: [string, string][] = [], from = deviceId): SipRequest {
  return {
    kind: 'request',
    method: 'REGISTER',
    uri,
    headers: new SipHeaders([
      ['Via', 'SIP/2.0/UDP 192.0.2.10:5060;rport;branch=z9hG4bK77'],
      ['From', `<sip:${from}@3402000000>;tag=1`],
      ['To', `<sip:${from}@3402000000>`],
      ['Call-ID', 'reg-1'],
      ['CSeq', '2 REGISTER'],
      ['Contact', `<sip:${from}@192.0.2.10:5060>`],
      ...headers,
    ]),
    body: new Uint8Array(),
  };
}

interface Answer {
  password?: string;
  username?: string;
  algorithm?: string;
  /** Leave opaque out even where the challenge has one. */
  dropOpaque?: boolean;
  opaque?: string;
  nonce?: string;
}

describe('Registrar', () => {
  let h: GbHarness;
  let registrar: Registrar;

  const start = (options: Partial<RegistrarOptions> = {}) => {
    registrar = new Registrar({
      transport: h.transport,
      registry: h.registry,
      commands: h.commands,
      realm: '3402000000',
      nodeId: 'media-1',
      logger: h.logger,
      now: h.now,
      tzOffsetMinutes: 480,
      ...options,
    });
  };

  /** REGISTER without credentials; the challenge parsed. */
  const challenge = async (request = register(), from = peer) => {
    await registrar.handle(request, from);
    const response = h.lastResponse();
    assert.equal(response?.status, 401);
    return parseChallenge(response?.headers.get('WWW-Authenticate') ?? '');
  };

  /** Answers the challenge the way a device would, and returns the final status. */
  const answer = async (extra: [string, string][] = [], options: Answer = {}, from = peer) => {
    const digest = await challenge(register(extra), from);
    const qop = digest.qop?.includes('auth') === true;
    const fields: Omit<DigestCredentials, 'response'> = {
      username: options.username ?? deviceId,
      realm: digest.realm,
      nonce: options.nonce ?? digest.nonce,
      uri,
      algorithm: options.algorithm ?? digest.algorithm ?? 'MD5',
      ...(qop ? { qop: 'auth', nc: '00000001', cnonce: '0a4f113b' } : {}),
      ...(options.dropOpaque !== true && digest.opaque !== undefined
        ? { opaque: options.opaque ?? digest.opaque }
        : {}),
    };
    const response = computeDigestResponse(fields, 'REGISTER', options.password ?? '12345678');
    const authorization = formatAuthorization({ ...fields, response });
    await registrar.handle(register([...extra, ['Authorization', authorization]]), from);
    return h.lastResponse();
  };

  beforeEach(async () => {
    h = await gbHarness();
    start();
  });
  afterEach(() => h.close());

  it('registers an MD5 device, echoing Contact with its expiry, Expires and GB Date', async () => {
    await h.addDevice(deviceId);
    const ok = await answer([['Expires', '600']]);
    assert.equal(ok?.status, 200);
    assert.equal(ok?.headers.get('Contact'), `<sip:${deviceId}@192.0.2.10:5060>;expires=600`);
    assert.equal(ok?.headers.get('Expires'), '600');
    assert.equal(ok?.headers.get('Date'), '2026-01-01T08:00:00.000');
    assert.equal(h.registry.get(deviceId)?.peer, peer);
    assert.deepEqual(await h.eventTypes(deviceId), [
      'DeviceAdded',
      'DeviceAccessStateChanged',
      'DeviceRegistered',
    ]);
    const device = await h.device(deviceId);
    assert.deepEqual([device.accessState, device.accessReason], ['CONNECTED', 'registered']);
  });

  it('offers no qop to MD5 devices by default, and its own challenge with opaque', async () => {
    await h.addDevice(deviceId);
    const digest = await challenge();
    assert.equal(digest.algorithm, 'MD5');
    assert.equal(digest.qop, undefined);
    assert.match(digest.opaque ?? '', /^[0-9a-f]{16}$/);
  });

  it('registers an MD5 device answering qop=auth with nc and cnonce, opaque echoed', async () => {
    start({ md5Qop: true });
    await h.addDevice(deviceId);
    const digest = await challenge();
    assert.deepEqual(digest.qop, ['auth']);
    assert.equal((await answer())?.status, 200);
  });

  it('registers a device that does not echo opaque (many GB/T 28181 cameras)', async () => {
    await h.addDevice(deviceId);
    assert.equal((await answer([], { dropOpaque: true }))?.status, 200);
  });

  it('registers a SHA-256 device (RFC 8760) answering qop=auth', async () => {
    await h.addDevice(deviceId, { algorithm: 'SHA-256' });
    const digest = await challenge();
    assert.equal(digest.algorithm, 'SHA-256');
    assert.deepEqual(digest.qop, ['auth']);
    assert.equal((await answer())?.status, 200);
  });

  it('refuses an MD5 answer from a SHA-256 device with a reason', async () => {
    await h.addDevice(deviceId, { algorithm: 'SHA-256' });
    await challenge();
    const digest = await challenge();
    const fields = {
      username: deviceId,
      realm: digest.realm,
      nonce: digest.nonce,
      uri,
      algorithm: 'MD5',
    };
    const response = computeDigestResponse(fields, 'REGISTER', '12345678');
    const authorization = formatAuthorization({ ...fields, response });
    await registrar.handle(register([['Authorization', authorization]]), peer);
    assert.equal(h.lastResponse()?.status, 403);
    const device = await h.device(deviceId);
    assert.equal(device.accessState, 'AUTHENTICATION_FAILED');
    assert.equal(device.accessReason, 'algorithm MD5 instead of SHA-256');
  });

  it('registers a device whose digest user name is not its ID, and refuses the ID', async () => {
    await h.addDevice(deviceId, { username: 'admin' });
    assert.equal((await answer([], { username: deviceId }))?.status, 403);
    assert.equal((await h.device(deviceId)).accessReason, 'wrong user name');
    assert.equal((await answer([], { username: 'admin' }))?.status, 200);
  });

  it('answers a right password on a foreign nonce 401 stale=true, then registers', async () => {
    await h.addDevice(deviceId);
    const stale = await answer([], { nonce: '0123456789abcdef0123456789abcdef' });
    assert.equal(stale?.status, 401);
    const again = parseChallenge(stale?.headers.get('WWW-Authenticate') ?? '');
    assert.equal(again.stale, true);
    assert.equal((await answer())?.status, 200);
  });

  it('answers a nonce used twice or answered with another opaque as stale', async () => {
    await h.addDevice(deviceId);
    const digest = await challenge();
    const fields = { username: deviceId, realm: digest.realm, nonce: digest.nonce, uri };
    const response = computeDigestResponse(fields, 'REGISTER', '12345678');
    const authorization: [string, string] = [
      'Authorization',
      formatAuthorization({ ...fields, response }),
    ];
    await registrar.handle(register([authorization]), peer);
    assert.equal(h.lastResponse()?.status, 200);
    await registrar.handle(register([authorization]), peer);
    assert.match(h.lastResponse()?.headers.get('WWW-Authenticate') ?? '', /stale=TRUE/);

    const foreign = await answer([], { opaque: 'not-the-one-sent' });
    assert.equal(foreign?.status, 401);
  });

  it('answers a nonce past its lifetime as stale', async () => {
    await h.addDevice(deviceId);
    const digest = await challenge();
    h.advance(6 * 60_000);
    const fields = { username: deviceId, realm: digest.realm, nonce: digest.nonce, uri };
    const response = computeDigestResponse(fields, 'REGISTER', '12345678');
    const authorization = formatAuthorization({ ...fields, response });
    await registrar.handle(register([['Authorization', authorization]]), peer);
    assert.match(h.lastResponse()?.headers.get('WWW-Authenticate') ?? '', /stale=TRUE/);
  });

  it('takes Expires from the Contact parameter, before the Expires header', async () => {
    await h.addDevice(deviceId);
    const contact: [string, string] = ['Contact', `<sip:${deviceId}@192.0.2.10:5060>;expires=120`];
    const request = register([['Expires', '7200']]);
    request.headers.set('Contact', contact[1]);
    const digest = await challenge(request);
    const fields = { username: deviceId, realm: digest.realm, nonce: digest.nonce, uri };
    const response = computeDigestResponse(fields, 'REGISTER', '12345678');
    request.headers.set('Authorization', formatAuthorization({ ...fields, response }));
    await registrar.handle(request, peer);
    const ok = h.lastResponse();
    assert.equal(ok?.headers.get('Expires'), '120');
    assert.equal(ok?.headers.get('Contact'), `<sip:${deviceId}@192.0.2.10:5060>;expires=120`);
  });

  it('unregisters on Expires: 0 and records why', async () => {
    await h.addDevice(deviceId);
    await answer();
    const bye = await answer([['Expires', '0']]);
    assert.equal(bye?.status, 200);
    assert.equal(bye?.headers.get('Expires'), '0');
    assert.equal(h.registry.get(deviceId), undefined);
    const device = await h.device(deviceId);
    assert.deepEqual([device.state, device.accessReason], ['OFFLINE', 'unregistered']);
  });

  it('registers through Route, Record-Route and vendor headers it does not know', async () => {
    await h.addDevice(deviceId);
    const ok = await answer([
      ['Route', '<sip:proxy.example.com;lr>'],
      ['Record-Route', '<sip:edge.example.com;lr>'],
      ['X-Hik-Private', 'a=1;b=2'],
      ['P-Dahua-Whatever', '<weird>,,;'],
    ]);
    assert.equal(ok?.status, 200);
  });

  it('records a wrong password as AUTHENTICATION_FAILED once a minute, not per try', async () => {
    await h.addDevice(deviceId);
    for (let i = 0; i < 3; i++) assert.equal((await answer([], { password: 'nope' }))?.status, 403);
    h.advance(61_000);
    await answer([], { password: 'nope' });
    const types = (await h.eventTypes(deviceId)).filter((t) => t === 'DeviceAccessStateChanged');
    // NO_AUTHENTICATION_INFO for the first challenge, then one failure per minute.
    assert.equal(types.length, 3);
    const device = await h.device(deviceId);
    assert.deepEqual(
      [device.accessState, device.accessReason],
      ['AUTHENTICATION_FAILED', 'wrong password'],
    );
    assert.equal(h.logger.lines.filter((l) => l.msg === 'registration refused').length, 4);
  });

  it('locks out a source after five failures, refusing even the right password', async () => {
    start({ lockout: { maxFailures: 5, windowMs: 60_000, lockoutMs: 300_000 } });
    await h.addDevice(deviceId);
    for (let i = 0; i < 5; i++) await answer([], { password: 'nope' });
    const locked = h.logger.lines.filter((l) => l.msg === 'registration locked out');
    assert.equal(locked.length, 1);
    assert.equal(locked[0]?.fields['lockedUntil'], '2026-01-01T00:05:00.000Z');
    const device = await h.device(deviceId);
    assert.equal(device.lockedUntil, '2026-01-01T00:05:00.000Z');
    assert.equal(device.accessReason, 'wrong password, locked out');

    const sentBefore = h.sent.length;
    await registrar.handle(register(), peer);
    assert.equal(h.lastResponse()?.status, 403);
    assert.equal(h.sent.length, sentBefore + 1);

    // Another camera behind the same address is not locked out.
    await h.addDevice('34020000001320000002');
    await registrar.handle(register([], '34020000001320000002'), peer);
    assert.equal(h.lastResponse()?.status, 401);

    h.advance(300_001);
    assert.equal((await answer())?.status, 200);
    assert.equal((await h.device(deviceId)).accessState, 'CONNECTED');
  });

  it('refuses an unknown device 403 after the challenge and records nothing', async () => {
    const refused = await answer();
    assert.equal(refused?.status, 403);
    assert.deepEqual(await h.eventTypes(deviceId), []);
  });

  it('challenges RFC 4475 regaut01: an Authorization in an unknown scheme is none', async () => {
    await h.addDevice(deviceId);
    await registrar.handle(register([['Authorization', 'NoOneKnowsThisScheme a=b']]), peer);
    assert.equal(h.lastResponse()?.status, 401);
    const device = await h.device(deviceId);
    assert.equal(device.accessState, 'NO_AUTHENTICATION_INFO');
  });

  it('challenges an Authorization of garbage', async () => {
    await registrar.handle(register([['Authorization', '%%%\u0001garbage===']]), peer);
    assert.equal(h.lastResponse()?.status, 401);
  });

  it('refuses an unreadable Digest with SIP_MALFORMED (the server answers 400)', async () => {
    const broken = 'Digest username="x", realm="3402000000", nonce="open';
    await assert.rejects(registrar.handle(register([['Authorization', broken]]), peer), (error) =>
      isArgusError(error, errorCodes.SIP_MALFORMED),
    );
    assert.equal(h.sent.length, 0);
  });
});
