/** Element-wise kernels: the same op in ONNX, broadcasting as tfjs does (numpy rules). */
import { attr, out0, type KernelEmitter } from './context.js';
import { dataTypeOf, float, onnxDtype } from '../onnxGraph.js';
import type * as tf from '@tensorflow/tfjs-core';

const unary =
  (op: string): KernelEmitter =>
  (c) =>
    void c.g.op(op, [c.input('x')], {}, out0(c));

const binary =
  (op: string): KernelEmitter =>
  (c) =>
    void c.g.op(op, [c.input('a'), c.input('b')], {}, out0(c));

export const ELEMENTWISE_KERNELS: Record<string, KernelEmitter> = {
  Abs: unary('Abs'),
  Ceil: unary('Ceil'),
  Elu: unary('Elu'),
  Erf: unary('Erf'),
  Exp: unary('Exp'),
  Floor: unary('Floor'),
  Identity: unary('Identity'),
  Log: unary('Log'),
  LogicalNot: unary('Not'),
  Neg: unary('Neg'),
  Reciprocal: unary('Reciprocal'),
  Relu: unary('Relu'),
  Sigmoid: unary('Sigmoid'),
  Sign: unary('Sign'),
  Sqrt: unary('Sqrt'),
  Tanh: unary('Tanh'),
  Rsqrt: (c) => void c.g.op('Reciprocal', [c.g.op('Sqrt', [c.input('x')])], {}, out0(c)),
  Square: (c) => void c.g.op('Mul', [c.input('x'), c.input('x')], {}, out0(c)),
  Relu6: (c) => void c.g.op('Clip', [c.input('x'), c.g.constant([0], [], 'float32'), c.g.constant([6], [], 'float32')], {}, out0(c)),
  LeakyRelu: (c) => void c.g.op('LeakyRelu', [c.input('x')], { alpha: float(attr<number>(c, 'alpha')) }, out0(c)),
  Prelu: (c) => void c.g.op('PRelu', [c.input('x'), c.input('alpha')], {}, out0(c)),
  Cast: (c) => void c.g.op('Cast', [c.input('x')], { to: dataTypeOf(onnxDtype(attr<tf.DataType>(c, 'dtype'))) }, out0(c)),
  ClipByValue: (c) =>
    void c.g.op('Clip', [c.input('x'), c.g.constant([attr<number>(c, 'clipValueMin')], [], 'float32'), c.g.constant([attr<number>(c, 'clipValueMax')], [], 'float32')], {}, out0(c)),

  Add: binary('Add'),
  Sub: binary('Sub'),
  Multiply: binary('Mul'),
  RealDiv: binary('Div'),
  Maximum: binary('Max'),
  Minimum: binary('Min'),
  Pow: binary('Pow'),
  Greater: binary('Greater'),
  GreaterEqual: binary('GreaterOrEqual'),
  Less: binary('Less'),
  LessEqual: binary('LessOrEqual'),
  Equal: binary('Equal'),
  LogicalAnd: binary('And'),
  LogicalOr: binary('Or'),
  NotEqual: (c) => void c.g.op('Not', [c.g.op('Equal', [c.input('a'), c.input('b')])], {}, out0(c)),
  SquaredDifference: (c) => {
    const d = c.g.op('Sub', [c.input('a'), c.input('b')]);
    c.g.op('Mul', [d, d], {}, out0(c));
  },
  AddN: (c) => void c.g.op('Sum', Object.keys(c.kernel.inputs).map((k) => c.input(k)), {}, out0(c)),
  Select: (c) => void c.g.op('Where', [c.input('condition'), c.input('t'), c.input('e')], {}, out0(c)),
};
