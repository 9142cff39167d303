/**
 * Picks the tfjs backend in the browser: webgl on a real GPU, else wasm,
 * else cpu (`?backend=wasm|webgl|cpu` forces one; software WebGL such as
 * SwiftShader is skipped for wasm). The wasm binaries are bundled
 * files served beside the page, never fetched from a CDN.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

export type BrowserBackend = 'webgl' | 'wasm' | 'cpu';
const ORDER: BrowserBackend[] = ['webgl', 'wasm', 'cpu'];

export interface BackendReport {
  name: BrowserBackend;
  /** Why earlier choices were skipped. */
  skipped: string[];
}

function absolute(url: string): string {
  return new URL(url, document.baseURI).href;
}

async function tryBackend(name: BrowserBackend): Promise<void> {
  if (name === 'wasm') {
    setWasmPaths({
      'tfjs-backend-wasm.wasm': absolute(wasmPlain),
      'tfjs-backend-wasm-simd.wasm': absolute(wasmSimd),
      'tfjs-backend-wasm-threaded-simd.wasm': absolute(wasmThreaded),
    });
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error('could not initialise');
  await tf.ready();
  // A tiny op proves the backend really runs (webgl can "initialise" and fail later).
  const probe = tf.tidy(() => tf.sum(tf.mul(tf.tensor1d([1, 2, 3]), 2)));
  const v = (await probe.data())[0];
  probe.dispose();
  if (v !== 12) throw new Error(`self-test gave ${String(v)}`);
}

/** The WebGL renderer's name when it is a software rasterizer (SwiftShader, llvmpipe), else null. */
function softwareWebgl(): string | null {
  try {
    const gl = document.createElement('canvas').getContext('webgl2') ?? document.createElement('canvas').getContext('webgl');
    if (!gl) return null;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return /swiftshader|llvmpipe|softpipe|software/i.test(renderer) ? renderer : null;
  } catch {
    return null;
  }
}

export async function initBackend(forced?: string | null): Promise<BackendReport> {
  const skipped: string[] = [];
  const isForced = Boolean(forced && (ORDER as string[]).includes(forced));
  const order = isForced ? [forced as BrowserBackend] : ORDER;
  for (const name of order) {
    if (name === 'webgl' && !isForced) {
      // WebGL emulated on the CPU is many times slower than wasm (measured by bench/browser.ts).
      const sw = softwareWebgl();
      if (sw) {
        const name = /swiftshader/i.test(sw) ? 'SwiftShader' : /llvmpipe/i.test(sw) ? 'llvmpipe' : 'software';
        skipped.push(`webgl: ${name} renders on the CPU, slower than wasm`);
        continue;
      }
    }
    try {
      await tryBackend(name);
      return { name, skipped };
    } catch (err) {
      skipped.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new Error(`no tfjs backend works here (${skipped.join('; ')})`);
}
