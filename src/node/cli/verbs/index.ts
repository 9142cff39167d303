/** The verbs of the `squid` command, in the order `--help` lists them. */
import type { Command } from 'commander';
import { register as doctor } from './doctor.js';
import { register as info } from './info.js';
import { register as config } from './config.js';
import { register as digitanatomy } from './digitanatomy.js';
import { register as report } from './report.js';
import { register as train } from './train.js';
import { register as score } from './score.js';
import { register as evalVerb } from './eval.js';
import { register as exportVerb } from './export.js';
import { register as serveApp } from './serve-app.js';

export type RegisterVerb = (program: Command) => void;

export const VERBS: RegisterVerb[] = [doctor, info, config, digitanatomy, train, score, evalVerb, report, exportVerb, serveApp];
