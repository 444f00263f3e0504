// The certificate job's entry (src/certs/main.ts) as the Job's pod runs it: the exit statuses the
// Job's podFailurePolicy relies on (2 stops it at once), and a fatal log line saying why.
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { REPO_ROOT } from '../../config/kustomize.js';

function runJob(args: string[], env: Record<string, string | undefined> = {}) {
  const environment = { ...process.env, ...env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete environment[key];
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/certs/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: environment,
    encoding: 'utf8',
    timeout: 30_000,
  });
  const lines = result.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string });
  return { status: result.status, lines };
}

describe('certificate job: its exit status', function () {
  this.timeout(60_000);

  it('exits 2, saying which, on a bad argument', () => {
    const { status, lines } = runJob(['--namespace', 'x', '--source', 'somewhere']);
    expect(status).to.equal(2);
    expect(lines.map((l) => l.msg).join()).to.include(
      '--source "somewhere": must be issue or external',
    );
    const unknown = runJob(['--namespace', 'x', '--no-such-flag']);
    expect(unknown.status).to.equal(2);
  });

  it('exits 2 outside a pod (no KUBERNETES_SERVICE_HOST), saying so', () => {
    const { status, lines } = runJob(['--namespace', 'x'], { KUBERNETES_SERVICE_HOST: undefined });
    expect(status).to.equal(2);
    expect(lines.at(-1)?.msg).to.include('KUBERNETES_SERVICE_HOST is not set');
    expect(lines.at(-1)?.level).to.equal(60); // pino's fatal
  });
});
