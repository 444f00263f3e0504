// SIGINT and SIGTERM while the CLI runs a runtime: instead of dying with a child process and a
// temporary directory left behind, every wait ends, the runtime stops and the directory goes.
import { CliError, EXIT } from './exit-codes.js';

export interface Interrupt {
  /** Resolves with the first SIGINT or SIGTERM. */
  signal: Promise<NodeJS.Signals>;
  dispose(): void;
}

export function listenForInterrupt(): Interrupt {
  let handler: (signal: NodeJS.Signals) => void = () => {};
  const signal = new Promise<NodeJS.Signals>((resolve) => (handler = resolve));
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** `work`, unless a signal comes first: then a CliError with the interrupted exit code. */
export function unlessInterrupted<T>(work: Promise<T>, interrupt: Interrupt): Promise<T> {
  const stopped = interrupt.signal.then((signal): never => {
    throw new CliError(`interrupted by ${signal}`, EXIT.interrupted);
  });
  return Promise.race([work, stopped]);
}
