/**
 * The RFC 4475 torture messages sent to a real SipTransport over loopback UDP: the valid ones
 * reach the handler, the invalid requests are answered 400 (505 for SIP/7.0), the invalid
 * responses are dropped, and nothing crashes.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import type { SipMessage } from '../../../media-node/formats/sip-message.ts';
import { SipTransport } from '../../../media-node/sip/sip-transport.ts';
import { fixturePath, readFixture, skipWithoutFixture } from '../../support/fixtures.ts';
import { RawSipPeer } from '../../support/raw-sip.ts';
import { recordingLogger } from '../support/recording-logger.ts';

const TORTURE = 'public/rfc4475-sip-torture';

/** RFC 4475 §3.1.2 and §3.3 requests a server must refuse, with the status it answers. */
const refused: Record<string, number> = {
  badaspec: 400,
  baddate: 400,
  baddn: 400,
  badinv01: 400,
  badvers: 505,
  clerr: 400,
  escruri: 400,
  insuf: 400,
  ltgtruri: 400,
  lwsruri: 400,
  lwsstart: 400,
  mcl01: 400,
  mismatch01: 400,
  mismatch02: 400,
  multi01: 400,
  ncl: 400,
  quotbal: 400,
  regbadct: 400,
  scalar02: 400,
  trws: 400,
};
/**
 * Invalid responses, and SIPSorcery's request without a Via or CSeq (test.dat): nobody to
 * answer, or nothing to address an answer to.
 */
const dropped = new Set(['bigcode', 'scalarlg', 'test']);

describe(
  'SipTransport on the RFC 4475 torture tests',
  { skip: skipWithoutFixture(TORTURE) },
  () => {
    const handled: SipMessage[] = [];
    const transport = new SipTransport(recordingLogger());
    let port = 0;

    before(async () => {
      transport.onMessage((message) => handled.push(message));
      port = await transport.listen('127.0.0.1', 0);
    });
    after(() => transport.close());

    const names = () =>
      readdirSync(fixturePath(TORTURE) ?? '.')
        .filter((f) => f.endsWith('.dat'))
        .map((f) => f.slice(0, -4));

    it('answers every invalid request with 400 (505 for another version)', async () => {
      for (const name of Object.keys(refused)) {
        const peer = await RawSipPeer.open('UDP', port);
        peer.sendBytes(readFixture(`${TORTURE}/${name}.dat`) ?? new Uint8Array());
        const status = await peer.waitForStatus(() => true, 2000).catch(() => 0);
        await peer.close();
        assert.equal(status, refused[name], name);
      }
    });

    it('hands every valid message to the handler and drops the invalid responses', async () => {
      const valid = names().filter((n) => refused[n] === undefined && !dropped.has(n));
      assert.equal(valid.length, 27);
      const before = transport.dropped;
      handled.length = 0;
      const peer = await RawSipPeer.open('UDP', port);
      for (const name of [...valid, ...dropped]) {
        peer.sendBytes(readFixture(`${TORTURE}/${name}.dat`) ?? new Uint8Array());
      }
      for (let i = 0; i < 100 && handled.length + transport.dropped - before < 30; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      await peer.close();
      assert.equal(handled.length, valid.length);
      assert.equal(transport.dropped - before, dropped.size);
    });
  },
);
