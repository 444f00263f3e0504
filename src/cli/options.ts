// Command lines -> typed options (node:util parseArgs), or a usage error saying what is wrong.
// Pure: reading files and the event happens later, at the edges.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './exit-codes.js';
import { OUTPUT_FORMATS, type OutputFormat } from './render-output.js';

export interface CommonOptions {
  file: string;
  namespace: string | undefined;
  name: string | undefined;
}

export interface RenderOptions extends CommonOptions {
  output: OutputFormat;
}

export type EventSource =
  { kind: 'none' } | { kind: 'inline'; json: string } | { kind: 'file'; path: string };

export interface InvokeOptions extends CommonOptions {
  event: EventSource;
  method: string;
  path: string;
  headers: [string, string][];
  serve: boolean;
  port: number;
  python: string;
  startTimeoutMs: number;
  verbose: boolean;
}

export type Parsed<T> = { help: true } | ({ help: false } & T);

const COMMON = {
  file: { type: 'string', short: 'f' },
  namespace: { type: 'string', short: 'n' },
  name: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const RENDER = { ...COMMON, output: { type: 'string', short: 'o' } } as const;

const INVOKE = {
  ...COMMON,
  event: { type: 'string', short: 'e' },
  'event-file': { type: 'string' },
  method: { type: 'string', short: 'X' },
  path: { type: 'string' },
  header: { type: 'string', short: 'H', multiple: true },
  serve: { type: 'boolean' },
  port: { type: 'string' },
  python: { type: 'string' },
  'start-timeout': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
} as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
export const DEFAULT_SERVE_PORT = 8080;
const DEFAULT_START_TIMEOUT_SECONDS = 30;

function usage(command: string, message: string): CliError {
  return new CliError(`${message}\nSee: pylambda ${command} --help`);
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: string[],
  options: T,
) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (e) {
    throw usage(command, (e as Error).message);
  }
}

function common(
  command: string,
  values: { file?: string; namespace?: string; name?: string },
): CommonOptions {
  if (!values.file) throw usage(command, '-f FILE is required');
  const { namespace } = values;
  if (namespace !== undefined && (!DNS_LABEL.test(namespace) || namespace.length > 63)) {
    throw usage(
      command,
      `-n ${JSON.stringify(namespace)}: a namespace is a DNS label (lower-case letters, digits, '-'; at most 63)`,
    );
  }
  if (values.name === '') throw usage(command, '--name must not be empty');
  return { file: values.file, namespace, name: values.name };
}

export function parseRenderArgs(argv: string[]): Parsed<RenderOptions> {
  const { values } = parse('render', argv, RENDER);
  if (values.help) return { help: true };
  const output = values.output ?? 'yaml';
  if (!OUTPUT_FORMATS.includes(output as OutputFormat)) {
    throw usage('render', `-o ${JSON.stringify(output)}: expected ${OUTPUT_FORMATS.join(' or ')}`);
  }
  return { help: false, ...common('render', values), output: output as OutputFormat };
}

function integer(text: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}

/** `Name: value` (or `Name:value`) -> [name, value]. */
export function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(':');
  const name = colon < 0 ? '' : text.slice(0, colon).trim();
  const value = colon < 0 ? '' : text.slice(colon + 1).trim();
  if (!TOKEN.test(name) || /[\r\n\0]/.test(value)) {
    throw usage('invoke', `--header ${JSON.stringify(text)}: expected 'Name: value'`);
  }
  return [name, value];
}

function eventSource(values: { event?: string; 'event-file'?: string }): EventSource {
  if (values.event !== undefined && values['event-file'] !== undefined) {
    throw usage('invoke', 'give --event or --event-file, not both');
  }
  if (values.event !== undefined) return { kind: 'inline', json: values.event };
  if (values['event-file'] !== undefined) return { kind: 'file', path: values['event-file'] };
  return { kind: 'none' };
}

export function parseInvokeArgs(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): Parsed<InvokeOptions> {
  const { values } = parse('invoke', argv, INVOKE);
  if (values.help) return { help: true };
  const base = common('invoke', values);
  const serve = values.serve ?? false;
  if (serve) {
    const oneShot = ['event', 'event-file', 'method', 'path', 'header'] as const;
    const given = oneShot.filter((key) => values[key] !== undefined).map((key) => `--${key}`);
    if (given.length > 0) {
      throw usage('invoke', `${given.join(', ')} send one request; they do not apply with --serve`);
    }
  } else if (values.port !== undefined) {
    throw usage('invoke', '--port applies with --serve only (a single call uses a free port)');
  }
  const port = integer(values.port ?? String(DEFAULT_SERVE_PORT), 0, 65535);
  if (port === undefined)
    throw usage('invoke', `--port ${JSON.stringify(values.port)}: expected 0 to 65535`);
  const method = (values.method ?? 'POST').toUpperCase();
  if (!/^[A-Z]+$/.test(method))
    throw usage(
      'invoke',
      `--method ${JSON.stringify(values.method)}: expected a method such as GET or POST`,
    );
  const path = values.path ?? '/';
  if (!path.startsWith('/') || /[\s\0]/.test(path)) {
    throw usage(
      'invoke',
      `--path ${JSON.stringify(path)}: expected a path starting with / (and no spaces), such as /items?id=7`,
    );
  }
  const startTimeout = Number(values['start-timeout'] ?? DEFAULT_START_TIMEOUT_SECONDS);
  if (!Number.isFinite(startTimeout) || startTimeout <= 0) {
    throw usage(
      'invoke',
      `--start-timeout ${JSON.stringify(values['start-timeout'])}: expected seconds > 0`,
    );
  }
  return {
    help: false,
    ...base,
    event: eventSource(values),
    method,
    path,
    headers: (values.header ?? []).map(parseHeader),
    serve,
    port,
    python: values.python || env.PYTHON || 'python3',
    startTimeoutMs: startTimeout * 1000,
    verbose: values.verbose ?? false,
  };
}
