import type { ArgusConfig } from '../config.ts';
import type { CallbackSettings } from './callback-verification.ts';
import type { DeliveryPolicy } from './delivery-policy.ts';

/** Callback registration settings from the configuration. */
export function callbackSettings(config: ArgusConfig): CallbackSettings {
  return {
    timeoutMs: config.ARGUS_CALLBACK_TIMEOUT_MS,
    allowPrivate: config.ARGUS_CALLBACK_ALLOW_PRIVATE,
  };
}

/** Delivery settings from the configuration: a delivery has as long as the test message. */
export function deliveryPolicy(config: ArgusConfig): Partial<DeliveryPolicy> {
  return { timeoutMs: config.ARGUS_CALLBACK_TIMEOUT_MS };
}
