// Exit codes scripts can rely on (documented in `pylambda --help` and docs/cli.md), and the one
// error type the commands throw to end with a message and one of them.

export const EXIT = {
  /** Rendered, or the function answered 2xx, or `--serve` stopped cleanly. */
  ok: 0,
  /** Bad usage or input: options, the file, its YAML, the spec, the event. */
  input: 1,
  /** The runtime could not start, its requirements did not install, or the handler did not import. */
  runtime: 2,
  /** The function answered with a status outside 2xx. */
  response: 3,
  /** SIGINT or SIGTERM arrived before the answer (128 + SIGINT, as shells report it). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An expected failure: its message is printed as is (no stack) and the process exits with `code`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: ExitCode = EXIT.input,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
