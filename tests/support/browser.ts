import { existsSync } from 'node:fs';

import { chromium, type Browser } from 'playwright-core';

const chromiumPath = '/usr/bin/chromium';

export const chromiumMissing = existsSync(chromiumPath)
  ? false
  : 'Debian chromium is not installed (apt-get install chromium)';

/**
 * Debian's Chromium, headless, kept off every network but the loopback (TOOLCHAIN.md).
 * Playwright gives each launch a fresh, empty profile of its own.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
}
