/** The picture fixtures (fixtures/README.md) as bytes and base64. */
import { readFileSync } from 'node:fs';

const read = (name: string) =>
  new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

/** A JFIF JPEG of 96×64 made by ffmpeg. */
export const jpeg = read('testsrc-96x64.jpg');
/** A PNG of 96×64 made by ffmpeg. */
export const png = read('testsrc2-96x64.png');

export const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
