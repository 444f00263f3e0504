// The Dockerfile builds what the project is: the files it copies exist (and the build context,
// after .dockerignore, holds them), the runtime stage has production dependencies only, runs as a
// numeric non-root user, and starts the server that `npm run build` (tsconfig.build.json) produces,
// with package.json and schemas/ where the service looks for them. The runtime image
// (runtime/Dockerfile) holds the runtime package where lambda pods take it from.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import ts from 'typescript';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import {
  command,
  copies,
  dockerignore,
  parseDockerfile,
  workdirAt,
  type Stage,
} from './dockerfile.js';
import { find, kustomizeBuild, REPO_ROOT } from './kustomize.js';
import { IMAGE_RUNTIME_DIR, RUN_AS_USER, RUNTIME_PACKAGE } from '../../src/render/pod-layout.js';

/** The schema's default Python version (spec.runtime). */
const DEFAULT_RUNTIME = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'schemas/pythonlambda-spec.schema.json'), 'utf8')) as {
    properties: { runtime: { default: string } };
  }
).properties.runtime.default;

const dockerfile = parseDockerfile(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const ignored = dockerignore(readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8'));
const stages = dockerfile.stages;
const runtime = stages[stages.length - 1]!;
const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};

function tracked(path: string): string[] {
  return execFileSync('git', ['ls-files', '--', path], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
}

function runs(stage: Stage): string[] {
  return stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
}

/** Where `npm run build` writes a source file: tsconfig.build.json's outDir and rootDir. */
function builtPath(source: string): string {
  const configPath = join(REPO_ROOT, 'tsconfig.build.json');
  const config = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  const [js] = ts.getOutputFileNames(config, join(REPO_ROOT, source), false);
  return relative(REPO_ROOT, js!).split('\\').join('/');
}

/** Where a path of the final image came from: [stage or undefined for the context, source path]. */
function origin(path: string): { from: string | undefined; source: string } | undefined {
  for (const instruction of runtime.instructions.filter((i) => i.keyword === 'COPY')) {
    const [copy] = copies({ ...runtime, instructions: [instruction] });
    const destination = posix.resolve(workdirAt(runtime, instruction), copy!.destination);
    for (const source of copy!.sources) {
      const target = copy!.destination.endsWith('/')
        ? posix.join(destination, posix.basename(source))
        : destination;
      if (path === target || path.startsWith(`${target}/`)) {
        return { from: copy!.from, source: posix.join(source, path.slice(target.length)) };
      }
    }
  }
  return undefined;
}

describe('Dockerfile', () => {
  const runtimeWorkdir = workdirAt(runtime, runtime.instructions[runtime.instructions.length - 1]!);

  it('is multi-stage on a small Node.js 20 base', () => {
    expect(stages.length).to.be.greaterThan(1);
    for (const stage of stages) {
      expect(stage.base).to.match(/^(node:20[\w.-]*-alpine[\w.]*|gcr\.io\/distroless\/nodejs20)/);
    }
  });

  it('copies only files that exist, are committed, and are in the build context', () => {
    for (const stage of stages) {
      for (const copy of copies(stage).filter((c) => c.from === undefined)) {
        for (const source of copy.sources) {
          expect(existsSync(join(REPO_ROOT, source)), `${source} exists`).to.equal(true);
          const files = tracked(source);
          expect(files, `${source} is committed`).to.have.length.greaterThan(0);
          for (const file of files) {
            expect(ignored(file), `${file} is excluded by .dockerignore`).to.equal(false);
          }
        }
      }
    }
  });

  it('keeps the build context small: no node_modules, dist, .git, caches, tests', () => {
    for (const path of ['node_modules/koa/package.json', 'dist/src/server.js', '.git/HEAD']) {
      expect(ignored(path), path).to.equal(true);
    }
    for (const path of ['.cache/e2e/bin/kubectl', 'test/config/default.test.ts', 'e2e/run.sh']) {
      expect(ignored(path), path).to.equal(true);
    }
    expect(ignored('runtime/__pycache__/pylambda_runtime.cpython-312.pyc')).to.equal(true);
    expect(ignored('runtime/tests/test_runtime.py')).to.equal(true);
  });

  it('copies stage outputs only from earlier stages', () => {
    stages.forEach((stage, index) => {
      const earlier = stages.slice(0, index).map((s) => s.name);
      for (const copy of copies(stage).filter((c) => c.from !== undefined)) {
        expect(earlier, `COPY --from=${copy.from}`).to.include(copy.from);
      }
    });
  });

  it('builds with `npm run build` after installing every dependency from the lock file', () => {
    const build = stages.find((s) => runs(s).some((r) => /\bnpm run build\b/.test(r)));
    expect(build, 'a stage runs npm run build').to.not.equal(undefined);
    const [install] = runs(build!).filter((r) => /\bnpm ci\b/.test(r));
    expect(install).to.not.equal(undefined);
    expect(install).to.not.match(/--omit=dev|--production/);
    expect(packageJson.scripts.build).to.equal('tsc -p tsconfig.build.json');
  });

  it('gives the runtime stage production dependencies only', () => {
    const nodeModules = origin(`${runtimeWorkdir}/node_modules`);
    const installer =
      nodeModules === undefined ? runtime : stages.find((s) => s.name === nodeModules.from);
    expect(installer, 'node_modules comes from a stage of this Dockerfile').to.not.equal(undefined);
    const installs = runs(installer!).filter((r) => /\bnpm (ci|install)\b/.test(r));
    expect(installs).to.have.length(1);
    expect(installs[0]).to.match(/\bnpm ci\b.*--omit=dev/);
    // The runtime stage installs nothing else, and carries no source or build tooling.
    if (installer !== runtime) {
      expect(runs(runtime).filter((r) => /\bnpm (ci|install)\b/.test(r))).to.deep.equal([]);
    }
    expect(origin(`${runtimeWorkdir}/src/server.ts`)).to.equal(undefined);
  });

  it('starts the server that `npm run build` produces, with node as PID 1', () => {
    const server = builtPath('src/server.ts');
    expect(server).to.equal('dist/src/server.js');
    const { entrypoint, cmd } = command(runtime);
    const argv = [...entrypoint, ...cmd];
    expect(argv[0]).to.match(/^(node|\/nodejs\/bin\/node)$/);
    expect(posix.resolve(runtimeWorkdir, argv[1]!)).to.equal(posix.join(runtimeWorkdir, server));
    // ...and that file is copied from the stage that ran the build, where it was written.
    const copied = origin(posix.join(runtimeWorkdir, server));
    expect(copied, `${server} is copied into the image`).to.not.equal(undefined);
    const build = stages.find((s) => s.name === copied!.from)!;
    const buildRun = build.instructions.find((i) => /\bnpm run build\b/.test(i.args))!;
    expect(copied!.source).to.equal(posix.join(workdirAt(build, buildRun), server));
  });

  it('puts package.json and schemas/ where the service finds them, and no Python runtime', () => {
    // src/package-root.ts walks up from dist/src to package.json; schemas/ sits beside it.
    for (const path of ['package.json', 'schemas']) {
      const copied = origin(posix.join(runtimeWorkdir, path));
      expect(copied, `${path} in the image`).to.deep.equal({ from: undefined, source: path });
    }
    expect(origin(posix.join(runtimeWorkdir, 'runtime'))).to.equal(undefined);
    expect(ignored('runtime/pylambda_runtime/__main__.py')).to.equal(true);
  });

  it('runs as the numeric non-root user the webhook pod runs as', function () {
    this.timeout(60_000);
    const users = runtime.instructions.filter((i) => i.keyword === 'USER');
    expect(users, 'a USER instruction').to.have.length.greaterThan(0);
    const [user, group] = users[users.length - 1]!.args.split(':');
    expect(user).to.match(/^[1-9]\d*$/);
    const deployment = find(
      kustomizeBuild('config/manager'),
      'Deployment',
      'pylambda-webhook',
    ) as unknown as Deployment;
    const context = deployment.spec!.template.spec!.securityContext!;
    expect(context.runAsUser).to.equal(Number(user));
    if (group !== undefined) expect(context.runAsGroup).to.equal(Number(group));
  });
});

describe('the runtime image (runtime/Dockerfile)', () => {
  const file = parseDockerfile(readFileSync(join(REPO_ROOT, 'runtime/Dockerfile'), 'utf8'));
  const image = file.stages[file.stages.length - 1]!;
  const runtimeIgnored = dockerignore(
    readFileSync(join(REPO_ROOT, 'runtime/.dockerignore'), 'utf8'),
  );

  it('copies the runtime package to where the init container and the image volume take it', () => {
    expect(copies(image)).to.deep.equal([
      {
        from: undefined,
        sources: [RUNTIME_PACKAGE],
        destination: `${IMAGE_RUNTIME_DIR}/${RUNTIME_PACKAGE}`,
      },
    ]);
    expect(existsSync(join(REPO_ROOT, 'runtime', RUNTIME_PACKAGE, '__main__.py'))).to.equal(true);
  });

  it('has the default lambda image as its base, so a node running lambdas already has it', () => {
    expect(readFileSync(join(REPO_ROOT, 'runtime/Dockerfile'), 'utf8')).to.match(
      new RegExp(`^ARG PYTHON_IMAGE=python:${DEFAULT_RUNTIME}-slim$`, 'm'),
    );
  });

  it('smoke-tests the package and runs as the user lambda pods run as', () => {
    expect(runs(image).join('\n')).to.include('python -P -m pylambda_runtime --version');
    const users = image.instructions.filter((i) => i.keyword === 'USER');
    expect(users.at(-1)!.args).to.equal(`${RUN_AS_USER}:${RUN_AS_USER}`);
  });

  it('keeps its context to the package: no tests, no caches', () => {
    expect(runtimeIgnored('pylambda_runtime/framing.py')).to.equal(false);
    expect(runtimeIgnored('tests/test_framing.py')).to.equal(true);
    expect(runtimeIgnored('pylambda_runtime/__pycache__/framing.cpython-313.pyc')).to.equal(true);
  });
});
