/**
 * The part of `node:sqlite` the Deno entry uses. Node 20's type package has no such module;
 * Deno and Node 22+ provide it at run time.
 */
declare module 'node:sqlite' {
  export class StatementSync {
    all(...parameters: unknown[]): unknown[];
    run(...parameters: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
    iterate(...parameters: unknown[]): Iterator<unknown>;
  }
  export class DatabaseSync {
    constructor(path: string);
    exec(sql: string): void;
    prepare(sql: string): StatementSync;
    close(): void;
  }
}
