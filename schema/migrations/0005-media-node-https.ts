import type { Kysely } from 'kysely';

/** Where a media node serves HTTPS, when it has a TLS certificate. */
export const mediaNodeHttpsMigration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('media_nodes').addColumn('https_url', 'text').execute();
  },
};
