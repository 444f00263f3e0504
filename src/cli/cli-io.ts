// The CLI's edges: where output goes and which environment it reads. Commands take this
// rather than touching process.stdout, so their logic can be driven from tests.
export interface CliIO {
  out(data: string | Buffer): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Whether stdout is a terminal (then a body without a final newline gets one). */
  stdoutIsTTY: boolean;
}

export function processIO(): CliIO {
  return {
    out: (data) => process.stdout.write(data),
    err: (text) => process.stderr.write(text),
    env: process.env,
    stdoutIsTTY: process.stdout.isTTY === true,
  };
}
