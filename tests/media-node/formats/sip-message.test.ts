import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { fuzzRuns } from '../../support/fuzz.ts';

import { errorCodes, isArgusError } from '../../../src/errors.ts';
import { SIP_MAX_HEADERS, SIP_MAX_MESSAGE_BYTES } from '../../../media-node/formats/limits.ts';
import {
  SipHeaders,
  buildResponse,
  formatNameAddr,
  formatVia,
  parseCSeq,
  parseNameAddr,
  parseSipMessage,
  parseSipUri,
  parseVia,
  serializeSipMessage,
} from '../../../media-node/formats/sip-message.ts';
import type { SipMessage, SipRequest } from '../../../media-node/formats/sip-message.ts';
import { fixturePath, readFixture, skipWithoutFixture } from '../../support/fixtures.ts';

const TORTURE = 'public/rfc4475-sip-torture';
const SRS = 'public/srs-utest-gb28181/sip';
const TRANSCRIPTS = 'public/gb28181-solution-sip';

const text = (s: string) => new TextEncoder().encode(s.replace(/\n/g, '\r\n'));
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

function torture(name: string): SipMessage {
  return parseSipMessage(readFixture(`${TORTURE}/${name}.dat`) ?? new Uint8Array());
}

/** The UDP payloads of a tshark transcript: one per `=== frame … ===` header line. */
function transcriptFrames(name: string): Uint8Array[] {
  const raw = readFixture(`${TRANSCRIPTS}/${name}.transcript.txt`) ?? new Uint8Array();
  const frames = new TextDecoder('latin1')
    .decode(raw)
    .split(/^=== frame .*===\n/m)
    .slice(1);
  return frames.map((f) => new Uint8Array(Buffer.from(f.replace(/\n$/, ''), 'latin1')));
}

function throwsCode(fn: () => unknown, code: string, message?: string | RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isArgusError(error), `expected an ArgusError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (typeof message === 'string') assert.equal(error.message, message);
    else if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

const REGISTER = `REGISTER sip:34020000002000000001@3402000000 SIP/2.0
Via: SIP/2.0/UDP 192.168.3.99:5060;rport;branch=z9hG4bK442003727
From: <sip:34020000001320000001@3402000000>;tag=307202390
To: <sip:34020000001320000001@3402000000>
Call-ID: 393945367
CSeq: 1 REGISTER
Contact: <sip:34020000001320000001@192.168.3.99:5060>
Max-Forwards: 70
Expires: 3600
Content-Length: 0

`;

/** A message of exactly `size` bytes: REGISTER with a body of filler. */
function messageOfSize(size: number): Uint8Array {
  const head = (length: number) =>
    REGISTER.replace('Content-Length: 0', `Content-Length: ${length}`).replace(/\n/g, '\r\n');
  let bodyLength = size - head(0).length;
  while (head(bodyLength).length + bodyLength !== size) bodyLength--;
  return new TextEncoder().encode(head(bodyLength) + 'x'.repeat(bodyLength));
}

function withHeaderLines(count: number): Uint8Array {
  const extra = Array.from({ length: count - 9 }, (_, i) => `X-Filler-${i}: ${i}`).join('\n');
  return text(REGISTER.replace('Max-Forwards: 70', `Max-Forwards: 70\n${extra}`));
}

describe(
  'parseSipMessage on the RFC 4475 torture tests',
  { skip: skipWithoutFixture(TORTURE) },
  () => {
    it('parseSipMessage parses or rejects every torture message with a SIP error only', () => {
      const dir = fixturePath(TORTURE) ?? '';
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.dat'))) {
        try {
          parseSipMessage(readFixture(`${TORTURE}/${file}`) ?? new Uint8Array());
        } catch (error) {
          const ok =
            isArgusError(error, errorCodes.SIP_MALFORMED) ||
            isArgusError(error, errorCodes.SIP_TOO_LARGE);
          assert.ok(ok, `${file}: ${String(error)}`);
        }
      }
    });

    it('parseSipMessage accepts every valid message of §3.1.1', () => {
      const valid = ['wsinv', 'intmeth', 'esc01', 'escnull', 'esc02', 'lwsdisp', 'longreq'];
      valid.push('dblreq', 'semiuri', 'transports', 'mpart01', 'unreason', 'noreason');
      for (const name of valid) assert.doesNotThrow(() => torture(name), name);
    });

    it('parseSipMessage reads the short tortuous INVITE (wsinv) through folding, spacing', () => {
      const m = torture('wsinv');
      assert.equal(m.kind, 'request');
      assert.equal(m.kind === 'request' && m.method, 'INVITE');
      assert.equal(m.body.length, 150);
      assert.deepEqual(parseCSeq(m.headers.get('cseq') ?? ''), { seq: 9, method: 'INVITE' });
      assert.equal(m.headers.getAll('v').length, 3);
      assert.equal(parseVia(m.headers.getAll('Via')[1] ?? '').branch, 'z9hG4bK9ikj8');
      assert.equal(parseVia(m.headers.getAll('Via')[2] ?? '').branch, 'z9hG4bK30239');
      const from = parseNameAddr(m.headers.get('f') ?? '');
      assert.equal(from.displayName, 'J Rosenberg \\"');
      assert.equal(from.tag, '98asjd8');
      assert.equal(parseNameAddr(m.headers.get('To') ?? '').tag, '1918181833n');
      assert.equal(m.headers.get('Subject'), '');
      assert.equal(
        m.headers.get('NewFangledHeader'),
        'newfangled value continued newfangled value',
      );
    });

    it('parseSipMessage reads odd but valid tokens, escapes and reasons', () => {
      const intmeth = torture('intmeth');
      assert.equal(
        intmeth.kind === 'request' && intmeth.method,
        "!interesting-Method0123456789_*+`.%indeed'~",
      );
      assert.equal(torture('esc01').headers.get('Call-ID'), 'esc01.239409asdfakjkn23onasd0-3234');
      assert.equal(parseNameAddr(torture('esc01').headers.get('To') ?? '').user, 'user');
      assert.equal(
        parseNameAddr(torture('lwsdisp').headers.get('From') ?? '').displayName,
        'caller',
      );
      assert.equal(torture('longreq').headers.getAll('Via').length, 34);
      const unreason = torture('unreason');
      assert.equal(
        unreason.kind === 'response' && unreason.reason,
        '= 2**3 * 5**2 но сто девяносто девять - простое',
      );
      const noreason = torture('noreason');
      assert.deepEqual(noreason.kind === 'response' && [noreason.status, noreason.reason], [
        100,
        '',
      ]);
    });

    it('parseSipMessage keeps the first request of a datagram holding two (dblreq)', () => {
      const m = torture('dblreq');
      assert.equal(m.kind === 'request' && m.method, 'REGISTER');
      assert.equal(m.body.length, 0);
    });

    it('parseSipMessage rejects repeated single headers, empty Vias, URI headers, non-GMT', () => {
      const cases: [string, RegExp][] = [
        ['multi01', /more than one From header: 2/],
        ['badinv01', /invalid Via: ";"/],
        ['escruri', /Request-URI with headers/],
        ['regbadct', /URI with , or \? outside <>/],
        ['baddate', /Date not in GMT/],
      ];
      for (const [name, message] of cases) {
        throwsCode(() => torture(name), errorCodes.SIP_MALFORMED, message);
      }
    });

    it('parseSipMessage accepts the valid messages of §3.2–§3.4 (app semantics aside)', () => {
      const valid = ['badbranch', 'bcast', 'bext01', 'cparam01', 'cparam02', 'inv2543', 'invut'];
      valid.push('novelsc', 'regaut01', 'regescrt', 'sdp01', 'unkscm', 'unksm2', 'zeromf');
      for (const name of valid) assert.doesNotThrow(() => torture(name), name);
    });

    it('parseSipMessage rejects the malformed start lines, lengths and headers of §3.1.2', () => {
      const invalid = [
        'badvers',
        'bigcode',
        'clerr',
        'ncl',
        'mcl01',
        'lwsstart',
        'trws',
        'lwsruri',
      ];
      invalid.push('ltgtruri', 'quotbal', 'mismatch01', 'mismatch02', 'scalar02', 'scalarlg');
      for (const name of invalid) throwsCode(() => torture(name), errorCodes.SIP_MALFORMED);
      throwsCode(
        () => torture('clerr'),
        errorCodes.SIP_MALFORMED,
        'Cannot parse SIP message: Content-Length larger than the body: 9999 > 154',
      );
      throwsCode(
        () => torture('test'),
        errorCodes.SIP_MALFORMED,
        'Cannot parse SIP message: header line without a colon: "Foobar roobar"',
      );
    });
  },
);

describe(
  'parseSipMessage on a Hikvision camera exchange (SRS)',
  { skip: skipWithoutFixture(SRS) },
  () => {
    const files: [string, string | number][] = [
      ['01-ipc-REGISTER.sip', 'REGISTER'],
      ['02-srs-REGISTER-200.sip', 200],
      ['03-srs-INVITE.sip', 'INVITE'],
      ['04-ipc-100-Trying.sip', 100],
      ['05-ipc-INVITE-200-OK-sdp.sip', 200],
      ['06-srs-ACK.sip', 'ACK'],
    ];

    it('parseSipMessage reads each message with its method or status', () => {
      for (const [file, expected] of files) {
        const m = parseSipMessage(readFixture(`${SRS}/${file}`) ?? new Uint8Array());
        assert.equal(m.kind === 'request' ? m.method : m.status, expected, file);
      }
    });

    it('serializeSipMessage writes each message back byte for byte', () => {
      for (const [file] of files) {
        const bytes = readFixture(`${SRS}/${file}`) ?? new Uint8Array();
        assert.deepEqual(serializeSipMessage(parseSipMessage(bytes)), bytes, file);
      }
    });

    it('parseSipMessage reads the GB/T 28181 Subject without splitting it at commas', () => {
      const m = parseSipMessage(readFixture(`${SRS}/03-srs-INVITE.sip`) ?? new Uint8Array());
      assert.deepEqual(m.headers.getAll('Subject'), [
        '34020000001320000001:0200007585,34020000002000000001:0',
      ]);
      assert.equal(parseVia(m.headers.get('Via') ?? '').transport, 'TCP');
    });
  },
);

function sameMessage(a: SipMessage, b: SipMessage): void {
  assert.equal(a.kind, b.kind);
  if (a.kind === 'request' && b.kind === 'request')
    assert.deepEqual([a.method, a.uri], [b.method, b.uri]);
  if (a.kind === 'response' && b.kind === 'response')
    assert.deepEqual([a.status, a.reason], [b.status, b.reason]);
  const withoutLength = (m: SipMessage) =>
    m.headers.entries().filter(([n]) => n !== 'Content-Length');
  assert.deepEqual(withoutLength(a), withoutLength(b));
  assert.deepEqual(a.body, b.body);
}

describe('serializeSipMessage round trips', () => {
  it(
    'serializeSipMessage then parseSipMessage gives back the eXosip device exchanges',
    { skip: skipWithoutFixture(TRANSCRIPTS) },
    () => {
      const frames = [...transcriptFrames('reg-auth'), ...transcriptFrames('invite-live-catalog')];
      assert.equal(frames.length, 20);
      for (const frame of frames) {
        const m = parseSipMessage(frame);
        sameMessage(parseSipMessage(serializeSipMessage(m)), m);
      }
    },
  );

  it(
    'serializeSipMessage then parseSipMessage gives back every torture message that parses',
    { skip: skipWithoutFixture(TORTURE) },
    () => {
      for (const file of readdirSync(fixturePath(TORTURE) ?? '')) {
        let m: SipMessage;
        try {
          m = parseSipMessage(readFixture(`${TORTURE}/${file}`) ?? new Uint8Array());
        } catch {
          continue;
        }
        sameMessage(parseSipMessage(serializeSipMessage(m)), m);
      }
    },
  );

  it('serializeSipMessage writes canonical names and sets Content-Length to the body', () => {
    const m = parseSipMessage(
      text(
        'MESSAGE sip:a@b SIP/2.0\nv: SIP/2.0/UDP h;branch=z9hG4bK1\nf: <sip:a@b>;tag=1\n' +
          't: <sip:a@b>\ni: x\nCSEQ: 2 MESSAGE\nl: 3\n\nabc',
      ),
    );
    m.body = new TextEncoder().encode('hello');
    assert.equal(
      decode(serializeSipMessage(m)),
      'MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n' +
        'From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 2 MESSAGE\r\n' +
        'Content-Length: 5\r\n\r\nhello',
    );
  });
});

describe('parseSipMessage limits and errors', () => {
  it('parseSipMessage accepts a message of SIP_MAX_MESSAGE_BYTES and refuses one byte more', () => {
    assert.equal(messageOfSize(SIP_MAX_MESSAGE_BYTES).length, SIP_MAX_MESSAGE_BYTES);
    assert.doesNotThrow(() => parseSipMessage(messageOfSize(SIP_MAX_MESSAGE_BYTES)));
    throwsCode(
      () => parseSipMessage(messageOfSize(SIP_MAX_MESSAGE_BYTES + 1)),
      errorCodes.SIP_TOO_LARGE,
      `Cannot parse SIP message: too large: ${SIP_MAX_MESSAGE_BYTES + 1} > ` +
        `${SIP_MAX_MESSAGE_BYTES} bytes`,
    );
  });

  it('parseSipMessage accepts SIP_MAX_HEADERS header lines and refuses one more', () => {
    assert.equal(parseSipMessage(withHeaderLines(SIP_MAX_HEADERS)).headers.size, SIP_MAX_HEADERS);
    throwsCode(
      () => parseSipMessage(withHeaderLines(SIP_MAX_HEADERS + 1)),
      errorCodes.SIP_TOO_LARGE,
    );
  });

  it('parseSipMessage names the missing header', () => {
    throwsCode(
      () => parseSipMessage(text(REGISTER.replace('CSeq: 1 REGISTER\n', ''))),
      errorCodes.SIP_MALFORMED,
      'Cannot parse SIP message: missing CSeq header',
    );
  });

  it('parseSipMessage accepts bare LF line ends and leading CRLFs', () => {
    const m = parseSipMessage(new TextEncoder().encode(`\r\n\r\n${REGISTER}`));
    assert.equal(m.kind === 'request' && m.method, 'REGISTER');
  });

  it('parseSipMessage throws only ArgusError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        try {
          parseSipMessage(bytes);
        } catch (error) {
          return isArgusError(error);
        }
        return true;
      }),
      { numRuns: fuzzRuns(2000) },
    );
  });

  it('parseSipMessage throws only ArgusError on a real message with bytes changed', () => {
    const base = text(REGISTER);
    const mutation = fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 6,
    });
    fc.assert(
      fc.property(mutation, (changes) => {
        const bytes = base.slice();
        for (const [at, value] of changes) bytes[at] = value;
        try {
          parseSipMessage(bytes);
        } catch (error) {
          return isArgusError(error);
        }
        return true;
      }),
      { numRuns: fuzzRuns(3000) },
    );
  });

  it('parseSipMessage throws only ArgusError on SIP-shaped lines with random values', () => {
    const names = ['Via', 'v', 'From', 'To', 't', 'Call-ID', 'CSeq', 'Content-Length', 'l', 'X'];
    const value = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(
        'SIP/2.0/UDP h;rport',
        '<sip:a@b>;tag=1',
        '"x\\" <sip:',
        '1 INVITE',
        '0',
        ' ',
      ),
    );
    const line = fc.tuple(fc.constantFrom(...names), value).map(([n, v]) => `${n}: ${v}`);
    const start = fc.constantFrom('INVITE sip:a@b SIP/2.0', 'SIP/2.0 200 OK', 'X y z');
    const message = fc
      .tuple(start, fc.array(line, { maxLength: 12 }), fc.string({ maxLength: 20 }))
      .map(([s, lines, body]) =>
        new TextEncoder().encode(`${s}\r\n${lines.join('\r\n')}\r\n\r\n${body}`),
      );
    fc.assert(
      fc.property(message, (bytes) => {
        try {
          parseSipMessage(bytes);
        } catch (error) {
          return isArgusError(error);
        }
        return true;
      }),
      { numRuns: fuzzRuns(3000) },
    );
  });
});

describe('SipHeaders', () => {
  it('SipHeaders matches names case-insensitively and in compact form', () => {
    const h = new SipHeaders([
      ['i', 'abc'],
      ['CALL-ID', 'def'],
      ['v', 'SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2'],
    ]);
    assert.equal(h.get('call-id'), 'abc');
    assert.deepEqual(h.getAll('Call-ID'), ['abc', 'def']);
    assert.deepEqual(h.getAll('VIA'), [
      'SIP/2.0/UDP a;branch=z9hG4bK1',
      'SIP/2.0/UDP b;branch=z9hG4bK2',
    ]);
    assert.deepEqual(
      h.entries().map(([n]) => n),
      ['Call-ID', 'Call-ID', 'Via'],
    );
  });

  it('SipHeaders set replaces every line in place and delete removes them', () => {
    const h = new SipHeaders([
      ['To', 'a'],
      ['Via', 'x'],
      ['Expires', '1'],
      ['via', 'y'],
    ]);
    h.set('v', 'z');
    assert.deepEqual(h.entries(), [
      ['To', 'a'],
      ['Via', 'z'],
      ['Expires', '1'],
    ]);
    h.delete('expires');
    assert.equal(h.has('Expires'), false);
  });

  it('SipHeaders keeps commas in WWW-Authenticate and quoted Contact display names', () => {
    const h = new SipHeaders([
      ['WWW-Authenticate', 'Digest realm="a", nonce="b"'],
      ['Contact', '"Bell, A" <sip:a@b>, <sip:c@d>'],
    ]);
    assert.deepEqual(h.getAll('www-authenticate'), ['Digest realm="a", nonce="b"']);
    assert.deepEqual(h.getAll('m'), ['"Bell, A" <sip:a@b>', '<sip:c@d>']);
  });

  it('SipHeaders refuses a value with a line break', () => {
    throwsCode(() => new SipHeaders().append('Subject', 'a\r\nVia: x'), errorCodes.SIP_MALFORMED);
  });
});

describe('Via, name-addr and CSeq', () => {
  it('parseVia reads sent-by, rport, received, branch and other parameters', () => {
    assert.deepEqual(parseVia('SIP/2.0/UDP 192.168.3.99:5060;rport;branch=z9hG4bK442003727'), {
      transport: 'UDP',
      host: '192.168.3.99',
      port: 5060,
      rport: true,
      branch: 'z9hG4bK442003727',
      params: {},
    });
    assert.deepEqual(parseVia('SIP/2.0/tcp [2001:db8::1];rport=5061;received=10.0.0.1;lr'), {
      transport: 'TCP',
      host: '[2001:db8::1]',
      rport: 5061,
      received: '10.0.0.1',
      params: { lr: true },
    });
  });

  it('formatVia writes what parseVia reads', () => {
    const value = 'SIP/2.0/UDP 10.0.0.2:5060;rport=5062;received=1.2.3.4;branch=z9hG4bKx;ttl=3';
    assert.equal(formatVia(parseVia(value)), value);
  });

  it('parseVia refuses a value without a SIP/2.0 protocol or with a bad rport', () => {
    throwsCode(() => parseVia('HTTP/1.1 host'), errorCodes.SIP_MALFORMED, /invalid Via/);
    throwsCode(() => parseVia('SIP/2.0/UDP host;rport=99999'), errorCodes.SIP_MALFORMED);
  });

  it('parseNameAddr reads quoted, token and absent display names and bare URIs', () => {
    assert.deepEqual(parseNameAddr('"34010000002000000001" <sip:10.77.37.137:5060>'), {
      displayName: '34010000002000000001',
      uri: 'sip:10.77.37.137:5060',
      host: '10.77.37.137',
      port: 5060,
      params: {},
    });
    assert.deepEqual(parseNameAddr('<sip:34020000001320000001@3402000000>;tag=307202390'), {
      uri: 'sip:34020000001320000001@3402000000',
      user: '34020000001320000001',
      host: '3402000000',
      tag: '307202390',
      params: {},
    });
    const bare = parseNameAddr('sip:user@example.com;tag=1;expires=60');
    assert.deepEqual(
      [bare.uri, bare.tag, bare.params],
      ['sip:user@example.com', '1', { expires: '60' }],
    );
  });

  it('formatNameAddr quotes the display name and writes the tag', () => {
    const value = formatNameAddr({ displayName: 'A "B"', uri: 'sip:a@b', tag: 'x', params: {} });
    assert.equal(value, '"A \\"B\\"" <sip:a@b>;tag=x');
    assert.equal(parseNameAddr(value).displayName, 'A "B"');
  });

  it('parseSipUri reads user, host, port and parameters', () => {
    assert.deepEqual(parseSipUri('sip:34020000001320000001@192.168.3.99:5060;transport=udp'), {
      scheme: 'sip',
      user: '34020000001320000001',
      host: '192.168.3.99',
      port: 5060,
      params: { transport: 'udp' },
    });
  });

  it('parseCSeq refuses sequence numbers from 2^31', () => {
    assert.deepEqual(parseCSeq('2147483647 INVITE'), { seq: 2147483647, method: 'INVITE' });
    throwsCode(
      () => parseCSeq('2147483648 INVITE'),
      errorCodes.SIP_MALFORMED,
      'Cannot parse SIP message: invalid CSeq: "2147483648 INVITE"',
    );
  });
});

describe('buildResponse', () => {
  const request = () => parseSipMessage(text(REGISTER)) as SipRequest;

  it('buildResponse copies Via, From, To, Call-ID and CSeq and fills rport and received', () => {
    const response = buildResponse(request(), 401, 'Unauthorized', {
      toTag: 'abc',
      source: { address: '10.1.2.3', port: 40000 },
      headers: [['WWW-Authenticate', 'Digest realm="3402000000", nonce="n"']],
    });
    assert.equal(
      decode(serializeSipMessage(response)),
      [
        'SIP/2.0 401 Unauthorized',
        'Via: SIP/2.0/UDP 192.168.3.99:5060;rport=40000;received=10.1.2.3;branch=z9hG4bK442003727',
        'From: <sip:34020000001320000001@3402000000>;tag=307202390',
        'To: <sip:34020000001320000001@3402000000>;tag=abc',
        'Call-ID: 393945367',
        'CSeq: 1 REGISTER',
        'WWW-Authenticate: Digest realm="3402000000", nonce="n"',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
  });

  it('buildResponse adds received without rport only where the source differs from sent-by', () => {
    const req = parseSipMessage(text(REGISTER.replace(';rport', ''))) as SipRequest;
    const same = buildResponse(req, 200, 'OK', { source: { address: '192.168.3.99', port: 5060 } });
    assert.equal(same.headers.get('Via'), 'SIP/2.0/UDP 192.168.3.99:5060;branch=z9hG4bK442003727');
    const nat = buildResponse(req, 200, 'OK', { source: { address: '1.2.3.4', port: 5060 } });
    assert.equal(
      nat.headers.get('Via'),
      'SIP/2.0/UDP 192.168.3.99:5060;received=1.2.3.4;branch=z9hG4bK442003727',
    );
  });

  it('buildResponse keeps every Via in order, an existing To tag, and the typed body', () => {
    const req = parseSipMessage(
      text(
        REGISTER.replace(
          'To: <sip:34020000001320000001@3402000000>',
          'To: <sip:a@b>;tag=t1\nVia: SIP/2.0/UDP proxy;branch=z9hG4bK2',
        ),
      ),
    ) as SipRequest;
    const body = new TextEncoder().encode('v=0\r\n');
    const response = buildResponse(req, 200, 'OK', {
      toTag: 'new',
      body,
      contentType: 'application/sdp',
    });
    assert.equal(response.headers.getAll('Via').length, 2);
    assert.equal(response.headers.get('To'), '<sip:a@b>;tag=t1');
    assert.equal(response.headers.get('Content-Type'), 'application/sdp');
    assert.deepEqual(parseSipMessage(serializeSipMessage(response)).body, body);
  });
});
