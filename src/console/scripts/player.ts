/**
 * Browser module `player.js`: plays a live URL in a video element: HTTP-FLV and WS-FLV
 * through mpegts.js, HLS through hls.js (or the browser's own HLS where it has one).
 */
export const playerJs = String.raw`
export function startPlayer(video, url, protocol, onError) {
  return protocol === 'HTTP_HLS' ? playHls(video, url, onError) : playFlv(video, url, onError);
}

// mpegts.js reads http(s):// URLs with fetch and ws(s):// URLs with a WebSocket.
function playFlv(video, url, onError) {
  if (typeof mpegts === 'undefined' || !mpegts.getFeatureList().mseLivePlayback) {
    onError('This browser cannot play live FLV (no Media Source Extensions)');
    return { destroy() {} };
  }
  const player = mpegts.createPlayer(
    { type: 'flv', isLive: true, url },
    { enableStashBuffer: false, liveBufferLatencyChasing: true },
  );
  player.on(mpegts.Events.ERROR,
    (type, detail) => onError('Playback failed: ' + type + ' ' + detail));
  player.attachMediaElement(video);
  player.load();
  Promise.resolve(player.play()).catch(() => {});
  return {
    destroy() {
      player.destroy();
    },
  };
}

function playHls(video, url, onError) {
  if (typeof Hls === 'undefined' || !Hls.isSupported()) {
    video.src = url; // Safari plays HLS itself
    video.play().catch(() => {});
    return { destroy() { video.removeAttribute('src'); video.load(); } };
  }
  const hls = new Hls({ liveSyncDurationCount: 2 });
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (data.fatal) onError('Playback failed: ' + data.type + ' ' + data.details);
  });
  hls.loadSource(url);
  hls.attachMedia(video);
  hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
  return { destroy() { hls.destroy(); } };
}
`;
