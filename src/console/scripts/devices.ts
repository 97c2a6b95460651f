/**
 * Browser module `devices.js`: the organisation tree with search, the devices of the chosen
 * organisation (and below) with their state and GB/T 28181 access state and reason, and the
 * detail of a device: its channels, and what the device says it is (DeviceInfo).
 */
export const devicesJs = String.raw`
import { badge, clear, formatTime, h } from './dom.js';
import { api } from './session.js';
import { openWizard } from './wizard.js';

export function renderDevices(root) {
  const view = { orgId: '0', orgName: 'All devices', selected: null, timer: 0 };
  const tree = h('ul', { class: 'tree', id: 'org-tree', role: 'tree' });
  const orgSearch = h('input', { id: 'org-search', type: 'search',
    placeholder: 'Search organisations', 'aria-label': 'Search organisations' });
  const deviceSearch = h('input', { id: 'device-search', type: 'search',
    placeholder: 'Search devices', 'aria-label': 'Search devices' });
  const title = h('h2', { id: 'org-title' }, view.orgName);
  const rows = h('tbody', { id: 'device-rows' });
  const detail = h('section', { class: 'card detail', id: 'device-detail', hidden: true });
  const message = h('p', { class: 'error', role: 'alert' });

  const loadTree = async () => {
    try {
      const q = orgSearch.value.trim();
      const answer = await api('GET', 'v1/{user_id}/device-orgs/tree'
        + (q ? '?device_org_name=' + encodeURIComponent(q) : ''));
      // The tree lists what lies below the root: the root is the whole tenant.
      const root = { device_org_id: '0', device_org_name: 'All devices',
        children: answer.device_orgs };
      clear(tree, treeNode(root, view, choose));
    } catch (error) {
      message.textContent = 'Cannot list organisations: ' + error.message;
    }
  };
  const loadDevices = async () => {
    try {
      const devices = await listDevices(view.orgId, deviceSearch.value.trim());
      clear(rows, devices.length ? devices.map((d) => deviceRow(d, view, showDetail)) :
        h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'No devices here yet: add one')));
      message.textContent = '';
    } catch (error) {
      message.textContent = 'Cannot list devices: ' + error.message;
    }
  };
  const choose = (node) => {
    view.orgId = node.device_org_id;
    view.orgName = node.device_org_name;
    title.textContent = node.device_org_name;
    for (const b of tree.querySelectorAll('[aria-current]')) b.removeAttribute('aria-current');
    tree.querySelector('[data-org-id="' + node.device_org_id + '"]')
      ?.setAttribute('aria-current', 'true');
    loadDevices();
  };
  const showDetail = (deviceId) => {
    view.selected = deviceId;
    renderDetail(detail, deviceId);
  };

  orgSearch.addEventListener('input', debounce(loadTree));
  deviceSearch.addEventListener('input', debounce(loadDevices));
  clear(root, h('div', { class: 'devices-page' },
    h('aside', { class: 'card org-pane' }, h('h2', {}, 'Organisations'), orgSearch, tree),
    h('section', { class: 'card device-pane' },
      h('div', { class: 'toolbar' }, title, deviceSearch,
        h('button', { id: 'add-device', class: 'primary',
          onclick: () => openWizard(root, view.orgId, loadDevices) }, 'Add device')),
      message,
      h('div', { class: 'table-scroll' }, h('table', { id: 'device-table' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Device'), h('th', {}, 'State'),
          h('th', {}, 'Access'), h('th', {}, 'Channels'))),
        rows))),
    detail));
  loadTree();
  loadDevices();
  view.timer = setInterval(loadDevices, 4000);
  return () => clearInterval(view.timer);
}

async function listDevices(orgId, name) {
  const query = '?include_sub_orgs=true&limit=100&offset=0'
    + (name ? '&device_name=' + encodeURIComponent(name) : '');
  const { devices } = await api('GET', 'v1/{user_id}/device-orgs/' + orgId + '/devices' + query);
  // The list has no access state: each device's detail says why it is (not) connected.
  return Promise.all(devices.map((d) =>
    api('GET', 'v1/{user_id}/devices/' + d.device_id).catch(() => d)));
}

function treeNode(node, view, choose) {
  const button = h('button', {
    type: 'button', class: 'tree-node', dataset: { orgId: node.device_org_id },
    'aria-current': node.device_org_id === view.orgId ? 'true' : undefined,
    onclick: () => choose(node),
  }, node.device_org_name);
  const children = node.children || [];
  return h('li', { role: 'treeitem' }, button,
    children.length
      ? h('ul', { role: 'group' }, children.map((c) => treeNode(c, view, choose)))
      : null);
}

function deviceRow(device, view, showDetail) {
  const access = device.gb_access_state;
  return h('tr', {
    class: 'device-row' + (view.selected === device.device_id ? ' selected' : ''),
    dataset: { deviceId: device.device_id, state: device.device_state, access: access || '' },
  },
  h('td', {},
    h('button', { type: 'button', class: 'link', onclick: () => showDetail(device.device_id) },
      device.device_name),
    h('div', { class: 'muted mono' }, device.device_id)),
  h('td', {}, badge(device.device_state)),
  h('td', {}, access ? badge(access) : '',
    h('div', { class: 'muted reason' }, device.gb_access_reason || '')),
  h('td', {}, String(device.channel_total)));
}

export async function renderDetail(detail, deviceId) {
  detail.hidden = false;
  clear(detail, h('p', { class: 'muted' }, 'Loading ' + deviceId + '…'));
  try {
    const [device, { channels }] = await Promise.all([
      api('GET', 'v1/{user_id}/devices/' + deviceId),
      api('GET', 'v1/{user_id}/channels?limit=1000&offset=0&device_id=' + deviceId),
    ]);
    const info = h('div', { id: 'device-info' });
    const channelInfo = h('div', { id: 'channel-detail' });
    clear(detail,
      h('div', { class: 'toolbar' }, h('h2', {}, device.device_name),
        h('button', { type: 'button', onclick: () => { detail.hidden = true; } ,
          'aria-label': 'Close detail' }, '×')),
      facts([
        ['Device ID', device.device_id], ['State', badge(device.device_state)],
        ['Access', badge(device.gb_access_state)], ['Reason', device.gb_access_reason],
        ['Last attempt', formatTime(device.gb_last_attempt_time)],
        ['Locked until', formatTime(device.gb_locked_until_time)],
        ['Organisation', device.device_org_id], ['Description', device.description],
        ['Added', formatTime(device.create_time)],
        ['State changed', formatTime(device.state_changed_time)],
      ]),
      h('button', { type: 'button', id: 'ask-device-info',
        onclick: () => askDeviceInfo(info, deviceId) }, 'Ask the device (DeviceInfo)'),
      info,
      h('h3', {}, 'Channels'),
      h('ul', { class: 'channel-list' }, channels.map((c) =>
        h('li', { dataset: { channelId: c.channel_id } },
        h('button', { type: 'button', class: 'link',
          onclick: () => showChannel(channelInfo, deviceId, c.channel_id) }, c.channel_name),
        ' ', badge(c.channel_state), ' ',
        h('a', { href: '#/wall?add=' + deviceId + ':' + c.channel_id, class: 'button' },
          'Watch')))),
      channelInfo);
  } catch (error) {
    clear(detail, h('p', { class: 'error' }, 'Cannot show device: ' + error.message));
  }
}

async function askDeviceInfo(target, deviceId) {
  clear(target, h('p', { class: 'muted' }, 'Asking the device…'));
  try {
    const i = await api('GET', 'v1/{user_id}/devices/' + deviceId + '/device-info');
    clear(target, facts([
      ['Name', i.device_name], ['Manufacturer', i.manufacturer], ['Model', i.model],
      ['Firmware', i.firmware], ['Channels', i.channel_num], ['Result', i.result],
    ]));
  } catch (error) {
    clear(target, h('p', { class: 'error' }, 'Cannot ask the device: ' + error.message));
  }
}

async function showChannel(target, deviceId, channelId) {
  try {
    const c = await api('GET', 'v1/{user_id}/devices/' + deviceId + '/channels/' + channelId);
    clear(target, h('h3', {}, 'Channel ' + (c.channel_name || channelId)),
      facts(Object.entries(c).map(([k, v]) =>
        [k.replaceAll('_', ' '), typeof v === 'object' && v !== null ? JSON.stringify(v) : v])));
  } catch (error) {
    clear(target, h('p', { class: 'error' }, 'Cannot show channel: ' + error.message));
  }
}

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.flatMap(([k, v]) =>
    [h('dt', {}, k), h('dd', {}, v === null || v === undefined || v === '' ? '—' : v)]));
}

function debounce(fn) {
  let timer;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, 250);
  };
}
`;
