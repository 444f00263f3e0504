// The ceiling (bench/ceiling-server.js): bare node:http that parses each request and sends the
// precomputed answer of its case, so no hook server can do less. `responses` is the file of
// those answers; its log goes to `logs`/ceiling.log.
import { join } from 'node:path';
import { ROOT } from './paths.js';
import { freePort, startServer, type RunningServer } from './processes.js';

export async function startCeiling(responses: string, logs: string): Promise<RunningServer> {
  const port = await freePort();
  return startServer({
    name: 'ceiling',
    command: process.execPath,
    args: [join(ROOT, 'bench', 'ceiling-server.js')],
    env: { PORT: String(port), BENCH_RESPONSES: responses },
    logFile: join(logs, 'ceiling.log'),
    port,
    readyPath: '/',
  });
}
