// The command line: which command, its options, and the one place errors become messages and
// exit codes (exit-codes.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import type { CliIO } from './cli-io.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';
import { INVOKE_HELP, MAIN_HELP, RENDER_HELP } from './help.js';
import { invokeCommand } from './invoke-command.js';
import { parseInvokeArgs, parseRenderArgs } from './options.js';
import { renderCommand } from './render-command.js';

const COMMAND_HELP: Record<string, string> = { render: RENDER_HELP, invoke: INVOKE_HELP };

function version(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return `pylambda ${manifest.version}\n`;
}

async function dispatch(argv: string[], io: CliIO): Promise<ExitCode> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      io.err(MAIN_HELP);
      return EXIT.input;
    case '-h':
    case '--help':
      io.out(MAIN_HELP);
      return EXIT.ok;
    case '--version':
      io.out(version());
      return EXIT.ok;
    case 'help': {
      const help = rest[0] === undefined ? MAIN_HELP : COMMAND_HELP[rest[0]];
      if (help === undefined)
        throw new CliError(`no command ${JSON.stringify(rest[0])}; see pylambda --help`);
      io.out(help);
      return EXIT.ok;
    }
    case 'render': {
      const options = parseRenderArgs(rest);
      if (options.help) {
        io.out(RENDER_HELP);
        return EXIT.ok;
      }
      return renderCommand(options, io);
    }
    case 'invoke': {
      const options = parseInvokeArgs(rest, io.env);
      if (options.help) {
        io.out(INVOKE_HELP);
        return EXIT.ok;
      }
      return invokeCommand(options, io);
    }
    default:
      throw new CliError(`no command ${JSON.stringify(command)}; see pylambda --help`);
  }
}

export async function runCli(argv: string[], io: CliIO): Promise<ExitCode> {
  try {
    return await dispatch(argv, io);
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`pylambda: ${e.message}\n`);
      return e.code;
    }
    // A bug, not the user's input: the stack helps whoever reports it.
    io.err(`pylambda: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.input;
  }
}
