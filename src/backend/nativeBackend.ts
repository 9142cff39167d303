/** Placeholder until the native addon lands (issue 3): always unavailable. */
import type { BackendInfo } from './select.js';

export async function registerNativeBackend(): Promise<BackendInfo> {
  throw new Error('the native addon is not part of this build yet');
}
