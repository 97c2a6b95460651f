/**
 * One error registry for Argus. Every failure that crosses a module boundary is an
 * `ArgusError` with a stable string code; the HTTP edge maps codes to statuses, so domain
 * code never speaks HTTP. Messages read "Cannot <action>: <reason>" and never carry secrets.
 */
export const errorCodes = {
  // Event store
  WRONG_EXPECTED_REVISION: 'ARGUS.EVENTSTORE.WRONG_EXPECTED_REVISION',
  STREAM_NOT_FOUND: 'ARGUS.EVENTSTORE.STREAM_NOT_FOUND',
  // Input from devices (SIP, SDP, MANSCDP, RTP, PS, codecs)
  SIP_MALFORMED: 'ARGUS.SIP.MALFORMED',
  SIP_TOO_LARGE: 'ARGUS.SIP.TOO_LARGE',
  SDP_MALFORMED: 'ARGUS.SDP.MALFORMED',
  MANSCDP_MALFORMED: 'ARGUS.MANSCDP.MALFORMED',
  MANSCDP_TOO_LARGE: 'ARGUS.MANSCDP.TOO_LARGE',
  RTP_MALFORMED: 'ARGUS.RTP.MALFORMED',
  PS_MALFORMED: 'ARGUS.PS.MALFORMED',
  PS_TOO_LARGE: 'ARGUS.PS.TOO_LARGE',
  CODEC_MALFORMED: 'ARGUS.CODEC.MALFORMED',
  CODEC_UNSUPPORTED: 'ARGUS.CODEC.UNSUPPORTED',
  // Domain and API
  VALIDATION: 'ARGUS.VALIDATION',
  UNAUTHENTICATED: 'ARGUS.AUTH.UNAUTHENTICATED',
  FORBIDDEN: 'ARGUS.AUTH.FORBIDDEN',
  NOT_FOUND: 'ARGUS.NOT_FOUND',
  CONFLICT: 'ARGUS.CONFLICT',
  BODY_TOO_LARGE: 'ARGUS.BODY_TOO_LARGE',
  UNAVAILABLE: 'ARGUS.UNAVAILABLE',
  INTERNAL: 'ARGUS.INTERNAL',
} as const;

export type ErrorCode = (typeof errorCodes)[keyof typeof errorCodes];

/** The base of every error Argus throws on purpose. `details` holds structured context. */
export class ArgusError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ArgusError';
    this.code = code;
    this.details = details;
  }
}

/** True where `error` is an ArgusError, optionally of the given code. */
export function isArgusError(error: unknown, code?: ErrorCode): error is ArgusError {
  return error instanceof ArgusError && (code === undefined || error.code === code);
}
