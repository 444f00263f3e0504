// `pylambda invoke`: render the lambda, lay its pod out in a temporary directory, start the very
// runtime file with the pod's environment, call it once (or serve until a signal), clean up.
import type { CliIO } from './cli-io.js';
import { readEvent } from './event.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';
import { cliHookContext } from './hook-context.js';
import { httpCall, LOOPBACK } from './http-call.js';
import { installRequirements } from './install-requirements.js';
import { listenForInterrupt, unlessInterrupted, type Interrupt } from './interrupt.js';
import { fileContents, lambdaLabel, selectOneLambda } from './lambdas.js';
import { localPod, type LocalPod } from './local-pod.js';
import { readRuntimePackage } from './runtime-package.js';
import { readManifests } from './manifests.js';
import type { InvokeOptions } from './options.js';
import { localRuntimeSettings, processEnv } from './process-env.js';
import { renderLambda } from './render-lambda.js';
import { lineForUser } from './runtime-logs.js';
import {
  startRuntime,
  stopRuntime,
  waitUntilReady,
  type RuntimeProcess,
} from './runtime-process.js';
import { makeTempRoot, removeTempRoot, writeLocalPod } from './write-pod.js';

/** A free port for a single call: the runtime picks it and says which in its `listening` line. */
const ANY_PORT = 0;
/** Past the lambda's own timeout the runtime answers 504; this only guards against a hang. */
const CALL_MARGIN_MS = 10_000;
/** How long an interrupted single call's runtime gets before SIGKILL. */
const STOP_NOW_MS = 1000;

/** Pure: the request headers, with a JSON content type for an event unless one was given. */
export function requestHeaders(
  given: [string, string][],
  body: Buffer | undefined,
): [string, string][] {
  const hasType = given.some(([name]) => name.toLowerCase() === 'content-type');
  return body && !hasType ? [['Content-Type', 'application/json'], ...given] : given;
}

async function callOnce(
  port: number,
  pod: LocalPod,
  options: InvokeOptions,
  body: Buffer | undefined,
  io: CliIO,
  interrupt: Interrupt,
): Promise<ExitCode> {
  const answer = await unlessInterrupted(
    httpCall({
      port,
      method: options.method,
      path: options.path,
      headers: requestHeaders(options.headers, body),
      body,
      timeoutMs: pod.timeoutSeconds * 1000 + CALL_MARGIN_MS,
    }),
    interrupt,
  ).catch((e: unknown) => {
    if (e instanceof CliError) throw e;
    throw new CliError(`the call failed: ${(e as Error).message}`, EXIT.runtime);
  });
  io.err(`HTTP/${answer.httpVersion} ${answer.status} ${answer.statusText}\n`);
  io.out(answer.body);
  const last = answer.body.at(-1);
  if (io.stdoutIsTTY && last !== undefined && last !== 0x0a) io.out('\n');
  return answer.status >= 200 && answer.status < 300 ? EXIT.ok : EXIT.response;
}

async function serve(
  port: number,
  label: string,
  runtime: RuntimeProcess,
  io: CliIO,
  interrupt: Interrupt,
): Promise<ExitCode> {
  io.out(`http://${LOOPBACK}:${port}/\n`);
  io.err(`pylambda: serving ${label} at http://${LOOPBACK}:${port}/ (stop with Ctrl-C)\n`);
  const outcome = await Promise.race([
    interrupt.signal.then((signal) => ({ signal })),
    runtime.ended.then((end) => ({ end })),
  ]);
  if ('end' in outcome) {
    const how = outcome.end.signal ?? `code ${outcome.end.code}`;
    throw new CliError(`the runtime exited unexpectedly (${how})`, EXIT.runtime);
  }
  io.err(`pylambda: ${outcome.signal}: stopping\n`);
  return EXIT.ok;
}

async function run(
  pod: LocalPod,
  options: InvokeOptions,
  body: Buffer | undefined,
  label: string,
  io: CliIO,
  interrupt: Interrupt,
): Promise<ExitCode> {
  writeLocalPod(pod);
  if (pod.install) {
    const env = processEnv(io.env, pod.install.env);
    await installRequirements(pod.install, options.python, env, interrupt, options.verbose, io.err);
  }
  const mode = options.serve || options.verbose ? 'all' : 'problems';
  const runtime = startRuntime({
    python: options.python,
    args: pod.args,
    env: processEnv(io.env, pod.env, localRuntimeSettings(options.serve ? options.port : ANY_PORT)),
    cwd: pod.cwd,
    onLine: (line) => {
      const shown = lineForUser(line, mode);
      if (shown !== undefined) io.err(`${shown}\n`);
    },
  });
  // A CLI that dies anyway (an uncaught error) must not leave the runtime running.
  const kill = () => runtime.child.kill('SIGKILL');
  process.once('exit', kill);
  let abandon = false;
  try {
    const port = await unlessInterrupted(
      waitUntilReady(runtime, options.python, options.startTimeoutMs),
      interrupt,
    );
    return options.serve
      ? await serve(port, label, runtime, io, interrupt)
      : await callOnce(port, pod, options, body, io, interrupt);
  } catch (e) {
    // Ctrl-C during a single call means "stop now", not "wait for the call to finish".
    abandon = e instanceof CliError && e.code === EXIT.interrupted;
    throw e;
  } finally {
    // Stopping drains in-flight calls (up to the lambda's timeout); another signal cuts it short.
    process.on('SIGINT', kill);
    process.on('SIGTERM', kill);
    await stopRuntime(runtime, abandon ? STOP_NOW_MS : (pod.timeoutSeconds + 5) * 1000);
    process.off('SIGINT', kill);
    process.off('SIGTERM', kill);
    process.off('exit', kill);
  }
}

export async function invokeCommand(options: InvokeOptions, io: CliIO): Promise<ExitCode> {
  if (options.file === '-' && options.event.kind === 'file' && options.event.path === '-') {
    throw new CliError('-f - and --event-file - cannot both read stdin');
  }
  const file = readManifests(options.file);
  const contents = fileContents(file, options.namespace);
  const source = selectOneLambda(contents, options.name);
  const body = readEvent(options.event);
  const rendered = renderLambda(source, file.path, cliHookContext(io.env));
  const root = makeTempRoot();
  const interrupt = listenForInterrupt();
  const cleanup = () => removeTempRoot(root);
  process.once('exit', cleanup);
  try {
    const pod = localPod(rendered, contents.configMaps, root, file.path, readRuntimePackage());
    for (const warning of pod.warnings) io.err(`pylambda: warning: ${warning}\n`);
    return await run(pod, options, body, lambdaLabel(source), io, interrupt);
  } finally {
    interrupt.dispose();
    cleanup();
    process.off('exit', cleanup);
  }
}
