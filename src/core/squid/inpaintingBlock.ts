/**
 * In-painting block, on the per-patch bottleneck [B*N, s, s, C] (N = P*P):
 * 1. q = ReLU(BN(conv1x1(C->c, no bias))), flattened: [B*N, d], d = c*s*s
 * 2. memory read n_i (space-aware queue per position, Gumbel top-k)
 * 3. transformer: query q_i, keys = values = read-outs n_j of the 8
 *    neighbours in the P x P grid (zeros beyond the border), 8-head
 *    attention; n = ReLU(LN(attn) + n_i); n = ReLU(LN(FF(n)) + n)
 * 4. n -> [B*N, s, s, c] ++ binary position code -> conv1x1 -> BN -> ReLU
 * 5. masked shortcut with the block input (training only)
 * zhanglab: 512@4x4 -> q 2048-d -> 131@4x4 -> 512@4x4
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from '../model/params.js';
import type { ModelConfig } from './presets.js';
import { ConvBnRelu, LayerNorm, Linear, type MapLayer } from './layers.js';
import { trainingRng, type ForwardContext } from './context.js';
import { MemoryQueue } from './memoryQueue.js';
import { MemoryMatrix } from './memoryMatrix.js';
import { MultiHeadAttention } from './multiHeadAttention.js';
import { positionBits, positionCode } from './positionCode.js';
import { maskedShortcut } from './maskedShortcut.js';

export interface InpaintingOutput {
  /** [B*N, s, s, C] */
  features: tf.Tensor4D;
  /** [B*N, d] the queries (not detached) */
  queries: tf.Tensor2D;
}

/** Indices of the 8 neighbours of each grid position (row-major); N = outside (zero row). [N*8] */
export function neighbourIndex(perSide: number): Int32Array {
  const N = perSide * perSide;
  const out = new Int32Array(N * 8);
  let o = 0;
  for (let r = 0; r < perSide; r++) {
    for (let c = 0; c < perSide; c++) {
      for (let dr = -1; dr <= 1; dr++) {
        for (let dc = -1; dc <= 1; dc++) {
          if (dr === 0 && dc === 0) continue;
          const rr = r + dr;
          const cc = c + dc;
          out[o++] = rr >= 0 && rr < perSide && cc >= 0 && cc < perSide ? rr * perSide + cc : N;
        }
      }
    }
  }
  return out;
}

/**
 * Attention score bias [N, N+1] over the tokens [read-out 0..N-1, zero]:
 * log(how often token t is among patch i's 8 keys), -1e9 when never. With
 * it, attending over the shared tokens equals attending over each patch's
 * 8 neighbours (the zero token counted once per missing neighbour).
 */
export function neighbourScoreBias(perSide: number): tf.Tensor2D {
  const N = perSide * perSide;
  let bias = scoreBiasValues.get(perSide);
  if (!bias) {
    const counts = new Float32Array(N * (N + 1));
    neighbourIndex(perSide).forEach((t, j) => (counts[Math.floor(j / 8) * (N + 1) + t] += 1));
    bias = counts.map((c) => (c > 0 ? Math.log(c) : -1e9));
    scoreBiasValues.set(perSide, bias);
  }
  return tf.tensor2d(bias.slice(), [N, N + 1]); // a copy: tensors may take ownership of their array
}
const scoreBiasValues = new Map<number, Float32Array>();

export class InpaintingBlock {
  readonly memory: MemoryQueue | MemoryMatrix;
  readonly queryDim: number;
  /** ReLU(BN(conv1x1(C -> c, no bias))) */
  bottleneck1: MapLayer;
  private readonly attention: MultiHeadAttention;
  private readonly norm1: LayerNorm;
  private readonly ff1: Linear;
  private readonly ff2: Linear;
  private readonly norm2: LayerNorm;
  /** ReLU(BN(conv1x1(c + code -> C))) */
  bottleneck2: MapLayer;
  private readonly positions: number;

  constructor(store: ParamStore, name: string, private readonly config: ModelConfig, readonly channels: number, readonly side: number) {
    const c = config.inpaintChannels;
    this.positions = config.patchesPerSide ** 2;
    this.queryDim = c * side * side;
    const d = this.queryDim;
    this.bottleneck1 = new ConvBnRelu(store, `${name}/bottleneck1`, channels, c, 1, false);
    const numMem = config.ablation.spaceAwareMemory ? this.positions : 1;
    this.memory =
      config.ablation.memoryKind === 'queue'
        ? new MemoryQueue(store, `${name}/queue`, numMem, config.memorySlots, d)
        : new MemoryMatrix(store, `${name}/matrix`, numMem, config.memorySlots, d);
    this.attention = new MultiHeadAttention(store, `${name}/attention`, d, config.attentionHeads);
    this.norm1 = new LayerNorm(store, `${name}/norm1`, d);
    this.ff1 = new Linear(store, `${name}/ff1`, d, config.feedForwardDim);
    this.ff2 = new Linear(store, `${name}/ff2`, config.feedForwardDim, d);
    this.norm2 = new LayerNorm(store, `${name}/norm2`, d);
    this.bottleneck2 = new ConvBnRelu(store, `${name}/bottleneck2`, c + positionBits(this.positions), channels, 1, true);
  }

  /** x [B*N, s, s, C] */
  apply(x: tf.Tensor4D, ctx: ForwardContext): InpaintingOutput {
    const m = this.config;
    const N = this.positions;
    const [bn4, s] = x.shape;
    const B = bn4 / N;
    const d = this.queryDim;
    const c = m.inpaintChannels;

    const f = this.bottleneck1.apply(x, ctx); // [B*N,s,s,c]
    const q = tf.reshape(f, [B * N, d]);

    // memory read: [Q, rows, d]
    const grouped = this.memory instanceof MemoryQueue ? this.memory.numQueues : this.memory.numMemories;
    const qm = grouped === 1 ? tf.reshape(q, [1, B * N, d]) : tf.transpose(tf.reshape(q, [B, N, d]), [1, 0, 2]);
    const read = this.memory.read(qm as tf.Tensor3D, m.shrinkageTopK, m.ablation.gumbelShrinkage, ctx.training ? 'train' : 'inference');
    const nRead = grouped === 1 ? tf.reshape(read, [B, N, d]) : tf.transpose(read, [1, 0, 2]); // [B,N,d]

    // keys = values = the read-outs of the 8 neighbours, a zero token for each
    // one beyond the border: tokens [B, N+1, d] (token N = zeros), attended
    // with a bias of log(multiplicity) of each token among a patch's 8 keys
    const tokens = tf.concat([nRead, tf.zeros([B, 1, d])], 1) as tf.Tensor3D;
    const attn = this.attention.attend(tf.reshape(q, [B, N, d]), tokens, neighbourScoreBias(m.patchesPerSide));

    const nSelf = tf.reshape(nRead, [B * N, d]);
    let n = tf.relu(tf.add(this.norm1.apply(tf.reshape(attn, [B * N, d])), nSelf));
    n = tf.relu(tf.add(this.norm2.apply(this.ff2.apply(this.ff1.apply(n, 'relu'))), n));

    const withCode = tf.concat([tf.reshape(n, [B * N, s, s, c]), positionCode(B, N, s)], 3);
    const out = this.bottleneck2.apply(withCode as tf.Tensor4D, ctx);
    const masked = ctx.training && m.ablation.maskedShortcut;
    const features = masked ? maskedShortcut(out, x, trainingRng(ctx, 'the in-painting block'), m.maskKeepProb) : out;
    return { features, queries: q as tf.Tensor2D };
  }
}
