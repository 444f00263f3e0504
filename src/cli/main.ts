// The `pylambda` executable's entry (bin/pylambda.js loads it). Sets the exit code rather than
// calling process.exit, so that everything written to stdout is flushed first.
import { runCli } from './cli.js';
import { processIO } from './cli-io.js';

process.exitCode = await runCli(process.argv.slice(2), processIO());
