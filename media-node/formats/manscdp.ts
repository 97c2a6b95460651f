/**
 * MANSCDP XML bodies (GB/T 28181-2016 Annex A): decoding (GB2312 or UTF-8, whatever the
 * declaration claims), parsing into a tree, reading Catalog responses, and building the
 * queries, keepalives and responses a platform or a device sends. Pure.
 */
import { XMLParser } from 'fast-xml-parser';
import iconv from 'iconv-lite';
import { ArgusError, errorCodes } from '../../src/errors.ts';
import { CATALOG_MAX_ITEMS, MANSCDP_MAX_BODY_BYTES } from './limits.ts';

export type ManscdpRoot = 'Notify' | 'Response' | 'Query' | 'Control';

/** A parsed body. `fields` is the root element's tree: text as strings, attributes as `@_Name`. */
export type ManscdpMessage = {
  root: ManscdpRoot;
  cmdType: string;
  sn: number;
  deviceId: string;
  fields: Record<string, unknown>;
};

function malformed(reason: string): ArgusError {
  return new ArgusError(errorCodes.MANSCDP_MALFORMED, `Cannot parse MANSCDP: ${reason}`);
}

function checkSize(bytes: number): void {
  if (bytes > MANSCDP_MAX_BODY_BYTES) {
    throw new ArgusError(
      errorCodes.MANSCDP_TOO_LARGE,
      `Cannot parse MANSCDP: body too large: ${bytes} > ${MANSCDP_MAX_BODY_BYTES} bytes`,
    );
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/**
 * Decodes a body to text. Bytes that are not valid UTF-8 are GB18030 (a superset of GB2312
 * and GBK), whatever the declaration says. Valid UTF-8 is believed under a UTF-8 declaration
 * or a byte order mark; under a GB declaration or none it is believed only where every
 * non-ASCII character it yields is a 3- or 4-byte one (CJK and beyond): about one CJK
 * character in ten is, in GBK, a valid 2-byte UTF-8 sequence (前台 reads as "ǰ̨"), while
 * Chinese text really sent as UTF-8 has none of those.
 * @throws ArgusError MANSCDP_TOO_LARGE past MANSCDP_MAX_BODY_BYTES
 */
export function decodeManscdpBody(body: Uint8Array): string {
  checkSize(body.length);
  const hasBom = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
  const bytes = hasBom ? body.subarray(3) : body;
  if (bytes.every((b) => b < 0x80)) return latin1.decode(bytes);

  const utf8 = tryUtf8(bytes);
  if (utf8 === undefined) return iconv.decode(bytes, 'gb18030');
  const declared = declaredEncoding(bytes);
  if (hasBom || declared === 'utf-8' || declared === 'utf8') return utf8;
  if (!/[\u0080-\u07ff]/.test(utf8)) return utf8;
  const gb = iconv.decode(bytes, 'gb18030');
  return gb.includes('\ufffd') ? utf8 : gb;
}

function tryUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** The encoding named in `<?xml … encoding="…"?>`, in lower case. */
function declaredEncoding(bytes: Uint8Array): string | undefined {
  const head = latin1.decode(bytes.subarray(0, 200));
  return /^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([\w.:-]+)["']/i.exec(head)?.[1]?.toLowerCase();
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Replaces the five predefined XML entities and character references; nothing else. */
function decodeXmlEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(lt|gt|amp|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});/g, (whole, name) => {
    const key = String(name);
    if (!key.startsWith('#')) return ENTITIES[key] ?? whole;
    const code = key[1] === 'x' ? parseInt(key.slice(2), 16) : parseInt(key.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  // Entity expansion stays off; the predefined entities are replaced below, by hand.
  processEntities: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: 32,
  isArray: (name) => name === 'Item',
  tagValueProcessor: (_name, value) => decodeXmlEntities(value),
  attributeValueProcessor: (_name, value) => decodeXmlEntities(value),
});

const ROOTS: ManscdpRoot[] = ['Notify', 'Response', 'Query', 'Control'];

/**
 * Parses a MANSCDP body: decodes it, refuses any DOCTYPE (no entity expansion, so no entity
 * bombs), and reads the root, CmdType, SN and DeviceID. Values stay strings (IDs keep their
 * leading zeros); `Item` elements are always arrays.
 * @throws ArgusError MANSCDP_TOO_LARGE past the size limit; MANSCDP_MALFORMED otherwise
 */
export function parseManscdp(body: Uint8Array): ManscdpMessage {
  const text = decodeManscdpBody(body);
  if (/<!(DOCTYPE|ENTITY)/i.test(text)) throw malformed('DOCTYPE and ENTITY are not allowed');

  const tree = parseXml(text);
  const rootName = Object.keys(tree).find((key) => !key.startsWith('?') && !key.startsWith('#'));
  const root = ROOTS.find((r) => r.toLowerCase() === rootName?.toLowerCase());
  if (rootName === undefined || root === undefined) {
    throw malformed(`unknown root element: ${JSON.stringify(rootName ?? '')}`);
  }
  const fields = tree[rootName];
  if (!isRecord(fields)) throw malformed(`root element ${root} has no children`);

  const cmdType = requiredText(fields, 'CmdType');
  const sn = requiredText(fields, 'SN');
  if (!/^\d{1,15}$/.test(sn)) throw malformed(`invalid SN: ${JSON.stringify(sn.slice(0, 20))}`);
  return { root, cmdType, sn: Number(sn), deviceId: requiredText(fields, 'DeviceID'), fields };
}

function parseXml(text: string): Record<string, unknown> {
  try {
    const tree: unknown = parser.parse(text);
    if (isRecord(tree)) return tree;
  } catch (error) {
    throw malformed(`invalid XML: ${error instanceof Error ? error.message.slice(0, 80) : ''}`);
  }
  throw malformed('invalid XML');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The text of child `name` (matched case-insensitively where the exact name is absent),
 * or undefined. An element with attributes yields its `#text`.
 */
export function childText(node: Record<string, unknown>, name: string): string | undefined {
  const key = Object.hasOwn(node, name)
    ? name
    : Object.keys(node).find((k) => k.toLowerCase() === name.toLowerCase());
  const value = key === undefined ? undefined : node[key];
  if (typeof value === 'string') return value;
  if (isRecord(value) && typeof value['#text'] === 'string') return value['#text'];
  if (isRecord(value)) return '';
  return undefined;
}

function requiredText(node: Record<string, unknown>, name: string): string {
  const value = childText(node, name);
  if (value === undefined || value === '') throw malformed(`missing ${name}`);
  return value;
}

export interface CatalogItem {
  deviceId: string;
  name: string;
  manufacturer?: string;
  model?: string;
  parentId?: string;
  civilCode?: string;
  status: 'ON' | 'OFF' | string;
  parental?: number;
  longitude?: number;
  latitude?: number;
  /** In a catalog Notify (§A.2.5.5): ON, OFF, VLOST, DEFECT, ADD, DEL or UPDATE. */
  event?: string;
}

export interface CatalogResponse {
  deviceId: string;
  sn: number;
  sumNum: number;
  items: CatalogItem[];
}

function catalogMalformed(reason: string): ArgusError {
  return new ArgusError(errorCodes.MANSCDP_MALFORMED, `Cannot read Catalog: ${reason}`);
}

/**
 * Reads one Catalog response page (GB/T 28181-2016 §A.2.6.4): SumNum, the DeviceList with
 * one or many Items. Optional fields that are empty or the literal "null" (seen from eXosip
 * devices) are left out; Name and Status are '' where absent or "null".
 * Also reads a catalog change Notify (§A.2.5.5), whose Items carry `event`.
 * @throws ArgusError MANSCDP_MALFORMED where CmdType is not Catalog, SumNum is missing (from
 *   a Response) or an Item has no DeviceID; MANSCDP_TOO_LARGE past CATALOG_MAX_ITEMS
 */
export function readCatalogResponse(m: ManscdpMessage): CatalogResponse {
  if (m.cmdType.toLowerCase() !== 'catalog') {
    throw catalogMalformed(`CmdType is ${m.cmdType}`);
  }
  const rawItems = listItems(m.fields['DeviceList']);
  // A change Notify may leave SumNum out: it then counts the Items it carries.
  const sumNumText = childText(m.fields, 'SumNum') ?? '';
  const counted = m.root === 'Notify' && sumNumText === '';
  if (!counted && !/^\d{1,9}$/.test(sumNumText)) {
    throw catalogMalformed(`invalid SumNum: ${JSON.stringify(sumNumText)}`);
  }
  const sumNum = counted ? rawItems.length : Number(sumNumText);
  const count = Math.max(sumNum, rawItems.length);
  if (count > CATALOG_MAX_ITEMS) {
    throw new ArgusError(
      errorCodes.MANSCDP_TOO_LARGE,
      `Cannot read Catalog: too many items: ${count} > ${CATALOG_MAX_ITEMS}`,
    );
  }
  const items = rawItems.map((raw, index) => readCatalogItem(raw, index));
  return { deviceId: m.deviceId, sn: m.sn, sumNum, items };
}

function listItems(list: unknown): unknown[] {
  if (!isRecord(list)) return [];
  const items = list['Item'];
  if (items === undefined) return [];
  return Array.isArray(items) ? items : [items];
}

function optionalText(node: Record<string, unknown>, name: string): string | undefined {
  const value = childText(node, name)?.trim();
  return value === undefined || value === '' || value.toLowerCase() === 'null' ? undefined : value;
}

function optionalNumber(node: Record<string, unknown>, name: string): number | undefined {
  const text = optionalText(node, name);
  const value = text === undefined ? NaN : Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function readCatalogItem(raw: unknown, index: number): CatalogItem {
  const node = isRecord(raw) ? raw : {};
  const deviceId = optionalText(node, 'DeviceID');
  if (deviceId === undefined) {
    throw catalogMalformed(`Item ${index + 1} has no DeviceID`);
  }
  const item: CatalogItem = {
    deviceId,
    name: optionalText(node, 'Name') ?? '',
    status: optionalText(node, 'Status') ?? '',
  };
  const texts = {
    manufacturer: 'Manufacturer',
    model: 'Model',
    parentId: 'ParentID',
    civilCode: 'CivilCode',
    event: 'Event',
  } as const;
  for (const [field, tag] of Object.entries(texts) as [keyof typeof texts, string][]) {
    const value = optionalText(node, tag);
    if (value !== undefined) item[field] = value;
  }
  const numbers = { parental: 'Parental', longitude: 'Longitude', latitude: 'Latitude' } as const;
  for (const [field, tag] of Object.entries(numbers) as [keyof typeof numbers, string][]) {
    const value = optionalNumber(node, tag);
    if (value !== undefined) item[field] = value;
  }
  return item;
}

/**
 * Joins the pages of one Catalog answer (same SN), keeping the last Item seen per DeviceID.
 * Complete once as many distinct items as the last page's SumNum have arrived.
 * @throws ArgusError MANSCDP_TOO_LARGE past CATALOG_MAX_ITEMS distinct items
 */
export function mergeCatalogPages(pages: CatalogResponse[]): {
  items: CatalogItem[];
  complete: boolean;
} {
  const byId = new Map<string, CatalogItem>();
  for (const page of pages) {
    for (const item of page.items) byId.set(item.deviceId, item);
  }
  if (byId.size > CATALOG_MAX_ITEMS) {
    throw new ArgusError(
      errorCodes.MANSCDP_TOO_LARGE,
      `Cannot read Catalog: too many items: ${byId.size} > ${CATALOG_MAX_ITEMS}`,
    );
  }
  const sumNum = pages.at(-1)?.sumNum ?? 0;
  return { items: [...byId.values()], complete: pages.length > 0 && byId.size >= sumNum };
}

/** An element to write: name, then text or children, then attributes. */
export type XmlElement = [
  name: string,
  content: string | number | XmlElement[],
  attributes?: Record<string, string | number>,
];

function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (ch) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' }[ch]};`,
  );
}

function writeElement([name, content, attributes = {}]: XmlElement): string {
  const attrs = Object.entries(attributes)
    .map(([key, value]) => ` ${key}="${escapeXml(String(value))}"`)
    .join('');
  const inner = Array.isArray(content)
    ? `\r\n${content.map(writeElement).join('')}`
    : escapeXml(String(content));
  return `<${name}${attrs}>${inner}</${name}>\r\n`;
}

/**
 * Builds a MANSCDP body `<root><CmdType/><SN/><DeviceID/>…children</root>`, declared and
 * encoded as GB2312 (GB18030 bytes for characters beyond it), as devices expect.
 */
export function buildManscdpBody(
  root: ManscdpRoot,
  cmdType: string,
  sn: number,
  deviceId: string,
  children: XmlElement[] = [],
): Uint8Array {
  const element: XmlElement = [
    root,
    [['CmdType', cmdType], ['SN', sn], ['DeviceID', deviceId], ...children],
  ];
  const text = `<?xml version="1.0" encoding="GB2312"?>\r\n${writeElement(element)}`;
  return new Uint8Array(iconv.encode(text, 'gb18030'));
}

/** A platform query (§A.2.4): Catalog, DeviceInfo or DeviceStatus. ASCII content. */
export function buildQuery(
  cmdType: 'Catalog' | 'DeviceInfo' | 'DeviceStatus',
  sn: number,
  deviceId: string,
): Uint8Array {
  return buildManscdpBody('Query', cmdType, sn, deviceId);
}

/** A device keepalive (§A.2.5.3): Notify, CmdType Keepalive, Status OK. */
export function buildKeepalive(sn: number, deviceId: string): Uint8Array {
  return buildManscdpBody('Notify', 'Keepalive', sn, deviceId, [['Status', 'OK']]);
}

function catalogItemElement(item: CatalogItem): XmlElement {
  const children: XmlElement[] = [
    ['DeviceID', item.deviceId],
    ['Name', item.name],
  ];
  if (item.manufacturer !== undefined) children.push(['Manufacturer', item.manufacturer]);
  if (item.model !== undefined) children.push(['Model', item.model]);
  if (item.civilCode !== undefined) children.push(['CivilCode', item.civilCode]);
  children.push(['Parental', item.parental ?? 0]);
  if (item.parentId !== undefined) children.push(['ParentID', item.parentId]);
  children.push(['RegisterWay', 1], ['Secrecy', 0], ['Status', item.status]);
  if (item.longitude !== undefined) children.push(['Longitude', item.longitude]);
  if (item.latitude !== undefined) children.push(['Latitude', item.latitude]);
  if (item.event !== undefined) children.push(['Event', item.event]);
  return ['Item', children];
}

/** One Catalog response page (§A.2.6.4): SumNum and a DeviceList of these items. */
export function buildCatalogResponse(r: CatalogResponse): Uint8Array {
  return buildManscdpBody('Response', 'Catalog', r.sn, r.deviceId, [
    ['SumNum', r.sumNum],
    ['DeviceList', r.items.map(catalogItemElement), { Num: r.items.length }],
  ]);
}

/**
 * A catalog change notification (§A.2.5.5, sent in a NOTIFY of a catalog subscription or a
 * MESSAGE): SumNum and a DeviceList whose Items carry an Event.
 */
export function buildCatalogNotify(r: CatalogResponse): Uint8Array {
  return buildManscdpBody('Notify', 'Catalog', r.sn, r.deviceId, [
    ['SumNum', r.sumNum],
    ['DeviceList', r.items.map(catalogItemElement), { Num: r.items.length }],
  ]);
}

/** What a device reports in a DeviceInfo response (§A.2.6.5). */
export interface DeviceInfo {
  deviceName: string;
  manufacturer: string;
  model: string;
  firmware: string;
  channels: number;
}

/** A DeviceInfo response: Result OK and the device's description. */
export function buildDeviceInfoResponse(
  sn: number,
  deviceId: string,
  info: DeviceInfo,
): Uint8Array {
  return buildManscdpBody('Response', 'DeviceInfo', sn, deviceId, [
    ['DeviceName', info.deviceName],
    ['Result', 'OK'],
    ['Manufacturer', info.manufacturer],
    ['Model', info.model],
    ['Firmware', info.firmware],
    ['Channel', info.channels],
  ]);
}
