/**
 * Convolutions, matrix products, resizing and batch norm. ONNX's Conv wants
 * NCHW and OIHW: the input and filter are transposed in, the result back to
 * NHWC (onnxruntime folds the filter's transpose and cancels the pairs
 * between convolutions when it optimizes the graph).
 */
import { activation, attr, out0, type KernelContext, type KernelEmitter } from './context.js';

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];
const HWIO_TO_OIHW = [3, 2, 0, 1];

const pair = (v: number | number[]): [number, number] => (Array.isArray(v) ? [v[0] as number, (v[1] ?? v[0]) as number] : [v, v]);

/** TF's padding as ONNX pads [top, left, bottom, right]. */
function convPads(pad: unknown, inHW: [number, number], kHW: [number, number], strides: [number, number], dilations: [number, number]): number[] {
  if (pad === 'valid') return [0, 0, 0, 0];
  if (typeof pad === 'number') return [pad, pad, pad, pad];
  if (Array.isArray(pad)) {
    const p = pad as [number, number][];
    return [p[1]?.[0], p[2]?.[0], p[1]?.[1], p[2]?.[1]] as number[];
  }
  if (pad !== 'same') throw new Error(`convolution padding ${JSON.stringify(pad)} has no ONNX form in this export`);
  const before: number[] = [];
  const after: number[] = [];
  for (let i = 0; i < 2; i++) {
    const n = inHW[i] as number;
    const s = strides[i] as number;
    const total = Math.max((Math.ceil(n / s) - 1) * s + ((kHW[i] as number) - 1) * (dilations[i] as number) + 1 - n, 0);
    before.push(Math.floor(total / 2));
    after.push(total - Math.floor(total / 2));
  }
  return [...before, ...after];
}

/** Conv2D and FusedConv2D (x [N,H,W,C], filter [kh,kw,C,O], optional bias [O], activation). */
const conv2d: KernelEmitter = (c) => {
  if (((c.kernel.attrs.dataFormat as string | undefined) ?? 'NHWC') !== 'NHWC') throw new Error('only NHWC convolutions have an ONNX form in this export');
  const [, H, W] = c.shape('x') as [number, number, number, number];
  const [kh, kw] = c.shape('filter') as [number, number, number, number];
  const strides = pair(attr<number | number[]>(c, 'strides'));
  const dilations = pair((c.kernel.attrs.dilations as number | number[] | undefined) ?? 1);
  const pads = convPads(c.kernel.attrs.pad, [H, W], [kh, kw], strides, dilations);
  const { g } = c;
  const inputs = [g.op('Transpose', [c.input('x')], { perm: NHWC_TO_NCHW }), g.op('Transpose', [c.input('filter')], { perm: HWIO_TO_OIHW })];
  if (c.has('bias')) inputs.push(c.input('bias'));
  const y = g.op('Conv', inputs, { kernel_shape: [kh, kw], strides, dilations, pads, group: 1 });
  const nhwc = g.op('Transpose', [y], { perm: NCHW_TO_NHWC });
  activation(c, nhwc, out0(c));
};

/** x [..., m, k] . y [..., k, n], either transposed first. */
function matMul(c: KernelContext): string {
  const t = (name: string, flag: string): string => {
    const x = c.input(name);
    if (!c.kernel.attrs[flag]) return x;
    const r = c.shape(name).length;
    return c.g.op('Transpose', [x], { perm: [...Array(r - 2).keys(), r - 1, r - 2] });
  };
  return c.g.op('MatMul', [t('a', 'transposeA'), t('b', 'transposeB')]);
}

/** ONNX Resize over the two middle axes of NHWC (scale 1 on N and C); align corners, half pixel centres or TF's legacy asymmetric grid. */
const resize =
  (mode: 'linear' | 'nearest'): KernelEmitter =>
  (c) => {
    const [N, , , C] = c.shape('images') as [number, number, number, number];
    const [h, w] = attr<[number, number]>(c, 'size');
    const align = Boolean(c.kernel.attrs.alignCorners);
    const half = Boolean(c.kernel.attrs.halfPixelCenters);
    const transform = align ? 'align_corners' : half ? (mode === 'nearest' ? 'tf_half_pixel_for_nn' : 'half_pixel') : 'asymmetric';
    const nearest: Record<string, string> = mode === 'nearest' ? { nearest_mode: align ? 'round_prefer_ceil' : 'floor' } : {};
    c.g.op('Resize', [c.input('images'), '', '', c.g.int64s([N, h, w, C])], { mode, coordinate_transformation_mode: transform, ...nearest }, out0(c));
  };

export const NN_KERNELS: Record<string, KernelEmitter> = {
  Conv2D: conv2d,
  FusedConv2D: conv2d,
  BatchMatMul: (c) => void c.g.op('Identity', [matMul(c)], {}, out0(c)),
  _FusedMatMul: (c) => {
    const y = matMul(c);
    activation(c, c.has('bias') ? c.g.op('Add', [y, c.input('bias')]) : y, out0(c));
  },
  ResizeBilinear: resize('linear'),
  ResizeNearestNeighbor: resize('nearest'),
  // offset + (x - mean) * scale / sqrt(variance + epsilon), over the last axis
  FusedBatchNorm: (c) => {
    const { g } = c;
    const eps = g.constant([(c.kernel.attrs.varianceEpsilon as number | undefined) ?? 0.001], [], 'float32');
    let y = g.op('Div', [g.op('Sub', [c.input('x'), c.input('mean')]), g.op('Sqrt', [g.op('Add', [c.input('variance'), eps])])]);
    if (c.has('scale')) y = g.op('Mul', [y, c.input('scale')]);
    g.op(c.has('offset') ? 'Add' : 'Identity', c.has('offset') ? [y, c.input('offset')] : [y], {}, out0(c));
  },
};
