/**
 * The console page plays a channel live in a real browser (Debian's Chromium) over each
 * protocol: HTTP-FLV and WS-FLV through mpegts.js, HLS through hls.js; H.264 with AAC.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { chromiumMissing, launchChromium } from '../support/browser.ts';
import { Platform } from '../support/platform.ts';
import type { RunningProcess } from '../support/processes.ts';
import { startOnlineCamera } from '../support/simulator.ts';

const deviceId = '34020000001320000005';

describe('console playback in Chromium', { skip: chromiumMissing }, () => {
  const platform = new Platform();
  let camera: RunningProcess | undefined;
  let browser: Browser | undefined;

  before(async () => {
    await platform.start();
    camera = await startOnlineCamera(platform, { deviceId, password: 'lobby-pw', name: 'Lobby' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await camera?.stop('SIGKILL');
    await platform.stop();
    platform.removeData();
  });

  /** A console page logged in with AK/SK, the device listed ONLINE. */
  async function openConsole(): Promise<{ page: Page; problems: string[] }> {
    const page = await browser!.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));

    await page.goto(`${platform.apiUrl}/`);
    await page.fill('#user-id', platform.userId);
    await page.fill('#ak', platform.ak);
    await page.fill('#sk', platform.sk);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('td.ONLINE', { timeout: 15_000 });
    return { page, problems };
  }

  /** Plays the channel over `protocol`; the picture's size and the time 2 s apart. */
  async function play(page: Page, protocol: string) {
    await page.selectOption('#protocol', protocol);
    await page.click('button.play');
    await page.waitForFunction(
      () => (document.getElementById('player') as HTMLVideoElement).videoWidth > 0,
      undefined,
      { timeout: 30_000 },
    );
    const video = () =>
      page.evaluate(() => {
        const v = document.getElementById('player') as HTMLVideoElement;
        // Chromium counts the audio it decoded: the AAC track plays too.
        const audio = (v as HTMLVideoElement & { webkitAudioDecodedByteCount?: number })
          .webkitAudioDecodedByteCount;
        return { width: v.videoWidth, height: v.videoHeight, time: v.currentTime, audio };
      });
    const start = await video();
    await page.waitForTimeout(2500);
    return { start, later: await video(), error: await page.textContent('#error') };
  }

  for (const [protocol, title] of [
    ['HTTP_FLV', 'logs in with AK/SK, lists the device and plays its channel over HTTP-FLV'],
    ['WS_FLV', 'plays the channel over WS-FLV (mpegts.js on a WebSocket)'],
    ['HTTP_HLS', 'plays the channel over HLS (hls.js, fMP4 segments)'],
  ] as const) {
    it(title, async () => {
      const { page, problems } = await openConsole();

      const { start, later, error } = await play(page, protocol);

      assert.deepEqual([start.width, start.height], [640, 360]);
      assert.ok(later.time > start.time, `currentTime ${start.time} → ${later.time}`);
      assert.ok((later.audio ?? 0) > 0, `audio bytes decoded: ${later.audio}`);
      assert.equal(error, '');
      assert.deepEqual(problems, []);
      await page.close();
    });
  }
});
