/**
 * Pictures as clients send them: base64 text, decoded within a size limit, whose content type
 * is read from the bytes (JPEG or PNG signature), never from what the client claims.
 */
import { ArgusError, errorCodes } from '../errors.ts';

/** Largest picture accepted, decoded: 512 KiB. Three of them fit the API's 1 MiB body. */
export const maxPictureBytes = 512 * 1024;

/** Longest base64 text of a picture of `maxPictureBytes`. */
export const maxPictureBase64Length = Math.ceil(maxPictureBytes / 3) * 4;

export type PictureContentType = 'image/jpeg' | 'image/png';

export interface DecodedPicture {
  readonly bytes: Uint8Array;
  readonly contentType: PictureContentType;
}

const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;
const pngSignature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * The content type the bytes announce: JPEG (SOI marker FF D8 followed by a marker, ITU-T
 * T.81 §B.2) or PNG (the 8-byte signature, ISO/IEC 15948 §5.2); undefined for anything else.
 */
export function sniffPictureType(bytes: Uint8Array): PictureContentType | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return 'image/jpeg';
  }
  if (bytes.length >= 8 && pngSignature.every((b, i) => bytes[i] === b)) return 'image/png';
  return undefined;
}

/**
 * Decodes one picture. `field` names it in messages (`items.0.pictures.original`).
 * @throws ArgusError VALIDATION where the text is not base64, the picture is larger than
 * `maxPictureBytes`, or it is neither JPEG nor PNG
 */
export function decodePicture(field: string, base64: string): DecodedPicture {
  if (base64.length > maxPictureBase64Length) {
    throw invalid(field, `larger than ${maxPictureBytes} bytes`);
  }
  if (base64.length % 4 !== 0 || !base64Pattern.test(base64)) {
    throw invalid(field, 'not base64');
  }
  const bytes = fromBase64(base64);
  if (bytes.length > maxPictureBytes) {
    throw invalid(field, `larger than ${maxPictureBytes} bytes: ${bytes.length}`);
  }
  const contentType = sniffPictureType(bytes);
  if (contentType === undefined) throw invalid(field, 'neither JPEG nor PNG');
  return { bytes, contentType };
}

function fromBase64(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function invalid(field: string, reason: string): ArgusError {
  return new ArgusError(errorCodes.VALIDATION, `Cannot accept picture ${field}: ${reason}`, {
    fields: [{ field, message: reason }],
  });
}

/** The file extension of a content type, for keys that say what they hold. */
export function pictureExtension(contentType: PictureContentType): 'jpg' | 'png' {
  return contentType === 'image/png' ? 'png' : 'jpg';
}
