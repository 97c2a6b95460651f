/**
 * Browser module `wall.js`: the live wall. 1, 4, 9 or 16 tiles; channels go into tiles by
 * drag and drop or by their "Add to wall" button (into the selected tile, else the first
 * free one); each tile plays its channel live, with sound on or off and a PTZ pad.
 */
export const wallJs = String.raw`
import { badge, clear, h } from './dom.js';
import { startPlayer } from './player.js';
import { ptzPad } from './ptz.js';
import { api } from './session.js';

// The wall outlives a visit to another page: its channels play again on return.
const wall = {
  size: 4, protocol: 'HTTP_FLV', streamType: 'PRIMARY_STREAM', channels: [], selected: 0 };
const dragType = 'application/x-argus-channel';

export function renderWall(root, params) {
  const grid = h('div', { class: 'wall-grid', id: 'wall-grid' });
  const tiles = [];
  const sizeSelect = select('wall-size', 'Tiles',
    [['1', '1'], ['4', '4'], ['9', '9'], ['16', '16']], String(wall.size), (v) => {
    wall.size = Number(v);
    layout();
  });
  const protocolSelect = select('wall-protocol', 'Protocol',
    [['HTTP_FLV', 'HTTP-FLV'], ['WS_FLV', 'WS-FLV'], ['HTTP_HLS', 'HLS']], wall.protocol, (v) => {
    wall.protocol = v;
    tiles.forEach((t) => t.replay());
  });
  const streamSelect = select('wall-stream', 'Stream',
    [['PRIMARY_STREAM', 'Main'], ['SECONDARY_STREAM', 'Sub']], wall.streamType, (v) => {
    wall.streamType = v;
    tiles.forEach((t) => t.replay());
  });
  const channelList = h('ul', { class: 'wall-channels', id: 'wall-channels' });
  const filter = h('input', { type: 'search', id: 'channel-search', placeholder: 'Search channels',
    'aria-label': 'Search channels',
    oninput: () => filterChannels(channelList, filter.value) });

  const put = (channel, index) => {
    wall.channels[index] = channel;
    tiles[index]?.play(channel);
  };
  const addToWall = (channel) => {
    let index = wall.selected;
    if (wall.channels[index]) {
      for (let i = 0; i < wall.size; i += 1) {
        if (!wall.channels[i]) { index = i; break; }
      }
    }
    put(channel, index);
    select_(Math.min(index + 1, wall.size - 1));
  };
  const select_ = (index) => {
    wall.selected = index;
    tiles.forEach((t, i) => t.element.classList.toggle('selected', i === index));
  };
  const layout = () => {
    const columns = Math.sqrt(wall.size);
    grid.style.setProperty('--columns', String(columns));
    grid.dataset.size = String(wall.size);
    while (tiles.length < wall.size) tiles.push(tile(tiles.length, put, select_));
    while (tiles.length > wall.size) tiles.pop().destroy();
    wall.channels.length = Math.min(wall.channels.length, wall.size);
    clear(grid, tiles.map((t) => t.element));
    tiles.forEach((t, i) => { if (wall.channels[i] && !t.channel) t.play(wall.channels[i]); });
    select_(Math.min(wall.selected, wall.size - 1));
  };

  clear(root, h('div', { class: 'wall-page' },
    h('aside', { class: 'card wall-side' }, h('h2', {}, 'Channels'), filter, channelList),
    h('section', { class: 'wall-main' },
      h('div', { class: 'toolbar wall-toolbar' }, sizeSelect, protocolSelect, streamSelect),
      grid)));
  layout();
  loadChannels(channelList, addToWall).then(() => {
    const add = params.get('add');
    if (!add) return;
    const [deviceId, channelId] = add.split(':');
    const item = channelList.querySelector(
      '[data-channel-id="' + channelId + '"][data-device-id="' + deviceId + '"]');
    addToWall({ deviceId, channelId, name: item?.dataset.name || channelId });
    history.replaceState(null, '', '#/wall');
  });
  return () => tiles.forEach((t) => t.destroy());
}

function select(id, label, options, value, onChange) {
  const el = h('select', { id, onchange: (e) => onChange(e.target.value) },
    options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
  return h('label', { class: 'inline' }, label + ' ', el);
}

async function loadChannels(list, addToWall) {
  try {
    const { devices } = await api('GET', 'v1/{user_id}/devices?limit=1000&offset=0');
    const groups = await Promise.all(devices.map(async (d) => {
      const { channels } = await api('GET',
        'v1/{user_id}/channels?limit=1000&offset=0&device_id=' + d.device_id);
      return h('li', { class: 'wall-device' },
        h('div', { class: 'wall-device-name' }, d.device_name, ' ', badge(d.device_state)),
        h('ul', {}, channels.map((c) => channelItem(d, c, addToWall))));
    }));
    clear(list, groups.length ? groups : h('li', { class: 'muted' }, 'No devices yet'));
  } catch (error) {
    clear(list, h('li', { class: 'error' }, 'Cannot list channels: ' + error.message));
  }
}

function channelItem(device, c, addToWall) {
  const channel = { deviceId: device.device_id, channelId: c.channel_id,
    name: c.channel_name || c.channel_id };
  return h('li', {
    class: 'channel', draggable: 'true',
    dataset: { deviceId: channel.deviceId, channelId: channel.channelId, name: channel.name },
    ondragstart: (e) => {
      e.dataTransfer.setData(dragType, JSON.stringify(channel));
      e.dataTransfer.effectAllowed = 'copy';
    },
  },
  h('span', { class: 'channel-name' }, channel.name), ' ', badge(c.channel_state),
  h('button', {
    type: 'button', class: 'add-to-wall', 'aria-label': 'Add ' + channel.name + ' to the wall',
    onclick: () => addToWall(channel) }, '+'));
}

function filterChannels(list, text) {
  const q = text.trim().toLowerCase();
  for (const item of list.querySelectorAll('li.channel')) {
    item.hidden = q !== '' && !(item.dataset.name.toLowerCase().includes(q)
      || item.dataset.channelId.includes(q));
  }
}

function tile(index, put, select_) {
  const video = h('video', { muted: true, autoplay: true, playsinline: true });
  video.muted = true;
  const title = h('span', { class: 'tile-title' }, 'Empty: drop a channel here');
  const status = h('p', { class: 'tile-status', role: 'status' });
  const audio = h('button', { type: 'button', class: 'audio', 'aria-pressed': 'false',
    title: 'Sound on/off', disabled: true }, 'Sound');
  const ptzButton = h('button', { type: 'button', class: 'ptz-toggle', 'aria-pressed': 'false',
    title: 'PTZ', disabled: true }, 'PTZ');
  const remove = h('button', { type: 'button', class: 'remove', title: 'Remove from the wall',
    'aria-label': 'Remove from the wall', disabled: true }, '×');
  const element = h('div', { class: 'tile', tabindex: 0, dataset: { tile: String(index) },
    'aria-label': 'Tile ' + (index + 1) },
    video, h('div', { class: 'tile-bar' }, title, audio, ptzButton, remove), status);
  const t = { element, channel: null, player: null, ptz: null };

  audio.onclick = () => {
    video.muted = !video.muted;
    audio.setAttribute('aria-pressed', String(!video.muted));
    audio.title = video.muted ? 'Sound is off' : 'Sound is on';
    video.play().catch(() => {});
  };
  ptzButton.onclick = () => {
    if (t.ptz) return closePtz();
    t.ptz = ptzPad(t.channel);
    element.append(t.ptz.element);
    ptzButton.setAttribute('aria-pressed', 'true');
  };
  const closePtz = () => {
    t.ptz?.release();
    t.ptz?.element.remove();
    t.ptz = null;
    ptzButton.setAttribute('aria-pressed', 'false');
  };
  const stop = () => {
    t.player?.destroy();
    t.player = null;
    closePtz();
  };
  remove.onclick = () => {
    stop();
    t.channel = null;
    put(null, index);
    title.textContent = 'Empty: drop a channel here';
    status.textContent = '';
    for (const b of [audio, ptzButton, remove]) b.disabled = true;
  };
  t.play = async (channel) => {
    if (!channel) return;
    stop();
    t.channel = channel;
    title.textContent = channel.name;
    status.textContent = 'Connecting…';
    for (const b of [audio, ptzButton, remove]) b.disabled = false;
    try {
      const url = await liveUrl(channel);
      if (t.channel !== channel) return;
      status.textContent = '';
      t.player = startPlayer(video, url, wall.protocol,
        (message) => { status.textContent = message; });
    } catch (error) {
      status.textContent = 'Cannot play: ' + error.message;
    }
  };
  t.replay = () => { if (t.channel) t.play(t.channel); };
  t.destroy = stop;

  element.addEventListener('click', () => select_(index));
  element.addEventListener('dragover', (e) => {
    if (!e.dataTransfer.types.includes(dragType)) return;
    e.preventDefault();
    element.classList.add('drop');
  });
  element.addEventListener('dragleave', () => element.classList.remove('drop'));
  element.addEventListener('drop', (e) => {
    e.preventDefault();
    element.classList.remove('drop');
    put(JSON.parse(e.dataTransfer.getData(dragType)), index);
  });
  return t;
}

async function liveUrl(channel) {
  const answer = await api('POST', 'v2/{user_id}/devices/channels/media/live-connections', {
    channels: [{ device_id: channel.deviceId, channel_id: channel.channelId,
      live_protocol: wall.protocol, stream_type: wall.streamType }],
  });
  const item = answer.channels[0];
  if (item.result.code !== 'IVM.0') throw new Error(item.result.msg);
  return item.cloud_trans_connections.live_url;
}
`;
