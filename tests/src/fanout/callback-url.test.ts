/**
 * The callback URL policy as specifications: private destinations are refused (SSRF) unless
 * the operator allows them, whichever way the address is spelled.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { checkCallbackUrl, privateRange } from '../../../src/fanout/callback-url.ts';
import { errorCodes, isArgusError } from '../../../src/errors.ts';

const strict = { allowPrivate: false };

function refusedAs(range: string) {
  return (error: unknown) => {
    assert.ok(isArgusError(error, errorCodes.VALIDATION), String(error));
    assert.match(error.message, /^Cannot accept callback_url: /);
    assert.ok(error.message.includes(`is a ${range} address`), error.message);
    return true;
  };
}

describe('checkCallbackUrl', () => {
  const refused: [string, string][] = [
    ['http://127.0.0.1:8080/hook', 'loopback'],
    ['http://127.8.9.10/hook', 'loopback'],
    ['http://2130706433/hook', 'loopback'],
    ['http://0x7f.1/hook', 'loopback'],
    ['http://localhost:3000/hook', 'loopback'],
    ['http://api.LOCALHOST./hook', 'loopback'],
    ['http://0.0.0.0/hook', 'unspecified'],
    ['http://10.1.2.3/hook', 'private'],
    ['http://172.16.0.1/hook', 'private'],
    ['http://172.31.255.255/hook', 'private'],
    ['http://192.168.1.20/hook', 'private'],
    ['http://100.64.0.1/hook', 'shared (CGNAT)'],
    ['http://169.254.169.254/latest/meta-data', 'link-local'],
    ['http://224.0.0.1/hook', 'multicast'],
    ['http://[::1]:8080/hook', 'loopback'],
    ['http://[::]/hook', 'unspecified'],
    ['http://[fe80::1]/hook', 'link-local'],
    ['http://[fd12:3456::1]/hook', 'unique local'],
    ['http://[::ffff:127.0.0.1]/hook', 'loopback'],
    ['http://[::ffff:10.0.0.1]/hook', 'private'],
    ['http://[64:ff9b::a9fe:a9fe]/hook', 'link-local'],
    ['http://[ff02::1]/hook', 'multicast'],
  ];
  for (const [url, range] of refused) {
    it(`checkCallbackUrl refuses ${url} as ${range}`, async () => {
      await assert.rejects(checkCallbackUrl(url, strict), refusedAs(range));
    });
  }

  const accepted = [
    'https://isv.example.com/argus/callback',
    'http://8.8.8.8:8080/hook',
    'http://172.32.0.1/hook',
    'http://[2606:4700::1111]/hook',
    'http://[::ffff:8.8.8.8]/hook',
  ];
  for (const url of accepted) {
    it(`checkCallbackUrl accepts the public ${url}`, async () => {
      assert.equal((await checkCallbackUrl(url, strict)).protocol.startsWith('http'), true);
    });
  }

  it('checkCallbackUrl accepts private destinations where the operator allows them', async () => {
    const url = await checkCallbackUrl('http://127.0.0.1:9/hook', { allowPrivate: true });
    assert.equal(url.hostname, '127.0.0.1');
  });

  it('checkCallbackUrl refuses a host name that resolves to a private address', async () => {
    const resolveHost = async (host: string) => (host === 'intranet.example' ? ['10.9.8.7'] : []);
    await assert.rejects(
      checkCallbackUrl('https://intranet.example/hook', { allowPrivate: false, resolveHost }),
      (error: unknown) => {
        assert.ok(isArgusError(error, errorCodes.VALIDATION));
        assert.match(error.message, /intranet\.example \(10\.9\.8\.7\) is a private address/);
        return true;
      },
    );
  });

  const malformed: [string, RegExp][] = [
    ['not a url', /not a URL/],
    ['ftp://isv.example.com/hook', /scheme ftp: is not http or https/],
    ['https://user:pw@isv.example.com/hook', /carries credentials/],
    [`https://isv.example.com/${'a'.repeat(240)}`, /longer than 256 characters/],
  ];
  for (const [url, reason] of malformed) {
    it(`checkCallbackUrl refuses ${url.slice(0, 40)} with VALIDATION`, async () => {
      await assert.rejects(checkCallbackUrl(url, { allowPrivate: true }), (error: unknown) => {
        assert.ok(isArgusError(error, errorCodes.VALIDATION));
        assert.match(error.message, reason);
        return true;
      });
    });
  }
});

describe('privateRange', () => {
  it('privateRange answers undefined for public addresses and names ranges otherwise', () => {
    assert.equal(privateRange('1.1.1.1'), undefined);
    assert.equal(privateRange('2001:4860::8888'), undefined);
    assert.equal(privateRange('192.0.0.8'), 'reserved');
    assert.equal(privateRange('198.18.0.1'), 'benchmarking');
    assert.equal(privateRange('2001:db8::1'), 'documentation');
    assert.equal(privateRange('not-an-address'), undefined);
  });
});
