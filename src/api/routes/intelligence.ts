/**
 * Intelligence data from edge boxes and smart cameras: `POST /v1/{user_id}/intelligence-data`
 * records results (per item, IVM batch style) with their pictures, and `GET` lists them newest
 * first. Pictures come as base64 JPEG or PNG (storage/picture-content.ts) and are kept in
 * picture storage; their URLs are asked for by `data_id` (pictures.ts).
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';

import {
  dataIdPattern,
  decideIntelligenceData,
  intelligenceEventId,
  intelligenceStreamName,
  pictureKey,
  pictureTypes,
  sha256Hex,
  type PictureRef,
  type PictureType,
} from '../../domain/intelligence.ts';
import { BEIJING_OFFSET_MINUTES, parseLocalTime } from '../../domain/local-time.ts';
import { ArgusError, errorCodes, isArgusError } from '../../errors.ts';
import {
  findIntelligenceData,
  listIntelligenceData,
  picturesOf,
  type IntelligenceDataTable,
} from '../../read-models/intelligence-queries.ts';
import { findDevice } from '../../read-models/queries.ts';
import {
  decodePicture,
  maxPictureBase64Length,
  pictureExtension,
  type DecodedPicture,
} from '../../storage/picture-content.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { assertDeviceInScope, departmentOrgIds } from '../department-scope.ts';
import { batchResult } from '../http-errors.ts';
import { defineRoute, type RouteRegistry } from '../openapi/registry.ts';
import { pageQuery } from '../paging.ts';
import { gbDeviceId } from './devices.ts';
import { pictureRoutes } from './pictures.ts';

/** Most items one ingest call takes (the API's 1 MiB body bounds the pictures anyway). */
export const maxIngestItems = 10;

const dataId = z.string().regex(dataIdPattern, 'must be 1 to 64 letters, digits, _ or -');

const base64Picture = z
  .string()
  .max(maxPictureBase64Length, `must be at most ${maxPictureBase64Length} base64 characters`)
  .describe('base64 of a JPEG or PNG of at most 512 KiB');

const item = z.object({
  data_id: dataId.describe("the sender's id of the result, unique in the tenant"),
  data_type: z.string().describe('FACE, VEHICLE, PERSON, …: 1 to 64 letters, digits, _ . -'),
  time: z.string().describe('ISO 8601; without an offset, Beijing time (UTC+8)'),
  device_id: gbDeviceId,
  channel_id: gbDeviceId.optional().describe('the channel it was seen on; the device by default'),
  alarm_id: dataId.optional().describe('the alarm its pictures belong to (alarms/pictures)'),
  attributes: z.record(z.string(), z.unknown()).default({}).describe('at most 16 KiB as JSON'),
  pictures: z
    .object({
      original: base64Picture.optional(),
      background: base64Picture.optional(),
      panorama: base64Picture.optional(),
    })
    .strict()
    .default({}),
});
type Item = z.infer<typeof item>;

const ingestBody = z.object({ items: z.array(item).min(1).max(maxIngestItems) });

const itemResult = z.object({
  data_id: z.string(),
  result: z.object({ code: z.string(), msg: z.string() }),
  duplicate: z.boolean().describe('true where the data_id was recorded before: nothing changed'),
});

const time = z
  .string()
  .describe('ISO 8601; without an offset, Beijing time (UTC+8)')
  .transform((text, ctx) => {
    const at = parseLocalTime(text, BEIJING_OFFSET_MINUTES);
    if (at === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be YYYY-MM-DDTHH:MM:SS[.mmm][offset]' });
      return z.NEVER;
    }
    return at;
  });

const listQuery = pageQuery.extend({
  device_id: gbDeviceId.optional(),
  data_type: z.string().max(64).optional(),
  start_time: time.optional(),
  end_time: time.optional(),
});

const listed = z.object({
  data_id: z.string(),
  data_type: z.string(),
  device_id: z.string(),
  channel_id: z.string(),
  time: z.string().describe('ISO 8601 with offset'),
  attributes: z.record(z.string(), z.unknown()),
  picture_types: z.array(z.enum(pictureTypes)),
  alarm_id: z.string().nullable(),
  receive_time: z.string(),
});

export function intelligenceRoutes(deps: ApiDeps, registry: RouteRegistry) {
  const app = new Hono<ApiEnv>();
  const params = z.object({ user_id: z.string() });
  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/v1/{user_id}/intelligence-data',
      summary: 'Record intelligence data (analytics results) with their pictures',
      tag: 'Intelligence data',
      security: 'access-token',
      permission: 'devices.manage',
      request: { params, body: ingestBody },
      response: z.object({ failed_num: z.number(), items: z.array(itemResult) }),
    },
    async (c, { body }) => {
      const results: z.infer<typeof itemResult>[] = [];
      let last = 0;
      for (const entry of body.items) {
        const result = { data_id: entry.data_id, result: batchResult(), duplicate: false };
        try {
          const { position } = await ingestOne(c, deps, entry);
          last = Math.max(last, position ?? 0);
          results.push({ ...result, duplicate: position === undefined });
        } catch (error) {
          results.push({ ...result, result: itemFailure(c, error) });
        }
      }
      if (last > 0 && !(await deps.runner.waitFor(last))) {
        c.get('logger').warn({ position: last }, 'read models behind a write');
      }
      const failed = results.filter((r) => r.result.code !== batchResult().code).length;
      return c.json({ failed_num: failed, items: results });
    },
  );
  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/v1/{user_id}/intelligence-data',
      summary: 'Intelligence data, newest first',
      tag: 'Intelligence data',
      security: 'access-token',
      permission: 'devices.read',
      request: { params, query: listQuery },
      response: z.object({ total: z.number(), data: z.array(listed) }),
    },
    async (c, { query }) => {
      const { start_time: from, end_time: to } = query;
      if (from !== undefined && to !== undefined && from > to) {
        throw new ArgusError(
          errorCodes.VALIDATION,
          'Cannot list intelligence data: start_time is after end_time',
        );
      }
      const filter = {
        deviceId: query.device_id,
        dataType: query.data_type,
        from,
        to,
        deviceOrgIds: await departmentOrgIds(c, deps),
      };
      const { total, rows } = await listIntelligenceData(deps.db, c.get('userId'), filter, query);
      return c.json({ total, data: rows.map(listedAnswer) });
    },
  );
  app.route('/', pictureRoutes(deps, registry));
  return app;
}

/**
 * Records one item: checks the device, decides, stores the pictures, appends.
 * @returns the event's position, undefined where the data_id was recorded before
 */
async function ingestOne(c: Context<ApiEnv>, deps: ApiDeps, entry: Item) {
  const userId = c.get('userId');
  const device = await findDevice(deps.db, userId, entry.device_id);
  if (device === undefined) {
    throw new ArgusError(errorCodes.NOT_FOUND, `Cannot find device: ${entry.device_id}`);
  }
  assertDeviceInScope(await departmentOrgIds(c, deps), {
    deviceId: entry.device_id,
    deviceOrgId: device.device_org_id ?? '0',
  });
  const [recorded] = await findIntelligenceData(deps.db, userId, [entry.data_id]);

  const decoded = recorded === undefined ? decodeAll(entry) : {};
  const refs = await pictureRefs(userId, entry.data_id, decoded);
  const events = decideIntelligenceData(
    recorded === undefined ? undefined : { deviceId: recorded.device_id },
    {
      userId,
      deviceId: entry.device_id,
      channelId: entry.channel_id ?? entry.device_id,
      dataId: entry.data_id,
      dataType: entry.data_type,
      time: entry.time,
      attributes: entry.attributes,
      pictures: refs,
      alarmId: entry.alarm_id,
      receivedAt: deps.now?.() ?? new Date(),
    },
  );
  if (events.length === 0) return { position: undefined };

  await storePictures(deps, decoded, refs);
  const id = await intelligenceEventId(userId, entry.data_id);
  const append = await deps.store
    .appendToStream(
      intelligenceStreamName(entry.device_id),
      events.map((event) => ({ id, type: event.type, data: { ...event.data } })),
      { expectedRevision: 'any' },
    )
    .catch((error: unknown) => {
      // The same event id in another device's stream: sent concurrently for two devices.
      if (!isArgusError(error, errorCodes.CONFLICT)) throw error;
      throw new ArgusError(
        errorCodes.CONFLICT,
        `Cannot record intelligence data ${entry.data_id}: already recorded for another device`,
      );
    });
  return { position: append.lastPosition };
}

function decodeAll(entry: Item): Partial<Record<PictureType, DecodedPicture>> {
  const decoded: Partial<Record<PictureType, DecodedPicture>> = {};
  for (const type of pictureTypes) {
    const text = entry.pictures[type];
    if (text !== undefined) decoded[type] = decodePicture(`pictures.${type}`, text);
  }
  return decoded;
}

async function pictureRefs(
  userId: string,
  dataId: string,
  decoded: Partial<Record<PictureType, DecodedPicture>>,
): Promise<Partial<Record<PictureType, PictureRef>>> {
  const refs: Partial<Record<PictureType, PictureRef>> = {};
  for (const type of pictureTypes) {
    const picture = decoded[type];
    if (picture === undefined) continue;
    const hash = await sha256Hex(picture.bytes as Uint8Array<ArrayBuffer>);
    const key = pictureKey(userId, dataId, type, hash, pictureExtension(picture.contentType));
    refs[type] = { key, contentType: picture.contentType, size: picture.bytes.length };
  }
  return refs;
}

/**
 * Stores the pictures before the event that names them is appended, so that no recorded
 * result names a picture that is missing.
 * @throws ArgusError UNAVAILABLE where the runtime provides no picture storage
 */
async function storePictures(
  deps: ApiDeps,
  decoded: Partial<Record<PictureType, DecodedPicture>>,
  refs: Partial<Record<PictureType, PictureRef>>,
): Promise<void> {
  const types = pictureTypes.filter((type) => decoded[type] !== undefined);
  if (types.length === 0) return;
  if (deps.pictures === undefined) {
    throw new ArgusError(
      errorCodes.UNAVAILABLE,
      'Cannot store pictures: this runtime has no picture storage configured',
    );
  }
  const { storage } = deps.pictures;
  for (const type of types) {
    const picture = decoded[type];
    const ref = refs[type];
    if (picture !== undefined && ref !== undefined) {
      await storage.put(ref.key, picture.bytes, ref.contentType);
    }
  }
}

function itemFailure(c: Context<ApiEnv>, error: unknown) {
  if (!isArgusError(error)) c.get('logger').error({ err: error }, 'intelligence data failed');
  return batchResult(error);
}

function listedAnswer(row: IntelligenceDataTable): z.infer<typeof listed> {
  const pictures = picturesOf(row);
  return {
    data_id: row.data_id,
    data_type: row.data_type,
    device_id: row.device_id,
    channel_id: row.channel_id,
    time: row.data_time,
    attributes: JSON.parse(row.attributes) as Record<string, unknown>,
    picture_types: pictureTypes.filter((type) => pictures[type] !== undefined),
    alarm_id: row.alarm_id,
    receive_time: row.received_at,
  };
}
