/** `squid doctor`: which backend runs, with how many threads, the oneDNN version, and why not native. */
import type { Command } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, parseBackendChoice } from '../../backend/select.js';
import { addBackendOption, addJsonOption, printResult } from '../options.js';

function convAlgorithms(isa: string | undefined): string {
  if (!isa) return 'tfjs-cpu';
  if (process.env.SQUID_CONV_WINOGRAD === '0') return 'direct (Winograd off: SQUID_CONV_WINOGRAD=0)';
  return isa.startsWith('avx512_core') ? 'Winograd F(4x4,3x3) for 3x3 stride 1, direct otherwise' : 'direct (Winograd needs AVX-512)';
}

export function register(program: Command): void {
  addJsonOption(addBackendOption(
    program.command('doctor').description('print the compute backend, its threads, the oneDNN version and any load failure'),
  )).action(async (opts: { backend: string; json?: boolean }) => {
    const info = await useBackend(parseBackendChoice(opts.backend), { quiet: true });
    const nativeKernels = info.name === 'native' ? (await import('../../backend/nativeBackend.js')).nativeKernelNames() : [];
    const kernels = nativeKernels.length > 0 ? `${nativeKernels.length} native (${nativeKernels.join(', ')}); the rest tfjs-cpu` : 'none (every kernel is tfjs-cpu JavaScript)';
    const result = {
      backend: info.name,
      tfjsCore: tf.version_core,
      threads: info.threads ?? null,
      onednn: info.onednnVersion ?? null,
      cpuIsa: info.cpuIsa ?? null,
      convolutions: convAlgorithms(info.cpuIsa),
      nativeKernels,
      nativeUnavailable: info.fallbackReason ?? null,
      node: process.version,
    };
    printResult(opts.json, result, () => [
      `backend: ${info.name}`,
      `tfjs-core: ${tf.version_core}`,
      `threads: ${info.threads ?? 'n/a (JavaScript, single thread)'}${info.threads ? ' (OpenMP; set SQUID_THREADS to change)' : ''}`,
      `oneDNN: ${info.onednnVersion ? `${info.onednnVersion}, ISA ${info.cpuIsa ?? '?'}` : 'not loaded'}`,
      `convolutions: ${convAlgorithms(info.cpuIsa)}`,
      `kernels: ${kernels}`,
      `native: ${info.fallbackReason ? `unavailable: ${info.fallbackReason}` : info.name === 'cpu' ? 'not requested (--backend cpu)' : 'ok'}`,
      `node: ${process.version}`,
    ]);
  });
}
