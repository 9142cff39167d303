/** Errors the user can act on: the CLI prints only their message (no stack). */
export class SquidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SquidError';
  }
}

/** A file or folder given by the user is missing, malformed or inconsistent. */
export class InputError extends SquidError {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'InputError';
  }
}
