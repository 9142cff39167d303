/**
 * Filling a model's patch memory from its training data (Node side of
 * core/score/patchMemoryFill.ts). The memory takes images after the first
 * `statsImages` (those give the score statistics), so no image that
 * standardizes a score also sits in the memory.
 */
import type { SquidModel } from '../../core/model/types.js';
import { fillPatchMemory, PATCH_MEMORY_STATS_IMAGES } from '../../core/score/patchMemoryFill.js';
import type { BatchSource } from './sources.js';

/** Fills the memory (nothing without one); true when it filled. */
export function refreshPatchMemory(model: SquidModel, source: BatchSource, statsImages = 200): boolean {
  const pm = model.preset.model.patchMemory;
  if (!pm) return false;
  const pixels = source.sample(pm.slots + PATCH_MEMORY_STATS_IMAGES, statsImages);
  fillPatchMemory(model, pixels, source.size, pm.slots);
  return true;
}
