/**
 * `npm start`: the whole platform on one machine. Prepares the embedded database, then runs
 * the API/console and the media node as two processes, and stops both when one stops or on
 * Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { readConfig } from '../../src/config.ts';
import { openEmbeddedDatabase } from './runtime.ts';

const config = readConfig(process.env);

// Migrate once here, so that the two processes never race to create the schema.
const db = await openEmbeddedDatabase(config);
await db.destroy();

const root = fileURLToPath(new URL('../../', import.meta.url));
const children = new Map<string, ChildProcess>();
let stopping = false;

function run(name: string, entry: string): void {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    env: process.env,
    stdio: 'inherit',
  });
  children.set(name, child);
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (stopping) {
      if (children.size === 0) process.exit(0);
      return;
    }
    console.error(`${name} stopped (${signal ?? `exit code ${code}`}); stopping Argus`);
    stopAll(code ?? 1);
  });
}

function stopAll(exitCode: number): void {
  stopping = true;
  for (const child of children.values()) child.kill('SIGTERM');
  if (children.size === 0) process.exit(exitCode);
  setTimeout(() => process.exit(exitCode), 5000).unref();
}

run('api', 'workers/node/server.ts');
run('media node', 'media-node/main.ts');
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

const host = config.ARGUS_PUBLIC_HOST ?? '<this machine’s address>';
console.log(`
Argus is starting.
  Console and API:  http://localhost:${config.ARGUS_HTTP_PORT}/
  Point a camera at it (GB/T 28181 / "国标" settings):
    SIP server ID ${config.ARGUS_SIP_ID}, domain ${config.ARGUS_SIP_DOMAIN},
    SIP server address ${host}, port ${config.ARGUS_SIP_PORT} (UDP or TCP),
    device ID and password as added through batch-add, heartbeat 20 s.
  Stop with Ctrl-C.
`);
