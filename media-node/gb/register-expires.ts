/**
 * The lifetime a REGISTER asks for and the binding its 200 OK echoes (RFC 3261 §10.2.1.1,
 * §10.3 steps 6 and 8): a Contact's `expires` parameter wins over the Expires header; devices
 * write either, or neither.
 */
import { parseNameAddr, type SipRequest } from '../formats/sip-message.ts';

/** What a device gets where it asks for no lifetime, in seconds. */
export const DEFAULT_EXPIRES = 3600;

/**
 * The lifetime asked for: the first Contact's `expires`, else the Expires header, else the
 * default. A `Contact: *` (remove all bindings) goes by the Expires header.
 * @throws ArgusError SIP_MALFORMED where the Contact cannot be read
 */
export function requestedExpires(request: SipRequest): number {
  const contact = request.headers.get('Contact');
  if (contact !== undefined && contact.trim() !== '*') {
    const param = parseNameAddr(contact).params['expires'];
    if (typeof param === 'string' && /^\s*\d{1,10}\s*$/.test(param)) return Number(param);
  }
  const header = request.headers.get('Expires');
  if (header !== undefined && /^\s*\d{1,10}\s*$/.test(header)) return Number(header);
  return DEFAULT_EXPIRES;
}

/**
 * The Contact value a 200 OK echoes: the device's first binding with the lifetime granted,
 * or undefined where it gave none (or `*`).
 * @throws ArgusError SIP_MALFORMED where the Contact cannot be read
 */
export function contactBinding(request: SipRequest, expires: number): string | undefined {
  const contact = request.headers.get('Contact');
  if (contact === undefined || contact.trim() === '*') return undefined;
  return `<${parseNameAddr(contact).uri}>;expires=${expires}`;
}
