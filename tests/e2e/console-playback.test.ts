/**
 * The console's live wall plays a channel in a real browser (Debian's Chromium) over each
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

  /** A console page signed in with AK/SK, the device listed ONLINE, then a 1-tile wall. */
  async function openConsole(): Promise<{ page: Page; problems: string[] }> {
    const page = await browser!.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));

    await page.goto(`${platform.apiUrl}/`);
    await page.fill('#user-id', platform.userId);
    await page.fill('#ak', platform.ak);
    await page.fill('#sk', platform.sk);
    await page.click('#sign-in-enterprise button[type=submit]');
    await page.waitForSelector(`tr[data-device-id="${deviceId}"][data-state=ONLINE]`, {
      timeout: 15_000,
    });
    await page.click('nav a[href="#/wall"]');
    await page.selectOption('#wall-size', '1');
    return { page, problems };
  }

  /** Plays the channel over `protocol`; the picture's size and the time 2 s apart. */
  async function play(page: Page, protocol: string) {
    await page.selectOption('#wall-protocol', protocol);
    await page.click('li.channel button.add-to-wall');
    const player = '.tile[data-tile="0"] video';
    await page.waitForFunction(
      (selector) => (document.querySelector(selector) as HTMLVideoElement).videoWidth > 0,
      player,
      { timeout: 30_000 },
    );
    const video = () =>
      page.$eval(player, (element) => {
        const v = element as HTMLVideoElement;
        // Chromium counts the audio it decoded: the AAC track plays too.
        const audio = (v as HTMLVideoElement & { webkitAudioDecodedByteCount?: number })
          .webkitAudioDecodedByteCount;
        return { width: v.videoWidth, height: v.videoHeight, time: v.currentTime, audio };
      });
    const start = await video();
    await page.waitForTimeout(2500);
    const error = await page.textContent('.tile[data-tile="0"] .tile-status');
    return { start, later: await video(), error };
  }

  for (const [protocol, title] of [
    ['HTTP_FLV', 'signs in with AK/SK, lists the device and plays its channel over HTTP-FLV'],
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
