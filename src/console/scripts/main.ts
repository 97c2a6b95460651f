/**
 * Browser module `main.js`: the console's frame. Shows sign-in until there is a session,
 * then the page the location hash names (`#/devices`, `#/wall`, `#/alarms`); a session that
 * ends (sign-out, expiry, any 401) returns to sign-in with the reason.
 */
export const mainJs = String.raw`
import { renderAlarms } from './alarms.js';
import { renderDevices } from './devices.js';
import { clear, h } from './dom.js';
import { session, signOut } from './session.js';
import { renderSignIn } from './sign-in.js';
import { renderWall } from './wall.js';

const pages = {
  devices: ['Devices', renderDevices],
  wall: ['Live wall', renderWall],
  alarms: ['Alarms', renderAlarms],
};
const root = document.getElementById('app');
let dispose = () => {};

function show(message) {
  dispose();
  dispose = () => {};
  const who = session();
  if (!who) {
    document.body.dataset.page = 'sign-in';
    clear(document.getElementById('nav'));
    renderSignIn(root, message);
    return;
  }
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  const name = pages[path] ? path : 'devices';
  document.body.dataset.page = name;
  renderNav(name, who);
  const view = h('div', { class: 'view', id: 'view-' + name });
  clear(root, view);
  dispose = pages[name][1](view, new URLSearchParams(query || '')) || (() => {});
}

function renderNav(current, who) {
  clear(document.getElementById('nav'),
    h('nav', { 'aria-label': 'Pages' }, Object.entries(pages).map(([key, [label]]) =>
      h('a', { href: '#/' + key, 'aria-current': key === current ? 'page' : undefined }, label))),
    h('span', { class: 'who', id: 'who' },
      who.name + ' · ' + who.role.toLowerCase().replace('_', ' ')),
    h('button', { type: 'button', id: 'sign-out', onclick: signOut }, 'Sign out'));
}

addEventListener('hashchange', () => show());
addEventListener('argus:signed-in', () => show());
addEventListener('argus:signed-out', (event) => show(event.detail.message));
show();
`;
