import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { errorCodes, isArgusError } from '../../../src/errors.ts';
import type { DeviceCommands } from '../../../media-node/gb/device-commands.ts';
import { DeviceRegistry } from '../../../media-node/gb/device-registry.ts';
import { Registrar } from '../../../media-node/gb/registrar.ts';
import {
  SipHeaders,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from '../../../media-node/formats/sip-message.ts';
import type { SipPeer, SipTransport } from '../../../media-node/sip/sip-transport.ts';
import { recordingLogger } from '../support/recording-logger.ts';

const deviceId = '34020000001320000001';
const peer: SipPeer = { transport: 'UDP', address: '192.0.2.10', port: 5060 };

function register(authorization: string): SipRequest {
  return {
    kind: 'request',
    method: 'REGISTER',
    uri: 'sip:34020000002000000001@3402000000',
    headers: new SipHeaders([
      ['Via', 'SIP/2.0/UDP 192.0.2.10:5060;rport;branch=z9hG4bK77'],
      ['From', `<sip:${deviceId}@3402000000>;tag=1`],
      ['To', `<sip:${deviceId}@3402000000>`],
      ['Call-ID', 'reg-1'],
      ['CSeq', '2 REGISTER'],
      ['Authorization', authorization],
    ]),
    body: new Uint8Array(),
  };
}

describe('Registrar with bad credentials', () => {
  let sent: SipResponse[];
  let registrar: Registrar;

  beforeEach(() => {
    sent = [];
    registrar = new Registrar({
      transport: {
        send: (_: SipPeer, m: SipMessage) => sent.push(m as SipResponse) > 0,
      } as unknown as SipTransport,
      registry: new DeviceRegistry(),
      commands: {
        load: () => Promise.reject(new Error('Cannot load: not expected in this test')),
      } as unknown as DeviceCommands,
      realm: '3402000000',
      nodeId: 'media-1',
      logger: recordingLogger(),
      now: () => new Date('2026-01-01T00:00:00Z'),
    });
  });

  it('challenges RFC 4475 regaut01: an Authorization in an unknown scheme is no credentials', async () => {
    await registrar.handle(register('NoOneKnowsThisScheme opaque-data=here'), peer);
    assert.equal(sent[0]?.status, 401);
    assert.match(sent[0]?.headers.get('WWW-Authenticate') ?? '', /^Digest realm="3402000000", /);
  });

  it('challenges an Authorization of garbage', async () => {
    await registrar.handle(register('%%%\u0001garbage==='), peer);
    assert.equal(sent[0]?.status, 401);
  });

  it('refuses a Digest that cannot be read with SIP_MALFORMED (the server answers 400)', async () => {
    const broken = 'Digest username="x", realm="3402000000", nonce="open';
    await assert.rejects(registrar.handle(register(broken), peer), (error: unknown) =>
      isArgusError(error, errorCodes.SIP_MALFORMED),
    );
    assert.equal(sent.length, 0);
  });

  it('challenges a nonce it never issued as stale', async () => {
    const stale =
      `Digest username="${deviceId}", realm="3402000000", nonce="0123456789abcdef", ` +
      `uri="sip:34020000002000000001@3402000000", response="${'0'.repeat(32)}"`;
    await registrar.handle(register(stale), peer);
    assert.equal(sent[0]?.status, 401);
    assert.match(sent[0]?.headers.get('WWW-Authenticate') ?? '', /stale=TRUE/);
  });
});
