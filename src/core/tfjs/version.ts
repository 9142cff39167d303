/**
 * The one version check of the tfjs-internals patches in this folder
 * (detach.ts, tapePause.ts, leanBackprop.ts): they reach into tfjs-core's
 * engine (tape state, addTapeNode, data-id reference counts) as it is in the
 * versions listed here. Another tfjs-core must be checked by their tests
 * (test/node/backend/lean.test.ts, test/core/squid/components.test.ts) before it is
 * added.
 */
import * as tf from '@tensorflow/tfjs-core';

/** tfjs-core major.minor versions whose engine internals the patches were written and tested against. */
export const PATCHED_TFJS_VERSIONS: readonly string[] = ['4.22'];

/** Whether `version` (default: the loaded tfjs-core's) is one the patches know. */
export function tfjsInternalsKnown(version: string = tf.version_core): boolean {
  return PATCHED_TFJS_VERSIONS.includes(version.split('.').slice(0, 2).join('.'));
}

/** Throws a clear error, naming the patch, when the loaded tfjs-core is not a known one. */
export function requireKnownTfjs(patch: string, version: string = tf.version_core): void {
  if (!tfjsInternalsKnown(version)) {
    throw new Error(
      `${patch} patches tfjs-core internals known for ${PATCHED_TFJS_VERSIONS.join(', ')}, but tfjs-core ${version} is loaded; ` +
        'pin @tensorflow/tfjs-core to a known version (src/core/tfjs/version.ts)',
    );
  }
}
