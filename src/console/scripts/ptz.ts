/**
 * Browser module `ptz.js`: the PTZ pad of a playing tile. The channel's control lock is
 * taken on first use and renewed by each move; while someone else holds it the pad says who
 * (the API's 409 names the holder and until when).
 */
export const ptzJs = String.raw`
import { h } from './dom.js';
import { api } from './session.js';

const pad = [
  ['UPPER_LEFT', '↖'], ['UP', '↑'], ['UPPER_RIGHT', '↗'],
  ['LEFT', '←'], ['STOP', '■'], ['RIGHT', '→'],
  ['LOWER_LEFT', '↙'], ['DOWN', '↓'], ['LOWER_RIGHT', '↘'],
];

export function ptzPad(channel) {
  const control = { lock: null, speed: 5 };
  const base = 'v1/{user_id}/devices/' + channel.deviceId + '/channels/' + channel.channelId;
  const status = h('p', { class: 'ptz-status', role: 'status' });

  const takeLock = async () => {
    const answer = await api('GET', base + '/control-lock');
    control.lock = answer.control_lock;
  };
  const send = async (direction) => {
    if (!control.lock) await takeLock();
    const body = () => ({ direction, speed: control.speed, control_lock: control.lock });
    try {
      await api('POST', base + '/ptz/angle-spin', body());
    } catch (error) {
      // A lock that expired or was released answers 409: take it again once.
      if (error.status !== 409) throw error;
      await takeLock();
      await api('POST', base + '/ptz/angle-spin', body());
    }
  };
  const move = (direction) => send(direction).then(
    () => {
      status.textContent = direction === 'STOP' || direction === 'ZOOM_STOP'
        ? '' : 'Moving ' + direction.toLowerCase().replace('_', ' ');
    },
    (error) => { status.textContent = error.message; },
  );
  const button = (direction, label, stop) => h('button', {
    type: 'button', class: 'ptz-' + direction.toLowerCase(),
    'aria-label': direction.toLowerCase().replace('_', ' '),
    dataset: { direction },
    onpointerdown: direction === 'STOP' ? undefined : () => move(direction),
    onpointerup: direction === 'STOP' ? undefined : () => move(stop),
    // Keyboard users press the button: a short move, then stop.
    onclick: (event) => {
      if (direction === 'STOP') return move('STOP');
      if (event.detail === 0) move(direction).then(() => setTimeout(() => move(stop), 500));
    },
  }, label);

  const speed = h('input', { type: 'range', min: 1, max: 10, value: 5, 'aria-label': 'PTZ speed',
    oninput: (e) => { control.speed = Number(e.target.value); } });
  const element = h('div', { class: 'ptz-pad' },
    h('div', { class: 'ptz-grid' }, pad.map(([d, label]) => button(d, label, 'STOP'))),
    h('div', { class: 'ptz-zoom' },
      button('IN', '+', 'ZOOM_STOP'), button('OUT', '−', 'ZOOM_STOP'), speed),
    status);
  return {
    element,
    release() {
      if (control.lock) api('DELETE', base + '/control-lock').catch(() => {});
      control.lock = null;
    },
  };
}
`;
