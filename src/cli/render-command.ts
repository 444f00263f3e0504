// `pylambda render`: the objects the operator would create for each lambda in a file.
import type { CliIO } from './cli-io.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { cliHookContext } from './hook-context.js';
import { fileContents, selectLambdas } from './lambdas.js';
import { readManifests } from './manifests.js';
import type { RenderOptions } from './options.js';
import { renderLambdas } from './render-lambda.js';
import { formatRendered } from './render-output.js';

export function renderCommand(options: RenderOptions, io: CliIO): ExitCode {
  const file = readManifests(options.file);
  const sources = selectLambdas(fileContents(file, options.namespace), options.name);
  const rendered = renderLambdas(sources, file.path, cliHookContext(io.env));
  const output = formatRendered(rendered, options.output);
  io.out(output.stdout);
  if (output.stderr) io.err(output.stderr);
  return EXIT.ok;
}
