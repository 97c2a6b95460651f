/**
 * The minimal console: log in with the enterprise's user ID and AK/SK, see devices and
 * channels with their states, play a channel live over the protocol chosen: HTTP-FLV and
 * WS-FLV through mpegts.js, HLS through hls.js (or the browser's own HLS where it has one).
 */
export const consolePage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Argus</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 0; color: #1d2330; background: #f4f5f7; }
  header { background: #1d2330; color: #fff; padding: 10px 20px; font-weight: 600; }
  main { display: grid; grid-template-columns: 380px 1fr; gap: 16px; padding: 16px; }
  section { background: #fff; border-radius: 6px; padding: 12px 16px; }
  label { display: block; margin: 6px 0 2px; }
  input { width: 100%; box-sizing: border-box; padding: 6px; }
  button { margin-top: 8px; padding: 6px 12px; cursor: pointer; }
  table { width: 100%; border-collapse: collapse; }
  td, th { text-align: left; padding: 4px; border-bottom: 1px solid #e3e5ea; }
  .ONLINE { color: #0a7d36; } .OFFLINE { color: #b42318; } .UNREGISTERED { color: #777; }
  video { width: 100%; background: #000; aspect-ratio: 16 / 9; }
  #error { color: #b42318; min-height: 1em; }
  .controls { display: flex; gap: 8px; align-items: center; margin-bottom: 8px; }
  .controls label { display: inline; margin: 0; }
</style>
</head>
<body>
<header>Argus</header>
<main>
  <div>
    <section id="login">
      <form id="login-form">
        <label for="user-id">User ID</label><input id="user-id" required>
        <label for="ak">AK</label><input id="ak" required>
        <label for="sk">SK</label><input id="sk" type="password" required>
        <button type="submit">Log in</button>
      </form>
    </section>
    <section>
      <h3>Devices</h3>
      <table><thead><tr><th>Device</th><th>State</th><th>Channels</th></tr></thead>
      <tbody id="devices"></tbody></table>
    </section>
  </div>
  <section>
    <p id="error"></p>
    <div class="controls">
      <label for="protocol">Protocol</label>
      <select id="protocol">
        <option value="HTTP_FLV">HTTP-FLV</option>
        <option value="WS_FLV">WS-FLV</option>
        <option value="HTTP_HLS">HLS</option>
      </select>
    </div>
    <video id="player" muted autoplay playsinline controls></video>
    <p id="now-playing"></p>
  </section>
</main>
<script src="/assets/mpegts.js"></script>
<script src="/assets/hls.js"></script>
<script>
  const state = {
    userId: sessionStorage.getItem('argus.userId'),
    token: sessionStorage.getItem('argus.token'),
    player: null,
  };
  const $ = (id) => document.getElementById(id);
  const showError = (text) => { $('error').textContent = text || ''; };

  async function api(method, path, body) {
    const response = await fetch('/' + path.replace('{user_id}', state.userId), {
      method,
      headers: { 'Content-Type': 'application/json', 'Access-Token': state.token || '' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json();
    if (!response.ok) throw new Error(json.error_msg || response.statusText);
    return json;
  }

  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    state.userId = $('user-id').value.trim();
    try {
      const res = await api('POST', 'v2/{user_id}/enterprises/access-token', {
        ak: $('ak').value.trim(),
        sk: $('sk').value,
        // A person logging in takes over from the oldest of the pair's 2 live tokens.
        force_update: true,
      });
      state.token = res.access_token;
      sessionStorage.setItem('argus.userId', state.userId);
      sessionStorage.setItem('argus.token', state.token);
      showError('');
      refresh();
    } catch (error) { showError(error.message); }
  });

  async function refresh() {
    if (!state.token) return;
    try {
      const { devices } = await api('GET', 'v1/{user_id}/devices?limit=100');
      const rows = await Promise.all(devices.map(async (d) => {
        const { channels } = await api('GET', 'v1/{user_id}/channels?device_id=' + d.device_id);
        return { device: d, channels };
      }));
      renderDevices(rows);
    } catch (error) { showError(error.message); }
  }

  function renderDevices(rows) {
    const body = $('devices');
    body.replaceChildren();
    for (const { device, channels } of rows) {
      const tr = document.createElement('tr');
      tr.innerHTML = '<td></td><td></td><td></td>';
      tr.children[0].textContent = device.device_name + ' (' + device.device_id + ')';
      tr.children[1].textContent = device.device_state;
      tr.children[1].className = device.device_state;
      for (const channel of channels) {
        const button = document.createElement('button');
        button.textContent = 'Play ' + channel.channel_name;
        button.dataset.channelId = channel.channel_id;
        button.className = 'play';
        button.onclick = () => play(device.device_id, channel.channel_id, channel.channel_name);
        tr.children[2].appendChild(button);
      }
      body.appendChild(tr);
    }
  }

  async function play(deviceId, channelId, name) {
    const protocol = $('protocol').value;
    try {
      const res = await api('POST', 'v2/{user_id}/devices/channels/media/live-connections', {
        channels: [{
          device_id: deviceId,
          channel_id: channelId,
          live_protocol: protocol,
          stream_type: 'PRIMARY_STREAM',
        }],
      });
      const item = res.channels[0];
      if (item.result.code !== 'IVM.0') throw new Error(item.result.msg);
      if (state.player) { state.player.destroy(); state.player = null; }
      const url = item.cloud_trans_connections.live_url;
      state.player = protocol === 'HTTP_HLS' ? playHls(url) : playFlv(url);
      $('now-playing').textContent = 'Live: ' + name + ' (' + protocol + ')';
      showError('');
    } catch (error) { showError(error.message); }
  }

  // mpegts.js reads http(s):// URLs with fetch and ws(s):// URLs with a WebSocket.
  function playFlv(url) {
    const player = mpegts.createPlayer(
      { type: 'flv', isLive: true, url },
      { enableStashBuffer: false, liveBufferLatencyChasing: true },
    );
    player.on(mpegts.Events.ERROR, (type, detail) => {
      showError('Playback failed: ' + type + ' ' + detail);
    });
    player.attachMediaElement($('player'));
    player.load();
    player.play();
    return player;
  }

  function playHls(url) {
    const video = $('player');
    if (typeof Hls === 'undefined' || !Hls.isSupported()) {
      video.src = url; // Safari plays HLS itself
      video.play().catch(() => {});
      return { destroy: () => { video.removeAttribute('src'); video.load(); } };
    }
    const hls = new Hls({ liveSyncDurationCount: 2 });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (data.fatal) showError('Playback failed: ' + data.type + ' ' + data.details);
    });
    hls.loadSource(url);
    hls.attachMedia(video);
    hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
    return hls;
  }

  if (state.userId) $('user-id').value = state.userId;
  refresh();
  setInterval(refresh, 5000);
</script>
</body>
</html>
`;
