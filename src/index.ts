/** Library entry point of squid-ts. */
export { useBackend, type BackendChoice, type BackendInfo } from './backend/select.js';
export { Rng, type RngState } from './util/rng.js';
export { SquidError, InputError } from './util/errors.js';
