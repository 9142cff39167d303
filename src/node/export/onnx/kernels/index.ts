/**
 * The one list of tfjs kernels the ONNX export can write, each with its
 * ONNX form. A kernel missing here stops the export with its name: adding
 * one is an entry in the file of its kind.
 */
import type { KernelEmitter } from './context.js';
import { ELEMENTWISE_KERNELS } from './elementwise.js';
import { NN_KERNELS } from './nn.js';
import { REDUCE_KERNELS } from './reduce.js';
import { SHAPE_KERNELS } from './shape.js';

export type { KernelContext, KernelEmitter } from './context.js';

export const ONNX_KERNELS: Readonly<Record<string, KernelEmitter>> = { ...ELEMENTWISE_KERNELS, ...REDUCE_KERNELS, ...SHAPE_KERNELS, ...NN_KERNELS };
