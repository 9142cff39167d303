/** `squid export`: a browser-ready model (TF.js artifacts + squid.json) from a training run. */
import { Option, type Command } from 'commander';
import { QUANTIZATIONS, type Quantization } from '../../../core/io/quantize.js';
import { exportRun } from '../../export/exportRun.js';
import { exportOnnx } from '../../export/onnx/exportOnnx.js';
import { SQUID_TS_VERSION } from '../../api.js';
import { createSquid } from '../../../core/model/squid.js';
import { parseBackendChoice, useBackend } from '../../backend/select.js';
import { addBackendOption, addJsonOption, parseIntOption, printResult } from '../options.js';
import { SquidError } from '../../../core/util/errors.js';

interface ExportCliOptions {
  run: string;
  out: string;
  json?: boolean;
  quantize?: Quantization;
  format: 'tfjs' | 'onnx';
  batch?: number;
  backend: string;
}

async function exportOnnxVerb(opts: ExportCliOptions): Promise<void> {
  if (opts.quantize) throw new SquidError('--quantize applies to the tfjs format; the ONNX model is float32');
  const info = await exportOnnx(opts.run, opts.out, (preset) => createSquid(preset, { seed: 0 }), { batch: opts.batch ?? 1, version: SQUID_TS_VERSION });
  const th = info.threshold === null ? 'no threshold' : `threshold ${info.threshold.toFixed(4)}`;
  printResult(opts.json, { format: 'onnx', ...info }, () => [
    `squid: exported ${info.preset} as ONNX (opset ${info.opset}, ${(info.bytes / 2 ** 20).toFixed(1)} MB) to ${info.file}`,
    `       input "image" [${info.batch},${info.inputSize},${info.inputSize},1] grey in [0, 1]; outputs "score" (${info.score}, ${th}), "raw", ${info.threshold === null ? '' : '"abnormal", '}"reconstruction"`,
  ]);
}

export function register(program: Command): void {
  addJsonOption(addBackendOption(program
    .command('export')
    .description('write a trained run as a browser-ready model folder (model.json, 4 MB weight shards, squid.json), or as one ONNX model (--format onnx)')
    .requiredOption('--run <dir>', 'training run folder (made by `squid train`)')
    .requiredOption('--out <dir>', 'folder to write the export into')
    .addOption(new Option('--format <format>', 'tfjs: the browser app\'s folder; onnx: OUT/model.onnx, the scoring pass for onnxruntime').choices(['tfjs', 'onnx']).default('tfjs'))
    .addOption(new Option('--quantize <dtype>', 'store the weights as float16 (half the size) or uint8 (a quarter); default float32 (tfjs format)').choices(QUANTIZATIONS as string[]))
    .option('--batch <n>', 'images per call of the ONNX model, fixed in its graph (onnx format; default 1)', parseIntOption('--batch', 1))))
    .action(async (opts: ExportCliOptions) => {
      if (opts.format === 'onnx') {
        // the ONNX export runs the scoring pass to trace it
        await useBackend(parseBackendChoice(opts.backend));
        return exportOnnxVerb(opts);
      }
      if (opts.batch !== undefined) throw new SquidError('--batch applies to the onnx format; the tfjs export scores any number of images per call');
      // the tfjs export only moves tensors: tfjs-cpu is plenty, and says nothing
      await useBackend('cpu', { quiet: true });
      const info = await exportRun(opts.run, opts.out, (preset) => createSquid(preset, { seed: 0 }), { quantize: opts.quantize });
      const primary = info.scoring[info.primaryScore];
      const th = primary && Number.isFinite(primary.threshold) ? `threshold ${primary.threshold.toFixed(4)} (${primary.policy})` : 'no threshold';
      const result = { out: opts.out, files: info.files, quantization: opts.quantize ?? 'none', preset: info.preset.name, inputSize: info.inputSize, score: info.primaryScore, threshold: primary?.threshold ?? null };
      printResult(opts.json, result, () => [
        `squid: exported ${info.preset.name} (${info.inputSize}x${info.inputSize}, trained on ${info.training.data}, ${th}) to ${opts.out}`,
        '       open its files in the browser app (`squid serve-app`)',
      ]);
    });
}
