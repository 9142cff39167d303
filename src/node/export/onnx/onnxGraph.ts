/**
 * An ONNX graph under construction, and its encoding as a model file
 * (ModelProto, through the onnx-proto package's protobuf definitions). Node
 * only (the export).
 */
import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';
import type * as tf from '@tensorflow/tfjs-core';

const { onnx } = onnxProto;

/** The ONNX opset the export targets (ONNX 1.12+, onnxruntime 1.12+). */
export const OPSET = 17;
/** IR version 8 carries opset 17. */
const IR_VERSION = 8;

export type OnnxDtype = 'float32' | 'int32' | 'int64' | 'bool';

const DATA_TYPE: Record<OnnxDtype, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** ONNX's dtype for a tfjs dtype (tfjs has no int64: shapes and indices are int32). */
export function onnxDtype(dtype: tf.DataType): OnnxDtype {
  if (dtype === 'float32' || dtype === 'int32' || dtype === 'bool') return dtype;
  throw new Error(`the ONNX export has no form for tfjs dtype ${dtype}`);
}

/** ONNX's number for a dtype (Cast's `to`). */
export function dataTypeOf(dtype: OnnxDtype): number {
  return DATA_TYPE[dtype];
}

/** An attribute value: a string, an int (a plain number), a float (float(x)) or ints (number[]). */
export type AttrValue = string | number | number[] | { float: number };
export const float = (x: number): { float: number } => ({ float: x });

function attribute(name: string, v: AttrValue): Onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: ${v} is not an integer (use float())`);
    return { name, type: T.INT, i: v };
  }
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  return { name, type: T.FLOAT, f: v.float };
}

function rawBytes(values: ArrayLike<number>, dtype: OnnxDtype): Uint8Array {
  const typed =
    dtype === 'float32' ? Float32Array.from(values) : dtype === 'int32' ? Int32Array.from(values) : dtype === 'int64' ? BigInt64Array.from(Array.from(values, (v) => BigInt(v))) : Uint8Array.from(values, (v) => (v ? 1 : 0));
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}

export interface GraphValue {
  name: string;
  dtype: OnnxDtype;
  shape: number[];
}

export class OnnxGraph {
  private readonly nodes: Onnx.INodeProto[] = [];
  private readonly initializers: Onnx.ITensorProto[] = [];
  private readonly used = new Set<string>();
  private count = 0;

  /** A name not used yet. */
  fresh(prefix = 'v'): string {
    let name: string;
    do name = `${prefix}_${this.count++}`;
    while (this.used.has(name));
    this.used.add(name);
    return name;
  }

  /** A constant (an initializer) of the given values; returns its name. */
  constant(values: ArrayLike<number>, shape: number[], dtype: OnnxDtype, name = this.fresh('const')): string {
    this.used.add(name);
    this.initializers.push({ name, dims: shape, dataType: DATA_TYPE[dtype], rawData: rawBytes(values, dtype) });
    return name;
  }

  /** A 1-D int64 constant (shapes, axes, pads). */
  int64s(values: readonly number[]): string {
    return this.constant(values, [values.length], 'int64');
  }

  /** Adds a node; outputs: the names to give (default one fresh name). Returns the output names. */
  node(op: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outputs: readonly string[] = [this.fresh(op.toLowerCase())]): string[] {
    for (const o of outputs) this.used.add(o);
    this.nodes.push({ opType: op, input: [...inputs], output: [...outputs], name: this.fresh(`n_${op}`), attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return [...outputs];
  }

  /** One-output node. */
  op(op: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    return this.node(op, inputs, attrs, output === undefined ? undefined : [output])[0] as string;
  }

  /** The model file. */
  encode(io: { inputs: GraphValue[]; outputs: GraphValue[]; name: string; producerVersion: string; metadata: Record<string, string>; doc: string }): Uint8Array {
    const valueInfo = (v: GraphValue): Onnx.IValueInfoProto => ({
      name: v.name,
      type: { tensorType: { elemType: DATA_TYPE[v.dtype], shape: { dim: v.shape.map((d) => ({ dimValue: d })) } } },
    });
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'squid-ts',
      producerVersion: io.producerVersion,
      docString: io.doc,
      metadataProps: Object.entries(io.metadata).map(([key, value]) => ({ key, value })),
      graph: { name: io.name, node: this.nodes, initializer: this.initializers, input: io.inputs.map(valueInfo), output: io.outputs.map(valueInfo) },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
