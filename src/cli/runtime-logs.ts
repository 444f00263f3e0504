// Pure: the runtime's output lines (one JSON object per line, runtime/README.md "Logs", plus
// whatever the handler prints) -> what a person at a terminal should see.

export interface LogRecord {
  level?: string;
  msg?: string;
  error?: string;
  type?: string;
  traceback?: string;
  port?: number;
  [field: string]: unknown;
}

export function parseLogLine(line: string): LogRecord | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as LogRecord)
      : undefined;
  } catch {
    return undefined;
  }
}

const PROBLEM_LEVELS = ['warning', 'error', 'critical'];

export function isProblem(record: LogRecord): boolean {
  return PROBLEM_LEVELS.includes(String(record.level));
}

/** A warning or error line as readable text: the message, the error, then the traceback. */
export function describeRecord(record: LogRecord): string {
  const details = [record.type, record.error].filter((d) => typeof d === 'string' && d !== '');
  let text = `runtime ${record.level ?? 'log'}: ${record.msg ?? ''}`;
  if (details.length > 0 && !String(record.msg).includes(String(record.error))) {
    text += ` (${details.join(': ')})`;
  }
  if (typeof record.traceback === 'string' && record.traceback.trim() !== '') {
    text += `\n${record.traceback.trimEnd().replace(/^/gm, '  ')}`;
  }
  return text;
}

/**
 * What to show of one line. `all` shows every line as is; `problems` shows what the handler
 * printed and the runtime's warnings and errors, and hides routine info lines.
 */
export function lineForUser(line: string, mode: 'all' | 'problems'): string | undefined {
  if (mode === 'all') return line;
  const record = parseLogLine(line);
  if (!record) return line;
  return isProblem(record) ? describeRecord(record) : undefined;
}

/** The port from the runtime's `listening` line (it may have picked a free one). */
export function listeningPort(line: string): number | undefined {
  const record = parseLogLine(line);
  return record?.msg === 'listening' && typeof record.port === 'number' ? record.port : undefined;
}
