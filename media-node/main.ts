/**
 * The media node process: SIP (UDP+TCP) for GB/T 28181 devices, RTP over UDP or TCP for
 * their video, HTTP-FLV, WS-FLV and HLS for viewers. Its facts go to the event store; its
 * projection runner keeps the read models the API queries.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { pino } from 'pino';

import { loadPlatformSecret } from '../src/auth/platform-secret.ts';
import { TokenService } from '../src/auth/tokens.ts';
import { readConfig, rtpPortRange } from '../src/config.ts';
import { streamNames } from '../src/event-store/event-store.ts';
import { SqlEventStore } from '../src/event-store/sql-event-store.ts';
import { ProjectionRunner } from '../src/projections/projection-runner.ts';
import { readModelsProjection } from '../src/projections/read-models.ts';
import { openLiveSessionsProjection } from '../src/projections/open-live-sessions.ts';
import { openNodeDatabase } from '../schema/node-database.ts';
import { advertisedHost } from './advertised-host.ts';
import { ControlRouter } from './control/control-router.ts';
import { deviceQueryRoutes } from './control/device-query-routes.ts';
import { ptzRoutes } from './control/ptz-routes.ts';
import { recordRoutes } from './control/record-routes.ts';
import { AlarmRecorder } from './gb/alarm-recorder.ts';
import { CatalogCollector } from './gb/catalog-collector.ts';
import { CatalogSubscriptions } from './gb/catalog-subscription.ts';
import { CatalogWatch } from './gb/catalog-watch.ts';
import { DeviceCommands } from './gb/device-commands.ts';
import { DialogRecovery } from './gb/dialog-recovery.ts';
import { DeviceRegistry } from './gb/device-registry.ts';
import { GbServer } from './gb/gb-server.ts';
import { KeepaliveMonitor } from './gb/keepalive-monitor.ts';
import { Registrar } from './gb/registrar.ts';
import { releaseDeletedDevices } from './gb/device-release.ts';
import { restoreRegistrations } from './gb/restore-registrations.ts';
import { createMediaHttpServer } from './media/media-http-server.ts';
import { DownloadSessions } from './media/download-sessions.ts';
import { PlaybackRoutes } from './media/playback-routes.ts';
import { PlaybackSessions } from './media/playback-sessions.ts';
import { HistoryDialogs } from './media/playback-upstream.ts';
import { LiveSessions } from './media/live-sessions.ts';
import { RtpPortPool } from './media/rtp-port-pool.ts';
import { LocalAddressBook } from './sip/local-address.ts';
import { SipClient } from './sip/sip-client.ts';
import { SipTransport } from './sip/sip-transport.ts';

const config = readConfig(process.env);
const logger = pino({ name: 'media-node', level: config.ARGUS_LOG_LEVEL });
const nodeId = config.ARGUS_MEDIA_NODE_ID;
const now = () => new Date();

mkdirSync(config.ARGUS_DATA_DIR, { recursive: true });
const { db, dialect } = await openNodeDatabase(config);
const store = new SqlEventStore({ db, dialect });
const runner = new ProjectionRunner({
  db,
  dialect,
  store,
  projections: [readModelsProjection, openLiveSessionsProjection],
  onError: (err) => logger.error({ err }, 'projection failed'),
});
const tokens = new TokenService(await loadPlatformSecret(db, config.ARGUS_SECRET));

const transport = new SipTransport(logger);
const sipPort = await transport
  .listen('0.0.0.0', config.ARGUS_SIP_PORT)
  .catch((err: NodeJS.ErrnoException) => exitOnListenError(err, 'ARGUS_SIP_PORT'));
const addresses = new LocalAddressBook(config.ARGUS_PUBLIC_HOST);
const client = new SipClient({
  transport,
  localAddressFor: (peer) => ({ host: addresses.get(peer.address), port: sipPort }),
});
const registry = new DeviceRegistry();
const commands = new DeviceCommands(store);
const recovery = new DialogRecovery({ db, commands, client, registry, nodeId, logger, now });
const monitor = new KeepaliveMonitor({
  registry,
  commands,
  heartbeatSeconds: config.ARGUS_HEARTBEAT_S,
  misses: config.ARGUS_HEARTBEAT_MISSES,
  logger,
  now,
});
const platformIds = [config.ARGUS_SIP_ID, config.ARGUS_SIP_DOMAIN];
const catalogs = new CatalogCollector({ commands, logger, now, platformIds });
const catalogWatch = new CatalogWatch({
  query: (deviceId) => server.queryCatalog(deviceId),
  commands,
  logger,
  now,
});

const registrar = new Registrar({
  transport,
  registry,
  commands,
  realm: config.ARGUS_SIP_DOMAIN,
  nodeId,
  logger,
  now,
  tzOffsetMinutes: -new Date().getTimezoneOffset(),
  onRegistered: (deviceId) => {
    void catalogWatch.query(deviceId);
    void catalogSubscriptions.subscribe(deviceId);
    recovery.registered(deviceId);
  },
});
const server = new GbServer({
  serverId: config.ARGUS_SIP_ID,
  domain: config.ARGUS_SIP_DOMAIN,
  sipPort,
  transport,
  client,
  registrar,
  registry,
  monitor,
  catalogs,
  addresses,
  logger,
  onCatalogAnswer: (deviceId) => catalogWatch.answered(deviceId),
});
transport.onMessage((message, peer) => server.handle(message, peer));
const collector = catalogs;
const catalogSubscriptions = new CatalogSubscriptions({ server, client, collector, logger });
server.onNotify(catalogSubscriptions.take);
const alarms = new AlarmRecorder({
  store,
  send: (deviceId, body) => server.sendManscdp(deviceId, body, 'answer alarm'),
  logger,
  now,
  offsetMinutes: -new Date().getTimezoneOffset(),
});
server.onNotify(alarms.take);
transport.onConnectionClosed((peer) => void monitor.connectionClosed(peer));

const sessions = new LiveSessions({
  server,
  client,
  ports: new RtpPortPool(rtpPortRange(config)),
  commands,
  logger,
  nodeId,
  lingerMs: config.ARGUS_LIVE_LINGER_S * 1000,
  noMediaTimeoutMs: config.ARGUS_NO_MEDIA_S * 1000,
  tcpMode: config.ARGUS_RTP_TCP_MODE,
  meteringIntervalMs: config.ARGUS_METERING_INTERVAL_S * 1000,
});
const control = new ControlRouter(tokens, nodeId);
deviceQueryRoutes(control, { server, commands });
ptzRoutes(control, { server, commands });
// Recordings: ports of their own from the same range (a pool skips ports bound elsewhere).
const historyPorts = new RtpPortPool(rtpPortRange(config));
const tcpMode = config.ARGUS_RTP_TCP_MODE;
const history = new HistoryDialogs({ server, client, ports: historyPorts, logger, tcpMode });
const playback = new PlaybackSessions({ history, logger });
const downloadDir = join(config.ARGUS_DATA_DIR, 'downloads');
const downloads = new DownloadSessions({ history, logger, dir: downloadDir });
const tzOffsetMinutes = -new Date().getTimezoneOffset();
recordRoutes(control, { server, commands, downloads, tzOffsetMinutes });
const playbackRoutes = new PlaybackRoutes({ playback, downloads, tokens });
const servers: ReturnType<typeof createMediaHttpServer>[] = [];
const mediaRoutes = { sessions, tokens, logger, control, playback: playbackRoutes };
const http = createMediaHttpServer(mediaRoutes);
const httpPort = await listen(http, config.ARGUS_MEDIA_HTTP_PORT, 'ARGUS_MEDIA_HTTP_PORT');
const https = tlsFiles();
const httpsPort =
  https === undefined
    ? undefined
    : await listen(
        createMediaHttpServer(mediaRoutes, https),
        config.ARGUS_MEDIA_HTTPS_PORT,
        'ARGUS_MEDIA_HTTPS_PORT',
      );

const publicHost = advertisedHost(config.ARGUS_PUBLIC_HOST);
await store.appendToStream(streamNames.mediaNode(nodeId), [
  {
    type: 'MediaNodeStarted',
    data: {
      nodeId,
      httpUrl: `http://${publicHost}:${httpPort}`,
      ...(httpsPort === undefined ? {} : { httpsUrl: `https://${publicHost}:${httpsPort}` }),
      sipHost: publicHost,
      sipPort,
      at: now().toISOString(),
    },
  },
]);
await runner.catchUp();
const restored = await restoreRegistrations(db, registry, nodeId, now());
// Before any new session: their SSRCs and ports are not handed out again while in doubt.
const orphanedDialogs = await recovery.find();
sessions.reserveSsrcs(orphanedDialogs.map((dialog) => Number(dialog.ssrc)));
void recovery.endAll(orphanedDialogs);
monitor.start();
const stop = new AbortController();
void runner.run(stop.signal);
void releaseDeletedDevices({
  ...{ store, registry, logger },
  after: runner.position,
  signal: stop.signal,
});

logger.info(
  {
    nodeId,
    sipPort,
    httpPort,
    httpsPort,
    publicHost,
    restored,
    orphanedDialogs: orphanedDialogs.length,
  },
  'media node listening',
);

/** Binds a media HTTP(S) server; returns the port bound. */
async function listen(
  server: ReturnType<typeof createMediaHttpServer>,
  port: number,
  variable: string,
): Promise<number> {
  await new Promise<void>((resolve) => {
    server.once('error', (err: NodeJS.ErrnoException) => exitOnListenError(err, variable));
    server.listen(port, '0.0.0.0', resolve);
  });
  servers.push(server);
  return (server.address() as { port: number }).port;
}

/** The PEM certificate chain and key for HTTPS, where both ARGUS_TLS_* are set. */
function tlsFiles(): { cert: Buffer; key: Buffer } | undefined {
  if (config.ARGUS_TLS_CERT === undefined || config.ARGUS_TLS_KEY === undefined) return undefined;
  return { cert: readFileSync(config.ARGUS_TLS_CERT), key: readFileSync(config.ARGUS_TLS_KEY) };
}

/** A port that cannot be bound ends the process with a line that says what to change. */
function exitOnListenError(err: NodeJS.ErrnoException, variable: string): never {
  const reason = err.code === 'EADDRINUSE' ? `in use (set ${variable})` : err.message;
  logger.error({ code: err.code }, `Cannot listen on ${variable}: ${reason}`);
  process.exit(1);
}

async function shutdown(): Promise<void> {
  stop.abort();
  monitor.stop();
  catalogs.close();
  catalogWatch.close();
  catalogSubscriptions.close();
  recovery.close();
  await sessions.close();
  await Promise.all([playback.close(), downloads.close()]);
  history.close();
  client.close();
  for (const server of servers) server.close();
  await transport.close();
  await db.destroy();
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown());
// Started by `npm start`: stop with it, however it ended.
process.on('disconnect', () => void shutdown());
