/**
 * `npm start`: the whole platform on one machine. Prepares the embedded database, runs the
 * API/console and the media node as two processes, tells the user where to go, and stops
 * both when one stops, on Ctrl-C, or on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { readConfig } from '../../src/config.ts';
import type { Db } from '../../src/sql/database.ts';
import { openEmbeddedDatabase } from './runtime.ts';

const config = readConfig(process.env);

// Migrate once here, so that the two processes never race to create the schema.
const db = await openEmbeddedDatabase(config);

const root = fileURLToPath(new URL('../../', import.meta.url));
const children = new Map<string, ChildProcess>();
let stopping = false;

function run(name: string, entry: string): void {
  // The IPC channel lets a child notice that this process is gone, even after SIGKILL.
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    env: process.env,
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
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

/** Waits (10 s at most) for the media node's announcement and the enterprise to be readable. */
async function readyFacts(database: Db, since: string) {
  for (let attempt = 0; attempt < 100 && !stopping; attempt++) {
    const node = await database
      .selectFrom('media_nodes')
      .selectAll()
      .where('node_id', '=', config.ARGUS_MEDIA_NODE_ID)
      .where('started_at', '>=', since)
      .executeTakeFirst();
    const enterprise = await database
      .selectFrom('enterprises')
      .select('user_id')
      .executeTakeFirst();
    if (node !== undefined && enterprise !== undefined) return { node, enterprise };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { node: undefined, enterprise: undefined };
}

async function banner(database: Db, since: string): Promise<string> {
  const { node, enterprise } = await readyFacts(database, since);
  const host = node?.sip_host ?? config.ARGUS_PUBLIC_HOST ?? "this machine's address";
  return `
Argus is running.
  Console and API:  http://localhost:${config.ARGUS_HTTP_PORT}/
  Enterprise User ID: ${enterprise?.user_id ?? '(see the first-start message)'}
  Point a camera at it (GB/T 28181 platform access):
    SIP server ID ${config.ARGUS_SIP_ID}, domain ${config.ARGUS_SIP_DOMAIN},
    SIP server address ${host}, port ${node?.sip_port ?? config.ARGUS_SIP_PORT} (UDP or TCP),
    device ID and password as added through batch-add, heartbeat 20 s.
  Stop with Ctrl-C.
`;
}

const startedAt = new Date().toISOString();
run('api', 'workers/node/server.ts');
run('media node', 'media-node/main.ts');
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

const text = await banner(db, startedAt);
await db.destroy();
if (!stopping) console.log(text);
