/**
 * Browser module `wizard.js`: adding a GB/T 28181 device in three steps: the device's ID,
 * name and password; exactly what to type into the camera's GB/T 28181 page, under the
 * field names of its maker's web interface; then its registration as it happens.
 */
export const wizardJs = String.raw`
import { badge, clear, field, h } from './dom.js';
import { api } from './session.js';

// Field labels as the makers' web pages name them (common firmware; versions vary a little).
const vendors = {
  hikvision: {
    name: 'Hikvision',
    where: 'Configuration → Network → Advanced Settings → '
      + 'Platform Access (Platform Access Mode: GB28181)',
    labels: ['SIP Server ID', 'SIP Server Domain', 'SIP Server Address', 'SIP Server Port',
      'SIP User Name and SIP User Auth. ID', 'Password Authentication', 'Registration Validity',
      'Heartbeat Cycle', 'Max. Heartbeat Timeout'],
  },
  dahua: {
    name: 'Dahua',
    where: 'Setting → Network → Platform Access → GB28181 (Enable)',
    labels: ['SIP Server ID', 'SIP Domain', 'SIP Server IP', 'SIP Server Port', 'Device ID',
      'Registration Password', 'Registration Validity Period', 'Heartbeat Interval',
      'Max Heartbeat Timeout'],
  },
  huawei: {
    name: 'Huawei',
    where: 'Settings → Network → Platform Connection → GB/T 28181',
    labels: ['Server ID', 'Server Domain', 'Server IP', 'Server Port', 'Device ID', 'Password',
      'Registration Expiry', 'Keepalive Interval', 'Max. Keepalive Timeouts'],
  },
  uniview: {
    name: 'Uniview',
    where: 'Setup → Network → Management Server → GB/T28181',
    labels: ['Server ID', 'Server Domain', 'Server IP', 'Server Port', 'Device ID',
      'Registration Password', 'Expiration Time', 'Heartbeat Interval',
      'Max. Heartbeat Timeout Times'],
  },
};

// What the console recommends: a 20 s heartbeat notices a dead camera within a minute.
const registrationExpiryS = 3600;
const heartbeatS = 20;
const heartbeatMisses = 3;

export function openWizard(root, orgId, onAdded) {
  const dialog = h('dialog', { id: 'add-device-wizard', class: 'wizard',
    'aria-labelledby': 'wizard-title' });
  const close = () => {
    clearInterval(dialog.timer);
    dialog.close();
    dialog.remove();
    onAdded();
  };
  dialog.addEventListener('close', () => clearInterval(dialog.timer));
  root.append(dialog);
  stepDevice(dialog, orgId, close);
  dialog.showModal();
}

function stepDevice(dialog, orgId, close) {
  const vendor = h('select', { id: 'wizard-vendor' },
    Object.entries(vendors).map(([key, v]) => h('option', { value: key }, v.name)));
  const deviceId = h('input', { id: 'wizard-device-id', required: true, inputmode: 'numeric',
    pattern: '\\d{20}', maxlength: 20, placeholder: '34020000001320000001' });
  const name = h('input', { id: 'wizard-device-name', required: true, maxlength: 64 });
  const password = h('input', { id: 'wizard-password', required: true, maxlength: 64,
    value: randomPassword() });
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', {
    onsubmit: async (event) => {
      event.preventDefault();
      error.textContent = '';
      const device = {
        device_id: deviceId.value.trim(), device_name: name.value.trim(),
        device_password: password.value, device_org_id: orgId,
      };
      try {
        const answer = await api('POST', 'v1/{user_id}/devices/gb/batch-add',
          { devices: [device] });
        const item = answer.devices[0];
        if (item.result.code !== 'IVM.0') throw new Error(item.result.msg);
        stepCamera(dialog, vendors[vendor.value], item, device.device_password, close);
      } catch (failure) {
        error.textContent = 'Cannot add device: ' + failure.message;
      }
    },
  },
  field('Camera maker', vendor),
  field('Device ID (20 digits, type 131/132 for cameras, 111/118 for recorders)', deviceId),
  field('Name', name), field('Registration password', password), error,
  h('div', { class: 'actions' },
    h('button', { type: 'button', onclick: close }, 'Cancel'),
    h('button', { type: 'submit', class: 'primary', id: 'wizard-next' },
      'Add and show camera settings')));
  clear(dialog, h('h2', { id: 'wizard-title' }, 'Add a device · 1 of 3'), form);
}

function stepCamera(dialog, vendor, item, password, close) {
  const values = [item.sip_server_id, item.sip_server_domain, item.sip_server_host,
    String(item.sip_server_port), item.device_id, password, registrationExpiryS + ' s',
    heartbeatS + ' s', String(heartbeatMisses)];
  const rows = vendor.labels.map((label, i) => h('tr', {},
    h('th', { scope: 'row' }, label), h('td', { class: 'mono' }, values[i])));
  clear(dialog,
    h('h2', { id: 'wizard-title' }, 'Add a device · 2 of 3: type this into the camera'),
    h('p', {}, 'On the ' + vendor.name + ' web page: ' + vendor.where
      + '. Choose UDP or TCP as you like; channel IDs stay as the device numbers them.'),
    h('table', { class: 'camera-settings', id: 'camera-settings' }, h('tbody', {}, rows)),
    h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: close }, 'Close'),
      h('button', { type: 'button', class: 'primary', id: 'wizard-watch',
        onclick: () => stepWatch(dialog, item.device_id, close) },
        'Saved on the camera: watch it connect')));
}

function stepWatch(dialog, deviceId, close) {
  const state = h('span', { id: 'wizard-state' }, '…');
  const access = h('span', { id: 'wizard-access' }, '…');
  const reason = h('p', { id: 'wizard-reason', class: 'muted' });
  const poll = async () => {
    try {
      const d = await api('GET', 'v1/{user_id}/devices/' + deviceId);
      clear(state, badge(d.device_state));
      clear(access, badge(d.gb_access_state));
      reason.textContent = d.gb_access_reason || '';
    } catch (failure) {
      reason.textContent = 'Cannot read the device: ' + failure.message;
    }
  };
  clear(dialog,
    h('h2', { id: 'wizard-title' }, 'Add a device · 3 of 3: waiting for the camera'),
    h('p', {}, 'The camera registers within a few seconds of saving its settings.'),
    h('dl', { class: 'facts' },
      h('dt', {}, 'State'), h('dd', {}, state), h('dt', {}, 'Access'), h('dd', {}, access)),
    reason,
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'primary', id: 'wizard-done', onclick: close },
        'Done')));
  poll();
  dialog.timer = setInterval(poll, 2000);
}

function randomPassword() {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
`;
