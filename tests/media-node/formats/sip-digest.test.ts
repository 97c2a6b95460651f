import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { fuzzRuns } from '../../support/fuzz.ts';

import { errorCodes, isArgusError } from '../../../src/errors.ts';
import {
  buildChallenge,
  computeDigestResponse,
  formatAuthorization,
  parseAuthorization,
  parseChallenge,
  verifyDigest,
} from '../../../media-node/formats/sip-digest.ts';
import { parseSipMessage } from '../../../media-node/formats/sip-message.ts';
import type { SipRequest } from '../../../media-node/formats/sip-message.ts';
import { readFixture, skipWithoutFixture } from '../../support/fixtures.ts';

const REG_AUTH = 'public/gb28181-solution-sip/reg-auth.transcript.txt';

/** The REGISTERs carrying Authorization in the eXosip capture's transcript. */
function authorizedRegisters(): SipRequest[] {
  const raw = new TextDecoder('latin1').decode(readFixture(REG_AUTH) ?? new Uint8Array());
  const frames = raw.split(/^=== frame .*===\n/m).slice(1);
  return frames
    .map((f) => parseSipMessage(new Uint8Array(Buffer.from(f.replace(/\n$/, ''), 'latin1'))))
    .filter((m): m is SipRequest => m.kind === 'request' && m.headers.has('Authorization'));
}

function throwsMalformed(fn: () => unknown, message?: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isArgusError(error, errorCodes.SIP_MALFORMED), String(error));
    if (message !== undefined) assert.equal(error.message, message);
    return true;
  });
}

describe(
  'verifyDigest on an eXosip device registration',
  { skip: skipWithoutFixture(REG_AUTH) },
  () => {
    it('verifyDigest accepts the device password 12345678 and refuses another', () => {
      const registers = authorizedRegisters();
      assert.equal(registers.length, 2);
      for (const register of registers) {
        const credentials = parseAuthorization(register.headers.get('Authorization') ?? '');
        assert.equal(credentials.username, '34010000001310000001');
        assert.equal(verifyDigest(credentials, register.method, '12345678'), true);
        assert.equal(verifyDigest(credentials, register.method, '12345679'), false);
        assert.equal(verifyDigest(credentials, 'INVITE', '12345678'), false);
      }
    });
  },
);

describe('sip-digest', () => {
  const exosip = {
    username: '34010000001310000001',
    realm: '3401000000',
    nonce: '9450c474d1150064',
    uri: 'sip:34010000002000000001@192.168.230.53:5060',
    algorithm: 'MD5',
  };

  it('computeDigestResponse gives the RFC 7616 §3.9.1 answers for MD5 and SHA-256', () => {
    const fields = {
      username: 'Mufasa',
      realm: 'http-auth@example.org',
      nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
      uri: '/dir/index.html',
      qop: 'auth',
      nc: '00000001',
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    };
    const md5 = computeDigestResponse({ ...fields, algorithm: 'MD5' }, 'GET', 'Circle of Life');
    assert.equal(md5, '8ca523f5e9506fed4657c9700eebdbec');
    const sha = { ...fields, algorithm: 'SHA-256' };
    const response = computeDigestResponse(sha, 'GET', 'Circle of Life');
    assert.equal(response, '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    assert.equal(verifyDigest({ ...sha, response }, 'GET', 'Circle of Life', 'SHA-256'), true);
    assert.equal(verifyDigest({ ...sha, response }, 'GET', 'Circle of Life'), false, 'MD5 wanted');
  });

  it('computeDigestResponse refuses an algorithm it does not compute', () => {
    assert.throws(
      () => computeDigestResponse({ ...exosip, algorithm: 'MD5-sess' }, 'REGISTER', 'x'),
      (error: unknown) => isArgusError(error, errorCodes.SIP_MALFORMED),
    );
  });

  it('computeDigestResponse gives the known answer without qop', () => {
    assert.equal(
      computeDigestResponse(exosip, 'REGISTER', '12345678'),
      '1dae2e01c1b83b2a156dd94d86ff9c08',
    );
  });

  it('computeDigestResponse gives the RFC 2617 §3.5 answer with qop=auth', () => {
    const fields = {
      username: 'Mufasa',
      realm: 'testrealm@host.com',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      uri: '/dir/index.html',
      qop: 'auth',
      nc: '00000001',
      cnonce: '0a4f113b',
    };
    const response = computeDigestResponse(fields, 'GET', 'Circle Of Life');
    assert.equal(response, '6629fae49393a05397450978507c4ef1');
    assert.equal(verifyDigest({ ...fields, response }, 'GET', 'Circle Of Life'), true);
    assert.equal(
      verifyDigest({ ...fields, response: response.toUpperCase() }, 'GET', 'Circle Of Life'),
      true,
    );
  });

  it('verifyDigest refuses other algorithms, auth-int, qop without cnonce, short responses', () => {
    const response = computeDigestResponse(exosip, 'REGISTER', '12345678');
    const ok = { ...exosip, response };
    assert.equal(verifyDigest({ ...ok, algorithm: 'SHA-256' }, 'REGISTER', '12345678'), false);
    assert.equal(
      verifyDigest({ ...ok, qop: 'auth-int', nc: '1', cnonce: 'x' }, 'REGISTER', '12345678'),
      false,
    );
    assert.equal(verifyDigest({ ...ok, qop: 'auth' }, 'REGISTER', '12345678'), false);
    assert.equal(
      verifyDigest({ ...ok, response: response.slice(1) }, 'REGISTER', '12345678'),
      false,
    );
  });

  it('formatAuthorization writes what parseAuthorization reads, with and without qop', () => {
    const response = computeDigestResponse(exosip, 'REGISTER', '12345678');
    const plain = { ...exosip, response };
    assert.deepEqual(parseAuthorization(formatAuthorization(plain)), plain);
    const withQop = { ...plain, qop: 'auth', nc: '00000001', cnonce: 'abc', opaque: 'o"q' };
    assert.deepEqual(parseAuthorization(formatAuthorization(withQop)), withQop);
  });

  it('buildChallenge writes a challenge parseChallenge reads, qop only where asked', () => {
    const plain = buildChallenge('3402000000', 'n1');
    assert.equal(plain, 'Digest realm="3402000000", nonce="n1", algorithm=MD5');
    assert.deepEqual(parseChallenge(plain), { realm: '3402000000', nonce: 'n1', algorithm: 'MD5' });
    const withQop = parseChallenge(
      buildChallenge('r', 'n', { qop: true, opaque: 'o', stale: true }),
    );
    assert.deepEqual(withQop, {
      realm: 'r',
      nonce: 'n',
      algorithm: 'MD5',
      qop: ['auth'],
      opaque: 'o',
      stale: true,
    });
  });

  it('parseChallenge reads the eXosip platform challenge without algorithm', () => {
    assert.deepEqual(parseChallenge('Digest realm="3401000000",nonce="9450c474d1150064"'), {
      realm: '3401000000',
      nonce: '9450c474d1150064',
    });
    assert.deepEqual(parseChallenge('Digest realm="a", qop="auth,auth-int", nonce="b"').qop, [
      'auth',
      'auth-int',
    ]);
  });

  it('parseAuthorization refuses another scheme and names a missing field', () => {
    throwsMalformed(() => parseAuthorization('NoOneKnowsThisScheme opaque-data=here'));
    throwsMalformed(
      () => parseAuthorization('Digest username="a", realm="b", uri="c", response="d"'),
      'Cannot parse Authorization: missing nonce',
    );
    throwsMalformed(
      () => parseAuthorization('Digest username="a'),
      'Cannot parse Authorization: unterminated quoted string',
    );
  });

  it('parseAuthorization throws only ArgusError on random input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (tail) => {
        try {
          parseAuthorization(`Digest ${tail}`);
        } catch (error) {
          return isArgusError(error, errorCodes.SIP_MALFORMED);
        }
        return true;
      }),
      { numRuns: fuzzRuns(2000) },
    );
  });
});
