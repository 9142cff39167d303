/** The verbs of the `squid` command, in the order `--help` lists them. */
import type { Command } from 'commander';
import { register as doctor } from './doctor.js';

export type RegisterVerb = (program: Command) => void;

export const VERBS: RegisterVerb[] = [doctor];
