/**
 * Loads the oneDNN addon built by scripts/build-native.mjs
 * (native/build/Release/squid_native.node) and describes its functions.
 * Node only. Every function checks its arguments in C++ and throws a JS
 * error on a mismatch; callers still pass exact shapes.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Conv geometry: [strideH, strideW, dilationH, dilationW, padTop, padBottom, padLeft, padRight]. */
export type ConvParams = [number, number, number, number, number, number, number, number];
export type Shape4 = [number, number, number, number];

export interface NativeInfo {
  onednn: string;
  threads: number;
  ompMaxThreads: number;
  cpuRuntime: string;
}

export interface NativeAddon {
  info(): NativeInfo;
  setThreads(n: number): number;
  /** y = act(conv(x, w) + bias); x [N,H,W,C], w [KH,KW,C,O], y [N,OH,OW,O]. act: see ACTIVATION_CODES. */
  conv2d(
    x: Float32Array, xShape: Shape4, w: Float32Array, wShape: Shape4, bias: Float32Array | null,
    y: Float32Array, yShape: Shape4, params: ConvParams, act: number, alpha: number,
  ): void;
  conv2dBackpropInput(
    dy: Float32Array, dyShape: Shape4, w: Float32Array, wShape: Shape4, dx: Float32Array, dxShape: Shape4, params: ConvParams,
  ): void;
  conv2dBackpropFilter(
    x: Float32Array, xShape: Shape4, dy: Float32Array, dyShape: Shape4, dw: Float32Array, wShape: Shape4, params: ConvParams,
  ): void;
}

/** Fused activation codes understood by the addon. */
export const ACTIVATION_CODES: Readonly<Record<string, number>> = {
  linear: 0, relu: 1, relu6: 2, leakyrelu: 3, sigmoid: 4, elu: 5,
};

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'native'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the squid-ts package root (with native/) above ' + fileURLToPath(import.meta.url));
}

let cached: NativeAddon | undefined;

/** Loads the addon or throws an Error saying why it is unavailable. */
export function loadAddon(): NativeAddon {
  if (cached) return cached;
  if (process.env.SQUID_NATIVE_DISABLE === '1') throw new Error('disabled by SQUID_NATIVE_DISABLE=1');
  const root = repoRoot();
  const file = join(root, 'native', 'build', 'Release', 'squid_native.node');
  if (!existsSync(file)) {
    let why = 'native/build/Release/squid_native.node is missing';
    const status = join(root, 'native', 'build', 'status.json');
    if (existsSync(status)) {
      try {
        const s = JSON.parse(readFileSync(status, 'utf8')) as { ok?: boolean; reason?: string };
        if (s.ok === false && s.reason) why += ` (build: ${s.reason})`;
      } catch {
        // an unreadable status file adds nothing
      }
    } else {
      why += ' (run `npm run build:native`)';
    }
    throw new Error(why);
  }
  // libgomp reads this once when it loads: idle OpenMP workers sleep instead
  // of spinning while JavaScript runs between kernels (2 shared cores).
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  const req = createRequire(import.meta.url);
  try {
    cached = req(file) as NativeAddon;
  } catch (err) {
    throw new Error(`cannot load ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return cached;
}
