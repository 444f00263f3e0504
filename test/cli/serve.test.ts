// `pylambda invoke --serve`: keeps the runtime serving on 127.0.0.1, prints the URL, answers real
// HTTP requests, and stops cleanly (runtime gone, temporary directory removed) on a signal.
import { existsSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { expect } from 'chai';
import { collect, scratch, show, spawnCli, TEXT_STATS } from './run-cli.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const SLOW = `apiVersion: pylambda.dev/v1alpha1
kind: PythonLambda
metadata:
  name: slow
spec:
  timeoutSeconds: 60
  code: |
    import time

    def handler(event, context):
        time.sleep(50)
        return "too late"
`;

/** The runtime's pid and temporary root, from its \`starting\` log line (shown with -v or --serve). */
function runtimeOf(stderr: string): { pid: number; root: string } {
  const starting =
    /"msg": "starting".*"codeDir": "([^"]+)\/opt\/pylambda\/code".*"pid": (\d+)/.exec(stderr);
  expect(starting, stderr).not.to.equal(null);
  return { root: starting![1]!, pid: Number(starting![2]) };
}

async function firstLine(stream: NodeJS.ReadableStream, timeoutMs: number): Promise<string> {
  let text = '';
  const timer = setTimeout(
    () => stream.emit('error', new Error(`no line within ${timeoutMs} ms`)),
    timeoutMs,
  );
  try {
    while (!text.includes('\n')) {
      const [chunk] = (await once(stream, 'data')) as [Buffer];
      text += chunk.toString('utf8');
    }
  } finally {
    clearTimeout(timer);
  }
  return text.slice(0, text.indexOf('\n'));
}

describe('pylambda invoke: serving and signals', function () {
  this.timeout(60_000);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`serves real HTTP requests on 127.0.0.1 and stops on ${signal}`, async () => {
      const child = spawnCli(['invoke', '-f', TEXT_STATS, '--serve', '--port', '0']);
      const done = collect(child, 30_000);
      const stdout = child.stdout!;
      const url = await firstLine(stdout, 20_000).catch(async (e: Error) => {
        child.kill('SIGKILL');
        throw new Error(`${e.message}\n${show(await done)}`);
      });
      expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);

      const answer = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ text: 'a b a' }),
      });
      expect(answer.status).to.equal(200);
      expect(await answer.json()).to.deep.equal({
        characters: 5,
        lines: 1,
        words: 3,
        top: [
          ['a', 2],
          ['b', 1],
        ],
      });
      const health = await fetch(new URL('/healthz', url));
      expect(health.status).to.equal(200);

      child.kill(signal);
      const result = await done;
      expect(result.code, show(result)).to.equal(0);
      expect(result.stderr).to.include(`pylambda: ${signal}: stopping`);
      // The runtime's `starting` line names its pid and its code directory in the temporary root.
      const starting =
        /"msg": "starting".*"codeDir": "([^"]+)\/opt\/pylambda\/code".*"pid": (\d+)/.exec(
          result.stderr,
        );
      expect(starting, result.stderr).not.to.equal(null);
      expect(isAlive(Number(starting![2])), 'the runtime process is gone').to.equal(false);
      expect(existsSync(starting![1]!), `${starting![1]} is removed`).to.equal(false);
      await fetch(url).then(
        () => expect.fail('the port still answers'),
        () => undefined,
      );
    });
  }

  it('a CLI killed with SIGKILL leaves no runtime serving: it sees its stdin close and stops', async () => {
    const child = spawnCli(['invoke', '-f', TEXT_STATS, '--serve', '--port', '0']);
    const done = collect(child, 30_000);
    let stderr = '';
    child.stderr!.on('data', (chunk: string | Buffer) => (stderr += String(chunk)));
    const url = await firstLine(child.stdout!, 20_000).catch(async (e: Error) => {
      child.kill('SIGKILL');
      throw new Error(`${e.message}\n${show(await done)}`);
    });
    expect((await fetch(new URL('/healthz', url))).status).to.equal(200);
    const runtime = runtimeOf(stderr);
    child.kill('SIGKILL'); // no handler runs: only the kernel closing the CLI's pipes
    await done;
    const deadline = Date.now() + 10_000;
    while (isAlive(runtime.pid) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    try {
      expect(isAlive(runtime.pid), 'the runtime stopped by itself').to.equal(false);
      await fetch(url).then(
        () => expect.fail('the port still answers'),
        () => undefined,
      );
    } finally {
      if (isAlive(runtime.pid)) process.kill(runtime.pid, 'SIGKILL');
      rmSync(runtime.root, { recursive: true, force: true }); // the CLI had no chance to
    }
  });

  it('abandons a single call on SIGINT: exit 130 at once, runtime killed, directory removed', async () => {
    const files = scratch();
    try {
      const child = spawnCli(['invoke', '-f', files.file('slow.yaml', SLOW), '-v']);
      const done = collect(child, 30_000);
      let stderr = '';
      child.stderr!.on('data', (chunk: string | Buffer) => (stderr += String(chunk)));
      const deadline = Date.now() + 20_000;
      while (!stderr.includes('"handler imported"') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await new Promise((resolve) => setTimeout(resolve, 300)); // the call is on its way
      const interruptedAt = Date.now();
      child.kill('SIGINT');
      const result = await done;
      expect(result.code, show(result)).to.equal(130);
      expect(Date.now() - interruptedAt).to.be.lessThan(5000);
      expect(result.stderr).to.include('pylambda: interrupted by SIGINT');
      const runtime = runtimeOf(result.stderr);
      expect(isAlive(runtime.pid), 'the runtime process is gone').to.equal(false);
      expect(existsSync(runtime.root), `${runtime.root} is removed`).to.equal(false);
    } finally {
      files.remove();
    }
  });
});
