/**
 * The console in a real browser (Debian's Chromium) against the real platform: sign in with
 * AK/SK, add a device through the wizard (the simulator then registers as it), see it online
 * with its access state and DeviceInfo, fill a 4-tile wall with the camera's 4 channels
 * playing live, turn sound on, move PTZ (the simulator logs the command) and see who holds
 * a lock; sign-out, session expiry and a user's sign-in. Each page is saved as a screenshot
 * under test-artifacts/console/, at 1280×800 and at 390×844.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { chromiumMissing, launchChromium } from '../support/browser.ts';
import { Platform } from '../support/platform.ts';
import { eventually, repoRoot, type RunningProcess } from '../support/processes.ts';
import { isEvent, startSimulator } from '../support/simulator.ts';

const deviceId = '34020000001320000021';
const password = 'gate-cam-pw';
const artifacts = join(repoRoot, 'test-artifacts', 'console');
const desktop = { width: 1280, height: 800 };
const phone = { width: 390, height: 844 };

describe('console in Chromium', { skip: chromiumMissing }, () => {
  const platform = new Platform();
  let camera: RunningProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const problems: string[] = [];
  let nightOperator = '';

  before(async () => {
    mkdirSync(artifacts, { recursive: true });
    await platform.start();
    // Users first: the browser's sign-ins later take over the AK's token slots.
    nightOperator = await otherUserToken('night-operator');
    await otherUserToken('day-operator');
    browser = await launchChromium();
    page = await browser.newPage({ viewport: desktop });
    page.on('pageerror', (error) => problems.push(error.message));
  });
  after(async () => {
    await browser?.close();
    await camera?.stop('SIGKILL');
    await platform.stop();
    platform.removeData();
  });

  /** Saves the page at both widths; at the phone width nothing may scroll sideways. */
  async function screenshots(name: string) {
    await page.screenshot({ path: join(artifacts, `${name}-1280.png`) });
    await page.setViewportSize(phone);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    await page.screenshot({ path: join(artifacts, `${name}-390.png`), fullPage: true });
    await page.setViewportSize(desktop);
    assert.equal(overflow, 0, `${name} scrolls sideways by ${overflow} px at 390 px`);
  }

  it('signs in with AK/SK and shows the organisation tree', async () => {
    const org = await platform.call('POST', '/v1/{user_id}/device-orgs', {
      device_org_name: 'North gate',
      parent_org_id: '0',
    });
    assert.equal(org.status, 200, JSON.stringify(org.json));
    await page.goto(`${platform.apiUrl}/`);
    await screenshots('sign-in');
    await page.fill('#user-id', platform.userId);
    await page.fill('#ak', platform.ak);
    await page.fill('#sk', platform.sk);
    await page.click('#sign-in-enterprise button[type=submit]');

    await page.waitForSelector('#org-tree [data-org-id="0"]');
    assert.match((await page.textContent('#who')) ?? '', /TESTAK/);

    await page.fill('#org-search', 'north');
    await page.waitForSelector('#org-tree button:has-text("North gate")');
    await page.fill('#org-search', 'south');
    await page.waitForSelector('#org-tree button:has-text("North gate")', { state: 'detached' });
    await page.fill('#org-search', '');
    await screenshots('devices-empty');
  });

  it('adds a device by the wizard: it shows the camera settings and its registration', async () => {
    await page.click('#add-device');
    await page.selectOption('#wizard-vendor', 'hikvision');
    await page.fill('#wizard-device-id', deviceId);
    await page.fill('#wizard-device-name', 'Gate');
    await page.fill('#wizard-password', password);
    await page.click('#wizard-next');

    const settings = await page.waitForSelector('#camera-settings');
    const rows = await settings.$$eval('tr', (trs) =>
      trs.map((tr) => [tr.querySelector('th')?.textContent, tr.querySelector('td')?.textContent]),
    );
    assert.deepEqual(rows, [
      ['SIP Server ID', '34020000002000000001'],
      ['SIP Server Domain', '3402000000'],
      ['SIP Server Address', '127.0.0.1'],
      ['SIP Server Port', String(platform.sipPort)],
      ['SIP User Name and SIP User Auth. ID', deviceId],
      ['Password Authentication', password],
      ['Registration Validity', '3600 s'],
      ['Heartbeat Cycle', '20 s'],
      ['Max. Heartbeat Timeout', '3'],
    ]);
    await screenshots('wizard-settings');

    await page.click('#wizard-watch');
    await page.waitForSelector('#wizard-state .state-unregistered');
    camera = startSimulator({ sipPort: platform.sipPort, deviceId, password, channels: 4 });
    await camera.waitFor(isEvent('registered'));
    await page.waitForSelector('#wizard-state .state-online', { timeout: 15_000 });
    await page.waitForSelector('#wizard-access .state-connected');
    await screenshots('wizard-online');
    await page.click('#wizard-done');
  });

  it('lists the device online with its access state, its channels and its DeviceInfo', async () => {
    const row = `tr[data-device-id="${deviceId}"][data-state=ONLINE][data-access=CONNECTED]`;
    await page.waitForSelector(row, { timeout: 10_000 });
    await page.click(`${row} button.link`);
    await page.waitForFunction(
      () => document.querySelectorAll('#device-detail .channel-list li').length === 4,
    );
    await page.click('#ask-device-info');
    await page.waitForSelector('#device-info dl');
    const info = (await page.textContent('#device-info')) ?? '';
    assert.match(info, /Manufacturer/);
    assert.doesNotMatch(info, /Cannot/);
    await screenshots('device-detail');

    await page.fill('#device-search', 'no such camera');
    await page.waitForSelector('#device-rows .muted');
    await page.fill('#device-search', 'Gat');
    await page.waitForSelector(row);
  });

  it('plays 4 channels live on a 4-tile wall, put there by drag and drop or keyboard', async () => {
    await page.click('nav a[href="#/wall"]');
    await page.selectOption('#wall-size', '4');
    await page.waitForFunction(() => document.querySelectorAll('li.channel').length === 4);

    const channels = page.locator('li.channel');
    await channels.nth(0).dragTo(page.locator('.tile[data-tile="0"]'));
    await channels.nth(1).locator('button.add-to-wall').click();
    await channels.nth(2).locator('button.add-to-wall').focus();
    await page.keyboard.press('Enter');
    await channels.nth(3).locator('button.add-to-wall').click();

    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('.tile video')].every(
          (v) => (v as HTMLVideoElement).videoWidth > 0,
        ),
      undefined,
      { timeout: 40_000 },
    );
    const times = () =>
      page.$$eval('.tile video', (vs) => vs.map((v) => (v as HTMLVideoElement).currentTime));
    const start = await times();
    await page.waitForFunction(
      (before) =>
        [...document.querySelectorAll('.tile video')].every(
          (v, i) => (v as HTMLVideoElement).currentTime > (before[i] ?? 0),
        ),
      start,
      { timeout: 15_000 },
    );
    const titles = await page.$$eval('.tile .tile-title', (ts) => ts.map((t) => t.textContent));
    assert.equal(new Set(titles).size, 4, `four different channels: ${titles.join(', ')}`);
    assert.deepEqual(
      await page.$$eval('.tile video', (vs) => vs.map((v) => (v as HTMLVideoElement).videoWidth)),
      [640, 640, 640, 640],
    );

    await page.click('.tile[data-tile="0"] button.audio');
    assert.equal(
      await page.$eval('.tile[data-tile="0"] video', (v) => (v as HTMLVideoElement).muted),
      false,
    );
    await screenshots('wall-4');
  });

  it('moves PTZ from a tile, and names the holder of a lock taken by someone else', async () => {
    await page.click('.tile[data-tile="0"] button.ptz-toggle');
    await page.click('.tile[data-tile="0"] .ptz-pad button[data-direction="LEFT"]');
    await camera!.waitFor((l) => l['event'] === 'ptz' && l['direction'] === 'LEFT', 10_000);
    await camera!.waitFor((l) => l['event'] === 'ptz' && l['direction'] === 'STOP', 10_000);
    await screenshots('wall-ptz');

    const channelId = await page.$eval(
      'li.channel:nth-of-type(2)',
      (li) => (li as HTMLElement).dataset['channelId'],
    );
    const tile = await page.$eval(
      `li.channel[data-channel-id="${channelId}"]`,
      (li) => (li as HTMLElement).dataset['name'],
    );
    const taken = await platform.request(
      'GET',
      `/v1/${platform.userId}/devices/${deviceId}/channels/${channelId}/control-lock`,
      undefined,
      { 'Access-Token': nightOperator },
    );
    assert.equal(taken.status, 200, JSON.stringify(taken.json));
    const index = await page.$$eval(
      '.tile .tile-title',
      (ts, name) => ts.findIndex((t) => t.textContent === name),
      tile,
    );
    const other = `.tile[data-tile="${index}"]`;
    await page.click(`${other} button.ptz-toggle`);
    await page.click(`${other} .ptz-pad button[data-direction="UP"]`);
    await page.waitForSelector(`${other} .ptz-status:has-text("locked by night-operator")`);
  });

  it('shows the alarms page', async () => {
    await page.click('nav a[href="#/alarms"]');
    await page.waitForSelector('#alarm-total');
    await screenshots('alarms');
  });

  it('signs out, and returns to sign-in with a message once the session is invalid', async () => {
    await page.click('#sign-out');
    await page.waitForSelector('#sign-in-enterprise');

    await page.fill('#user-id', platform.userId);
    await page.fill('#ak', platform.ak);
    await page.fill('#sk', platform.sk);
    await page.click('#sign-in-enterprise button[type=submit]');
    await page.waitForSelector('#view-alarms');
    await page.evaluate(() => {
      const session = JSON.parse(sessionStorage.getItem('argus.session') ?? '{}');
      sessionStorage.setItem('argus.session', JSON.stringify({ ...session, token: 'expired' }));
    });
    await page.reload();
    await page.waitForSelector('#sign-in-error:has-text("Your session has ended")');
  });

  it('signs a user in with login name and password', async () => {
    await page.click('#tab-user');
    await page.fill('#login-name', 'day-operator');
    await page.fill('#password', 'console-password-1');
    await page.click('#sign-in-user button[type=submit]');
    await page.waitForSelector('#who');
    assert.match((await page.textContent('#who')) ?? '', /day-operator · department manager/);
    assert.deepEqual(problems, []);
  });

  /** Creates a department manager at the root and logs it in through the API. */
  async function otherUserToken(loginName: string): Promise<string> {
    const created = await platform.call('POST', '/v1/{user_id}/users', {
      login_name: loginName,
      password: 'console-password-1',
      name: loginName,
      role: 'DEPARTMENT_MANAGER',
      device_org_id: '0',
    });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    return eventually(
      async () => {
        const { status, json } = await platform.request('POST', '/v2/users/access-token', {
          login_name: loginName,
          password: 'console-password-1',
        });
        return status === 200 ? (json.access_token as string) : undefined;
      },
      10_000,
      `${loginName} logged in`,
    );
  }
});
