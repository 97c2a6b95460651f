/**
 * MediaStatus notifications (GB/T 28181-2016 §9.8.2, §A.2.5.5): a device tells the platform
 * that a playback or download reached its end with a Notify of CmdType MediaStatus and
 * NotifyType 121, in a MESSAGE of the session's dialog (its Call-ID). Whoever holds history
 * sessions listens here.
 */
import { childText, type ManscdpMessage } from '../formats/manscdp.ts';

/** The NotifyType of the end of a history stream. */
export const MEDIA_STATUS_END = '121';

export interface MediaStatusNotice {
  /** The registered device that sent it. */
  readonly deviceId: string;
  /** The MESSAGE's Call-ID: the dialog's, from devices that send it in the dialog. */
  readonly callId: string;
  /** The body's DeviceID: the channel, or the device. */
  readonly bodyDeviceId: string;
  readonly notifyType: string;
}

export type MediaStatusListener = (notice: MediaStatusNotice) => void;

export class MediaStatusNotices {
  readonly #listeners = new Set<MediaStatusListener>();

  /** Adds a listener; returns the function that removes it. */
  listen(listener: MediaStatusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Offers a device's MANSCDP message; true where it was a MediaStatus notify. */
  offer(deviceId: string, callId: string, message: ManscdpMessage): boolean {
    if (message.root !== 'Notify' || message.cmdType !== 'MediaStatus') return false;
    const notifyType = childText(message.fields, 'NotifyType')?.trim() ?? '';
    const notice = { deviceId, callId, bodyDeviceId: message.deviceId, notifyType };
    for (const listener of this.#listeners) listener(notice);
    return true;
  }
}
