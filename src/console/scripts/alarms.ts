/**
 * Browser module `alarms.js`: the tenant's alarms, newest first, refreshed every few
 * seconds; alarms that arrived since the page opened are marked new.
 */
export const alarmsJs = String.raw`
import { clear, formatTime, h } from './dom.js';
import { api } from './session.js';

// GB/T 28181-2016 §A.2.5.4: AlarmMethod and AlarmPriority as numbers.
const methods = {
  1: 'phone', 2: 'device', 3: 'SMS', 4: 'GPS', 5: 'video', 6: 'device fault', 7: 'other' };
const priorities = { 1: '1 (highest)', 2: '2', 3: '3', 4: '4 (lowest)' };

export function renderAlarms(root) {
  const seen = new Set();
  let first = true;
  const rows = h('tbody', { id: 'alarm-rows' });
  const total = h('span', { id: 'alarm-total', class: 'muted' });
  const device = h('input', { id: 'alarm-device', type: 'search', inputmode: 'numeric',
    placeholder: 'Device ID', 'aria-label': 'Filter by device ID' });
  const message = h('p', { class: 'error', role: 'alert' });
  const load = async () => {
    const id = device.value.trim();
    if (id && !/^\d{20}$/.test(id)) return;
    try {
      const answer = await api('GET', 'v1/{user_id}/alarms?limit=100&offset=0'
        + (id ? '&device_id=' + id : ''));
      total.textContent = answer.total + ' alarms';
      clear(rows, answer.alarms.length
        ? answer.alarms.map((a) => alarmRow(a, !first && !seen.has(a.alarm_id))) :
        h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No alarms')));
      for (const a of answer.alarms) seen.add(a.alarm_id);
      first = false;
      message.textContent = '';
    } catch (error) {
      message.textContent = 'Cannot list alarms: ' + error.message;
    }
  };
  device.addEventListener('change', () => { first = true; seen.clear(); load(); });
  clear(root, h('section', { class: 'card alarms-page' },
    h('div', { class: 'toolbar' }, h('h2', {}, 'Alarms'), total, device),
    message,
    h('div', { class: 'table-scroll' }, h('table', { id: 'alarm-table' },
      h('thead', {}, h('tr', {},
        ['Time', 'Device', 'Channel', 'Priority', 'Method', 'Type / description']
          .map((t) => h('th', {}, t)))),
      rows))));
  load();
  const timer = setInterval(load, 3000);
  return () => clearInterval(timer);
}

function alarmRow(a, isNew) {
  return h('tr', { class: isNew ? 'alarm new' : 'alarm', dataset: { alarmId: a.alarm_id } },
    h('td', {}, formatTime(a.alarm_time)),
    h('td', { class: 'mono' }, a.device_id),
    h('td', { class: 'mono' }, a.channel_id || ''),
    h('td', {}, priorities[a.alarm_priority] || a.alarm_priority || ''),
    h('td', {}, methods[a.alarm_method] || a.alarm_method || ''),
    h('td', {}, [a.alarm_type, a.event_type, a.alarm_description].filter(Boolean).join(' · ')));
}
`;
