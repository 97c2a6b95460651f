/**
 * Pictures by short-lived signed URL: `POST /v1/{user_id}/intelligence-data/pictures` and
 * `POST /v1/{user_id}/alarms/pictures` answer, per `data_id` or `alarm_id`, a URL per
 * picture type that works for 5 minutes; `GET /pictures/{key}?expires&signature` serves it
 * without an access token (storage/signed-picture-url.ts). Alarms carry pictures only
 * through intelligence data recorded with their `alarm_id`; an alarm without any answers an
 * empty list.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';

import { pictureTypes, type PictureRef } from '../../domain/intelligence.ts';
import { ArgusError, errorCodes } from '../../errors.ts';
import {
  findAlarmIntelligenceData,
  findIntelligenceData,
  picturesOf,
  type IntelligenceDataTable,
} from '../../read-models/intelligence-queries.ts';
import { isPictureKey } from '../../storage/picture-storage.ts';
import {
  PictureUrlSigner,
  pictureKeyOfSegment,
  picturePath,
} from '../../storage/signed-picture-url.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { departmentOrgIds } from '../department-scope.ts';
import { batchResult } from '../http-errors.ts';
import { defineRoute, type RouteRegistry } from '../openapi/registry.ts';
import { orgIdsOfDevices } from './picture-scope.ts';

/** Most ids one call takes. */
export const maxPictureIds = 100;

const ids = (name: string) =>
  z
    .array(z.string().min(1).max(64))
    .min(1)
    .max(maxPictureIds)
    .refine((list) => new Set(list).size === list.length, 'must not repeat an id')
    .describe(`1 to ${maxPictureIds} ${name}s`);

const pictureUrl = z.object({
  picture_type: z.enum(pictureTypes),
  content_type: z.string(),
  url: z.string().describe('works without an access token until expire_time'),
  expire_time: z.string(),
});

const dataPictures = z.object({
  data_id: z.string(),
  result: z.object({ code: z.string(), msg: z.string() }),
  pictures: z.array(pictureUrl),
});

const alarmPictures = z.object({
  alarm_id: z.string(),
  pictures: z.array(pictureUrl.extend({ data_id: z.string() })),
});

type Row = IntelligenceDataTable;

export function pictureRoutes(deps: ApiDeps, registry: RouteRegistry) {
  const app = new Hono<ApiEnv>();
  const params = z.object({ user_id: z.string() });
  const signer =
    deps.pictures === undefined ? undefined : new PictureUrlSigner(deps.pictures.secret);
  const now = () => deps.now?.() ?? new Date();

  /** Signed URLs of a row's pictures, as `c`'s origin serves them. */
  async function urlsOf(c: Context<ApiEnv>, row: Row) {
    if (signer === undefined) return [];
    const origin = new URL(c.req.url).origin;
    const pictures = picturesOf(row);
    const answers: z.infer<typeof pictureUrl>[] = [];
    for (const type of pictureTypes) {
      const ref: PictureRef | undefined = pictures[type];
      if (ref === undefined) continue;
      const signature = await signer.sign(ref.key, now());
      answers.push({
        picture_type: type,
        content_type: ref.contentType,
        url: `${origin}${picturePath(ref.key, signature)}`,
        expire_time: new Date(signature.expires * 1000).toISOString(),
      });
    }
    return answers;
  }

  /** The rows a department manager may see: those of devices of their department. */
  async function inScope(c: Context<ApiEnv>, rows: Row[]): Promise<Row[]> {
    const scope = await departmentOrgIds(c, deps);
    if (scope === undefined) return rows;
    const orgs = await orgIdsOfDevices(
      deps.db,
      rows.map((row) => row.device_id),
    );
    return rows.filter((row) => scope.includes(orgs.get(row.device_id) ?? '0'));
  }

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/v1/{user_id}/intelligence-data/pictures',
      summary: 'Short-lived URLs of the pictures of intelligence data, by data_id',
      tag: 'Intelligence data',
      security: 'access-token',
      permission: 'devices.read',
      request: { params, body: z.object({ data_ids: ids('data_id') }) },
      response: z.object({ data: z.array(dataPictures) }),
    },
    async (c, { body }) => {
      const rows = await findIntelligenceData(deps.db, c.get('userId'), body.data_ids);
      const byId = new Map((await inScope(c, rows)).map((row) => [row.data_id, row]));
      const data = [];
      for (const id of body.data_ids) {
        const row = byId.get(id);
        if (row === undefined) {
          const missing = new ArgusError(errorCodes.NOT_FOUND, `Cannot find data_id: ${id}`);
          data.push({ data_id: id, result: batchResult(missing), pictures: [] });
          continue;
        }
        data.push({ data_id: id, result: batchResult(), pictures: await urlsOf(c, row) });
      }
      return c.json({ data });
    },
  );
  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/v1/{user_id}/alarms/pictures',
      summary: "Short-lived URLs of alarms' pictures (intelligence data naming the alarm)",
      tag: 'Alarms',
      security: 'access-token',
      permission: 'devices.read',
      request: { params, body: z.object({ alarm_ids: ids('alarm_id') }) },
      response: z.object({ alarms: z.array(alarmPictures) }),
    },
    async (c, { body }) => {
      const rows = await findAlarmIntelligenceData(deps.db, c.get('userId'), body.alarm_ids);
      const visible = await inScope(c, rows);
      const alarms = [];
      for (const id of body.alarm_ids) {
        const pictures = [];
        for (const row of visible.filter((r) => r.alarm_id === id)) {
          const urls = await urlsOf(c, row);
          pictures.push(...urls.map((url) => ({ data_id: row.data_id, ...url })));
        }
        alarms.push({ alarm_id: id, pictures });
      }
      return c.json({ alarms });
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/pictures/{key}',
      summary: 'A picture by signed URL (no access token); 403 once expired or altered',
      tag: 'Intelligence data',
      security: 'none',
      request: {
        params: z.object({ key: z.string().describe('the storage key, `/` written as `~`') }),
        query: z.object({ expires: z.string(), signature: z.string() }),
      },
      response: { mediaType: 'image/jpeg', description: 'The picture (JPEG or PNG)' },
    },
    async (c, { params, query }) => {
      const key = pictureKeyOfSegment(params.key);
      const missing = new ArgusError(errorCodes.NOT_FOUND, 'Cannot find picture');
      if (deps.pictures === undefined || signer === undefined || !isPictureKey(key)) throw missing;
      await signer.verify(key, query, now());
      const picture = await deps.pictures.storage.get(key);
      if (picture === undefined) throw missing;
      return c.body(picture.bytes as Uint8Array<ArrayBuffer>, 200, {
        'Content-Type': picture.contentType,
        'Cache-Control': 'private, max-age=60',
        'X-Content-Type-Options': 'nosniff',
      });
    },
  );
  return app;
}
