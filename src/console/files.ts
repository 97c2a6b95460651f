/** The files `/console/{name}` serves: the stylesheet and the browser modules, by name. */
import { alarmsJs } from './scripts/alarms.ts';
import { devicesJs } from './scripts/devices.ts';
import { domJs } from './scripts/dom.ts';
import { mainJs } from './scripts/main.ts';
import { playerJs } from './scripts/player.ts';
import { ptzJs } from './scripts/ptz.ts';
import { sessionJs } from './scripts/session.ts';
import { signInJs } from './scripts/sign-in.ts';
import { wallJs } from './scripts/wall.ts';
import { wizardJs } from './scripts/wizard.ts';
import { consoleCss } from './styles.ts';

export interface ConsoleFile {
  readonly body: string;
  readonly contentType: string;
}

const script = (body: string): ConsoleFile => ({
  body,
  contentType: 'text/javascript; charset=utf-8',
});

export const consoleFiles: Readonly<Record<string, ConsoleFile>> = {
  'console.css': { body: consoleCss, contentType: 'text/css; charset=utf-8' },
  'alarms.js': script(alarmsJs),
  'devices.js': script(devicesJs),
  'dom.js': script(domJs),
  'main.js': script(mainJs),
  'player.js': script(playerJs),
  'ptz.js': script(ptzJs),
  'session.js': script(sessionJs),
  'sign-in.js': script(signInJs),
  'wall.js': script(wallJs),
  'wizard.js': script(wizardJs),
};
