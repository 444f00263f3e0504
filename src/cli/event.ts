// The event to send: JSON given inline or in a file, checked before anything starts so that a
// typo is an input error (exit 1) rather than a 400 from the runtime.
import { readFileSync } from 'node:fs';
import { CliError } from './exit-codes.js';
import type { EventSource } from './options.js';

/** Pure: the body to send, or a CliError naming where the JSON is wrong. */
export function eventBody(text: string, origin: string): Buffer {
  try {
    JSON.parse(text);
  } catch (e) {
    throw new CliError(`${origin} is not valid JSON: ${(e as Error).message}`);
  }
  return Buffer.from(text, 'utf8');
}

export function readEvent(source: EventSource): Buffer | undefined {
  switch (source.kind) {
    case 'none':
      return undefined;
    case 'inline':
      return eventBody(source.json, '--event');
    case 'file': {
      let text: string;
      try {
        text = readFileSync(source.path === '-' ? 0 : source.path, 'utf8');
      } catch (e) {
        const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
        throw new CliError(
          `--event-file ${source.path}: ${missing ? 'no such file' : (e as Error).message}`,
        );
      }
      return eventBody(text, `--event-file ${source.path}`);
    }
  }
}
