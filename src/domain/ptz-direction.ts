/**
 * What a PTZ or FI instruction asks, in the Huawei IVM northbound names (`angle-spin`). One
 * list for the API that validates it and the media node that encodes it as a PTZCmd.
 */
export const ptzDirections = [
  'LEFT',
  'UP',
  'RIGHT',
  'DOWN',
  'UPPER_LEFT',
  'UPPER_RIGHT',
  'LOWER_LEFT',
  'LOWER_RIGHT',
  'STOP',
  'IN',
  'OUT',
  'ZOOM_STOP',
  'FOCUS_FAR',
  'FOCUS_NEAR',
  'IRIS_OPEN',
  'IRIS_CLOSE',
  'FI_STOP',
] as const;

export type PtzDirection = (typeof ptzDirections)[number];
