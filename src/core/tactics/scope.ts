/**
 * Whether a model is compiled for inference (compile.ts): while it is,
 * inference forms derived from its weights (batch norm folded into
 * convolutions, constant filter copies) may be made and kept; they are
 * dropped when the last compile is released or the weights are replaced
 * (setState). Training while compiled is refused: the forms would go stale.
 * One per model (its ParamStore owns it); no global state. Browser-safe.
 */
export class InferenceScope {
  private depth = 0;
  private readonly caches: (() => void)[] = [];

  /** Whether inference forms may be used now. */
  get active(): boolean {
    return this.depth > 0;
  }

  /** Registers a cache of derived tensors, dropped on release and on invalidate. */
  register(release: () => void): void {
    this.caches.push(release);
  }

  enter(): void {
    this.depth++;
  }

  exit(): void {
    if (this.depth === 0) throw new Error('InferenceScope: released more often than compiled');
    this.depth--;
    if (this.depth === 0) this.invalidate();
  }

  /** Drops every derived form (the weights changed); they are made again on next use. */
  invalidate(): void {
    for (const release of this.caches) release();
  }

  /** Throws when compiled: training would move weights under the derived forms. */
  assertTrainable(): void {
    if (this.active) throw new Error('the model is compiled for inference: release the compiled form (compileForInference) before training it');
  }
}
