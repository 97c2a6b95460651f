import type { Kysely } from 'kysely';

/** Settings every process of one installation shares, such as the token signing secret. */
export const platformSettingsMigration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('platform_settings')
      .addColumn('name', 'text', (col) => col.primaryKey())
      .addColumn('value', 'text', (col) => col.notNull())
      .execute();
  },
};
