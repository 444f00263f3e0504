// JSON logs (pino). Code never reaches a log line: hook logs carry identities and timings only,
// and the redaction below catches any object that is logged whole by mistake.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export function createLogger(
  level: string,
  destination?: DestinationStream,
  service = 'pylambda-webhook',
): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['spec.code', 'spec.files', '*.spec.code', '*.spec.files', 'data', '*.data'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
