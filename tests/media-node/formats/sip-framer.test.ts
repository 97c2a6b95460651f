import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { errorCodes, isArgusError } from '../../../src/errors.ts';
import { SIP_MAX_MESSAGE_BYTES } from '../../../media-node/formats/limits.ts';
import { SipStreamFramer, isSipKeepalive } from '../../../media-node/formats/sip-framer.ts';
import { parseSipMessage } from '../../../media-node/formats/sip-message.ts';
import { readFixture, skipWithoutFixture } from '../../support/fixtures.ts';
import { fuzzRuns } from '../../support/fuzz.ts';

const SRS = 'public/srs-utest-gb28181/sip';
const FILES = [
  '03-srs-INVITE.sip',
  '04-ipc-100-Trying.sip',
  '05-ipc-INVITE-200-OK-sdp.sip',
  '06-srs-ACK.sip',
];

const bytes = (s: string) => new TextEncoder().encode(s);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function throwsCode(fn: () => unknown, code: string, message?: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isArgusError(error, code as typeof errorCodes.SIP_MALFORMED), String(error));
    if (message !== undefined) assert.equal(error.message, message);
    return true;
  });
}

function messageWithBody(bodyLength: number): Uint8Array {
  const head =
    'MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n' +
    'From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\n' +
    `Content-Length: ${bodyLength}\r\n\r\n`;
  return bytes(head + 'x'.repeat(bodyLength));
}

/** A message of exactly `size` bytes, its body made of 'x'. */
function messageOfSize(size: number): Uint8Array {
  let bodyLength = size - messageWithBody(0).length;
  while (messageWithBody(bodyLength).length > size) bodyLength--;
  const message = messageWithBody(bodyLength);
  assert.equal(message.length, size);
  return message;
}

describe(
  'SipStreamFramer on a Hikvision TCP session (SRS)',
  { skip: skipWithoutFixture(SRS) },
  () => {
    const messages = FILES.map((f) => readFixture(`${SRS}/${f}`) ?? new Uint8Array());
    const stream = concat(messages);

    it('SipStreamFramer returns each message of a glued stream split at every byte', () => {
      for (let cut = 0; cut <= stream.length; cut++) {
        const framer = new SipStreamFramer();
        const out = [...framer.push(stream.subarray(0, cut)), ...framer.push(stream.subarray(cut))];
        assert.deepEqual(out, messages, `cut at ${cut}`);
        assert.equal(framer.buffered, 0);
      }
    });

    it('SipStreamFramer returns each message when fed one byte at a time', () => {
      const framer = new SipStreamFramer();
      const out: Uint8Array[] = [];
      for (let i = 0; i < stream.length; i++) out.push(...framer.push(stream.subarray(i, i + 1)));
      assert.deepEqual(out, messages);
      assert.ok(out.every((m) => parseSipMessage(m)));
    });

    it('SipStreamFramer skips CRLF keepalives between messages', () => {
      const withPings = concat([
        bytes('\r\n\r\n'),
        messages[0] ?? bytes(''),
        bytes('\r\n'),
        messages[1] ?? bytes(''),
      ]);
      assert.deepEqual(new SipStreamFramer().push(withPings), messages.slice(0, 2));
    });
  },
);

describe('SipStreamFramer limits', () => {
  it('SipStreamFramer accepts a message of SIP_MAX_MESSAGE_BYTES', () => {
    const message = messageOfSize(SIP_MAX_MESSAGE_BYTES);
    assert.deepEqual(new SipStreamFramer().push(message), [message]);
  });

  it('SipStreamFramer refuses a Content-Length one past the limit before the body arrives', () => {
    const tooBig = messageOfSize(SIP_MAX_MESSAGE_BYTES + 1);
    const headerOnly = tooBig.subarray(0, tooBig.indexOf(0x78));
    throwsCode(
      () => new SipStreamFramer().push(headerOnly),
      errorCodes.SIP_TOO_LARGE,
      `Cannot frame SIP stream: message too large: ${SIP_MAX_MESSAGE_BYTES + 1} > ` +
        `${SIP_MAX_MESSAGE_BYTES} bytes`,
    );
  });

  it('SipStreamFramer refuses a header section that never ends', () => {
    const framer = new SipStreamFramer({ maxMessageBytes: 1024 });
    framer.push(bytes(`INVITE sip:a@b SIP/2.0\r\nX: ${'y'.repeat(900)}`));
    throwsCode(() => framer.push(bytes('z'.repeat(200))), errorCodes.SIP_TOO_LARGE);
  });

  it('SipStreamFramer refuses a message without Content-Length', () => {
    throwsCode(
      () => new SipStreamFramer().push(bytes('ACK sip:a@b SIP/2.0\r\nCSeq: 1 ACK\r\n\r\n')),
      errorCodes.SIP_MALFORMED,
      'Cannot frame SIP stream: missing Content-Length header',
    );
  });

  it('SipStreamFramer reads the compact Content-Length form', () => {
    const message = bytes('MESSAGE sip:a@b SIP/2.0\r\nl: 2\r\n\r\nhi');
    assert.deepEqual(new SipStreamFramer().push(concat([message, message])), [message, message]);
  });
});

describe('isSipKeepalive', () => {
  it('isSipKeepalive is true for CRLF-only datagrams only', () => {
    assert.equal(isSipKeepalive(bytes('\r\n\r\n')), true);
    assert.equal(isSipKeepalive(bytes('\r\n')), true);
    assert.equal(isSipKeepalive(bytes('')), false);
    assert.equal(isSipKeepalive(bytes('\r\nA')), false);
  });
});

describe('SipStreamFramer fuzzing', () => {
  /** Cuts `stream` at the given offsets and pushes the pieces; returns the messages framed. */
  function frameInPieces(stream: Uint8Array, cuts: number[]): Uint8Array[] {
    const framer = new SipStreamFramer();
    const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
    const out: Uint8Array[] = [];
    let from = 0;
    for (const at of [...points, stream.length]) {
      out.push(...framer.push(stream.subarray(from, at)));
      from = at;
    }
    return out;
  }

  it('SipStreamFramer frames the same messages however the stream is cut (property)', () => {
    const message = fc
      .tuple(fc.nat(300), fc.constantFrom('', '\r\n', '\r\n\r\n'))
      .map(([length, keepalive]) => concat([bytes(keepalive), messageWithBody(length)]));
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat()),
        (ms, cuts) => {
          const stream = concat(ms);
          const framed = frameInPieces(stream, cuts);
          assert.equal(framed.length, ms.length);
          for (const m of framed) assert.equal(parseSipMessage(m).kind, 'request');
        },
      ),
      { numRuns: fuzzRuns(500) },
    );
  });

  it('SipStreamFramer throws only ArgusError on random bytes in random pieces (property)', () => {
    const piece = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.constantFrom(bytes('\r\n\r\n'), bytes('Content-Length: 5\r\n'), bytes('l: -1\r\n')),
      fc.nat(400).map((n) => messageWithBody(n)),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const framer = new SipStreamFramer({ maxMessageBytes: 4096 });
        try {
          for (const p of pieces) {
            for (const m of framer.push(p)) {
              try {
                parseSipMessage(m);
              } catch (error) {
                assert.ok(isArgusError(error), String(error));
              }
            }
          }
        } catch (error) {
          assert.ok(isArgusError(error), String(error));
        }
        assert.ok(framer.buffered <= 4096 + 200);
      }),
      { numRuns: fuzzRuns(1000) },
    );
  });
});
