import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { fuzzRuns } from '../../support/fuzz.ts';

import { ArgusError, errorCodes } from '../../../src/errors.ts';
import { parseSipMessage, serializeSipMessage } from '../../../media-node/formats/sip-message.ts';
import { answerUnparsable } from '../../../media-node/sip/unparsable-request.ts';
import { readFixture, skipWithoutFixture } from '../../support/fixtures.ts';

const source = { address: '192.0.2.7', port: 5071 };
const malformed = new ArgusError(errorCodes.SIP_MALFORMED, 'Cannot parse SIP message: test');
const tooLarge = new ArgusError(errorCodes.SIP_TOO_LARGE, 'Cannot parse SIP message: test');

const REGISTER = [
  'REGISTER sip:34020000002000000001@3402000000 SIP/2.0',
  'Via: SIP/2.0/UDP 10.0.0.9:5060;rport;branch=z9hG4bK1234',
  'From: <sip:34020000001320000001@3402000000>;tag=77',
  'To: <sip:34020000001320000001@3402000000>',
  'Call-ID: reg-1@10.0.0.9',
  'CSeq: 1 REGISTER',
  'Max-Forwards: 70',
  'Expires: 3600',
].join('\r\n');

const bytes = (text: string) => new TextEncoder().encode(text);
const torture = (name: string) => `public/rfc4475-sip-torture/${name}`;

function mustRead(name: string): Uint8Array {
  const fixture = readFixture(torture(name));
  if (fixture === undefined) throw new Error(`fixture ${name} is absent`);
  return fixture;
}

describe('answerUnparsable', () => {
  it('answers a REGISTER truncated inside its headers with 400, Via stamped (RFC 3581)', () => {
    const answer = answerUnparsable(bytes(REGISTER.slice(0, 230)), malformed, source);

    assert.equal(answer?.status, 400);
    assert.equal(answer?.reason, 'Bad Request');
    assert.equal(
      answer?.headers.get('Via'),
      'SIP/2.0/UDP 10.0.0.9:5060;rport=5071;received=192.0.2.7;branch=z9hG4bK1234',
    );
    assert.equal(answer?.headers.get('From'), '<sip:34020000001320000001@3402000000>;tag=77');
    assert.equal(answer?.headers.has('CSeq'), false, 'cut off before CSeq');
  });

  it('answers a REGISTER whose Content-Length passes its body with 400, copying the dialog', () => {
    const request = `${REGISTER}\r\nContent-Length: 500\r\n\r\nbody`;
    const answer = answerUnparsable(bytes(request), malformed, source);

    assert.equal(answer?.status, 400);
    assert.deepEqual(
      answer?.headers.entries().map(([name]) => name),
      ['Via', 'From', 'To', 'Call-ID', 'CSeq'],
    );
    assert.equal(answer?.headers.get('CSeq'), '1 REGISTER');
  });

  it('answers a header flood (SIP_TOO_LARGE) with 513', () => {
    const flood = Array.from({ length: 200 }, (_, i) => `X-Flood-${i}: x`).join('\r\n');
    const answer = answerUnparsable(bytes(`${REGISTER}\r\n${flood}\r\n\r\n`), tooLarge, source);
    assert.equal(answer?.status, 513);
    assert.equal(answer?.reason, 'Message Too Large');
  });

  it('keeps every Via of the request, in order', () => {
    const request = REGISTER.replace(
      'Via: SIP/2.0/UDP 10.0.0.9:5060;rport;branch=z9hG4bK1234',
      'Via: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKa, SIP/2.0/UDP 10.0.0.8;branch=z9hG4bKb\r\n' +
        'v: SIP/2.0/TCP 10.0.0.7;branch=z9hG4bKc',
    );
    const answer = answerUnparsable(bytes(`${request}\r\nl: x\r\n\r\n`), malformed, source);
    assert.deepEqual(answer?.headers.getAll('Via'), [
      'SIP/2.0/UDP 10.0.0.9;received=192.0.2.7;branch=z9hG4bKa',
      'SIP/2.0/UDP 10.0.0.8;branch=z9hG4bKb',
      'SIP/2.0/TCP 10.0.0.7;branch=z9hG4bKc',
    ]);
  });

  it('answers nothing to random bytes, which hold no Via', () => {
    for (let i = 0; i < 200; i++) {
      assert.equal(answerUnparsable(randomBytes(300), malformed, source), undefined);
    }
  });

  it('answers nothing to a response or an ACK', () => {
    const response =
      'SIP/2.0 4294967301 better not break\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n';
    assert.equal(answerUnparsable(bytes(response), malformed, source), undefined);
    const ack = REGISTER.replace('REGISTER sip:', 'ACK sip:').replace('1 REGISTER', '1 ACK');
    assert.equal(answerUnparsable(bytes(`${ack}\r\nl: -1\r\n\r\n`), malformed, source), undefined);
  });

  it('answers a response that parses where the request had what a response needs', () => {
    const request = `${REGISTER}\r\nContent-Length: 9999\r\n\r\n`;
    const answer = answerUnparsable(bytes(request), malformed, source);
    assert.ok(answer !== undefined);
    // Serialising and parsing it back must work: the device can read the 400.
    assert.equal(parseSipMessage(serializeSipMessage(answer)).kind, 'response');
  });

  it(
    'answers RFC 4475 badvers.dat (SIP/7.0, its Via too) with 505',
    { skip: skipWithoutFixture(torture('badvers.dat')) },
    () => {
      const answer = answerUnparsable(mustRead('badvers.dat'), malformed, source);
      assert.equal(answer?.status, 505);
      assert.equal(answer?.headers.get('Via'), 'SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw');
    },
  );

  it(
    'answers RFC 4475 insuf.dat (no From, To or Call-ID) with 400 carrying Via and CSeq',
    { skip: skipWithoutFixture(torture('insuf.dat')) },
    () => {
      const answer = answerUnparsable(mustRead('insuf.dat'), malformed, source);
      assert.equal(answer?.status, 400);
      assert.deepEqual(
        answer?.headers.entries().map(([name]) => name),
        ['CSeq', 'Via'],
      );
    },
  );

  it('never throws, and answers only bytes with a Via line (property)', () => {
    const lines = fc.array(
      fc.oneof(
        fc.constantFrom(...REGISTER.split('\r\n'), 'Via:', 'v: ,,,', 'CSeq', ' folded', ''),
        fc.string({ maxLength: 80 }),
      ),
      { maxLength: 20 },
    );
    fc.assert(
      fc.property(lines, fc.constantFrom('\r\n', '\n'), (parts, eol) => {
        const text = parts.join(eol);
        const answer = answerUnparsable(bytes(text), malformed, source);
        if (answer === undefined) return;
        assert.ok(/^(via|v)[ \t]*:/im.test(text), 'a Via line was there');
        assert.ok([400, 505].includes(answer.status));
        serializeSipMessage(answer);
      }),
      { numRuns: fuzzRuns(2000) },
    );
  });
});
