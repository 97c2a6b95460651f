/**
 * The one place that maps Argus error codes to HTTP statuses and northbound `IVM.*` codes.
 * Bodies are `{error_code, error_msg, request_id}` (DESIGN.md, Northbound API).
 */
import { ArgusError, errorCodes, type ErrorCode } from '../errors.ts';

interface HttpMapping {
  readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 500 | 503;
  readonly ivmCode: string;
}

const mappings: Partial<Record<ErrorCode, HttpMapping>> = {
  [errorCodes.VALIDATION]: { status: 400, ivmCode: 'IVM.10000001' },
  [errorCodes.UNAUTHENTICATED]: { status: 401, ivmCode: 'IVM.10000002' },
  [errorCodes.FORBIDDEN]: { status: 403, ivmCode: 'IVM.10000003' },
  [errorCodes.NOT_FOUND]: { status: 404, ivmCode: 'IVM.10000004' },
  [errorCodes.CONFLICT]: { status: 409, ivmCode: 'IVM.10000005' },
  [errorCodes.WRONG_EXPECTED_REVISION]: { status: 409, ivmCode: 'IVM.10000005' },
  [errorCodes.BODY_TOO_LARGE]: { status: 413, ivmCode: 'IVM.10000006' },
  [errorCodes.UNAVAILABLE]: { status: 503, ivmCode: 'IVM.10000007' },
};

const internal: HttpMapping = { status: 500, ivmCode: 'IVM.10000000' };

/** Success code in batch results. */
export const ivmSuccess = 'IVM.0';

export function httpMapping(error: unknown): HttpMapping {
  return error instanceof ArgusError ? (mappings[error.code] ?? internal) : internal;
}

/**
 * The message callers see: an unexpected error's, or that of an error with no mapping, is not
 * shown, as it may carry internals (paths, SQL, addresses).
 */
function publicMessage(error: unknown, mapping: HttpMapping): string {
  return error instanceof ArgusError && mapping !== internal ? error.message : 'Internal error';
}

/** The error body. */
export function errorBody(error: unknown, requestId: string) {
  const mapping = httpMapping(error);
  return {
    error_code: mapping.ivmCode,
    error_msg: publicMessage(error, mapping),
    request_id: requestId,
  };
}

/** A per-item result of a batch call, with the same codes and messages as an error body. */
export function batchResult(error?: unknown): { code: string; msg: string } {
  if (error === undefined) return { code: ivmSuccess, msg: 'Success' };
  const mapping = httpMapping(error);
  return { code: mapping.ivmCode, msg: publicMessage(error, mapping) };
}

/** A refused item's reason for a log line: code and message, without a stack. */
export function describe(error: unknown): string {
  return error instanceof ArgusError ? `${error.code}: ${error.message}` : String(error);
}
