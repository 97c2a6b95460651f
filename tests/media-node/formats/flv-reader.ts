import assert from 'node:assert/strict';

/** One FLV tag read back (FLV spec v10 §E.4.1). */
export interface ReadTag {
  type: number;
  timestamp: number;
  body: Uint8Array;
}

/**
 * Reads an FLV file (FLV spec v10 §E.2, §E.3): the header flags and every tag, asserting
 * the signature, DataOffset 9, StreamID 0 and each PreviousTagSize.
 */
export function readFlv(bytes: Uint8Array): { video: boolean; audio: boolean; tags: ReadTag[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 3)), 'FLV');
  assert.equal(view.getUint32(5), 9);
  assert.equal(view.getUint32(9), 0, 'PreviousTagSize0');
  const flags = view.getUint8(4);

  const tags: ReadTag[] = [];
  let at = 13;
  while (at < bytes.length) {
    const size = view.getUint32(at) & 0xffffff;
    const type = view.getUint8(at);
    const timestamp = ((view.getUint32(at + 4) >>> 8) | (view.getUint8(at + 7) << 24)) >>> 0;
    assert.equal(view.getUint32(at + 7) & 0xffffff, 0, 'StreamID');
    assert.equal(view.getUint32(at + 11 + size), 11 + size, 'PreviousTagSize');
    tags.push({ type, timestamp, body: bytes.subarray(at + 11, at + 11 + size) });
    at += 15 + size;
  }
  return { video: (flags & 0x01) !== 0, audio: (flags & 0x04) !== 0, tags };
}

/** Reads the tags of a list of tag buffers as written by flvTag. */
export function readTags(tags: Uint8Array[]): ReadTag[] {
  const header = Uint8Array.of(0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 9, 0, 0, 0, 0);
  const total = tags.reduce((sum, tag) => sum + tag.length, header.length);
  const file = new Uint8Array(total);
  file.set(header);
  let at = header.length;
  for (const tag of tags) {
    file.set(tag, at);
    at += tag.length;
  }
  return readFlv(file).tags;
}

/** The numbers of an onMetaData script tag body (AMF0 string, then an ECMA array of numbers). */
export function readMetadata(body: Uint8Array): Record<string, number> {
  const view = new DataView(body.buffer, body.byteOffset, body.length);
  const decoder = new TextDecoder();
  assert.equal(view.getUint8(0), 0x02);
  const nameLength = view.getUint16(1);
  assert.equal(decoder.decode(body.subarray(3, 3 + nameLength)), 'onMetaData');
  let at = 3 + nameLength;
  assert.equal(view.getUint8(at), 0x08);
  const count = view.getUint32(at + 1);
  at += 5;

  const fields: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const keyLength = view.getUint16(at);
    const key = decoder.decode(body.subarray(at + 2, at + 2 + keyLength));
    assert.equal(view.getUint8(at + 2 + keyLength), 0x00, `${key} is a number`);
    fields[key] = view.getFloat64(at + 3 + keyLength);
    at += 11 + keyLength;
  }
  return fields;
}

/** The FourCC of an Enhanced RTMP video tag body (bytes 1..4), as text. */
export function fourCc(body: Uint8Array): string {
  return new TextDecoder().decode(body.subarray(1, 5));
}
