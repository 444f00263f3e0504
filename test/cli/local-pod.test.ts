// The pod a rendered lambda describes, laid out under a local root: pure, so checked in-process.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { cliHookContext } from '../../src/cli/hook-context.js';
import { fileContents, selectOneLambda } from '../../src/cli/lambdas.js';
import { localPod } from '../../src/cli/local-pod.js';
import { parseManifests } from '../../src/cli/manifests.js';
import { processEnv } from '../../src/cli/process-env.js';
import { renderLambda } from '../../src/cli/render-lambda.js';
import { readRuntimePackage } from '../../src/cli/runtime-package.js';
import { GREETER, TEXT_STATS } from './run-cli.js';

const ROOT = '/scratch/root';
const context = cliHookContext({});
const RUNTIME_PACKAGE = readRuntimePackage();
const RUNTIME_FILES = [...RUNTIME_PACKAGE.keys()].map((p) => `${ROOT}/opt/pylambda-runtime/${p}`);

function podOf(text: string, path = 'test.yaml') {
  const contents = fileContents(parseManifests(text, path));
  const rendered = renderLambda(selectOneLambda(contents), path, context);
  return localPod(rendered, contents.configMaps, ROOT, path, RUNTIME_PACKAGE);
}

function fileMap(pod: ReturnType<typeof podOf>): Record<string, string> {
  return Object.fromEntries(pod.files.map((f) => [f.path, String(f.content)]));
}

describe('local pod layout', () => {
  it('puts a PythonLambda ConfigMap where its volume items put it, with the env remapped', () => {
    const pod = podOf(readFileSync(TEXT_STATS, 'utf8'));
    const files = fileMap(pod);
    expect(Object.keys(files).sort()).to.deep.equal(
      [
        `${ROOT}/opt/pylambda/code/main.py`,
        `${ROOT}/opt/pylambda/code/words.py`,
        ...RUNTIME_FILES,
      ].sort(),
    );
    // The runtime package where the runtime init container copies it, run as the pod runs it.
    expect(files[`${ROOT}/opt/pylambda-runtime/pylambda_runtime/__main__.py`]).to.equal(
      RUNTIME_PACKAGE.get('pylambda_runtime/__main__.py'),
    );
    expect(pod.args).to.deep.equal(['-u', '-P', '-m', 'pylambda_runtime']);
    expect(pod.env).to.include({
      PYTHONPATH: `${ROOT}/opt/pylambda-runtime`,
      PYLAMBDA_HANDLER: 'main.handler',
      PYLAMBDA_CODE_DIR: `${ROOT}/opt/pylambda/code`,
      PYLAMBDA_FUNCTION_NAME: 'text-stats',
      PYLAMBDA_NAMESPACE: 'default',
      PYLAMBDA_TIMEOUT_SECONDS: '10',
      HOME: `${ROOT}/tmp`,
      TOP_WORDS: '3',
    });
    expect(pod.directories).to.include(`${ROOT}/tmp`);
    expect(pod.install).to.equal(undefined);
    expect(pod.timeoutSeconds).to.equal(10);
  });

  it("runs the init container's pip command into the remapped deps directory", () => {
    const pod = podOf(`apiVersion: pylambda.dev/v1alpha1
kind: PythonLambda
metadata: {name: deps, namespace: ns}
spec:
  code: "import six\\ndef handler(e, c): return 1\\n"
  requirements: "six==1.16.0\\n"
  files:
    pkg/util.py: "X = 1\\n"
`);
    expect(fileMap(pod)).to.include({
      [`${ROOT}/opt/pylambda/requirements.txt`]: 'six==1.16.0\n',
      [`${ROOT}/opt/pylambda/code/pkg/util.py`]: 'X = 1\n',
    });
    expect(pod.env.PYLAMBDA_DEPS_DIR).to.equal(`${ROOT}/opt/pylambda-deps`);
    expect(pod.directories).to.include(`${ROOT}/opt/pylambda-deps`);
    expect(pod.install?.args).to.deep.equal([
      '-m',
      'pip',
      'install',
      '--no-cache-dir',
      '--disable-pip-version-check',
      '--no-warn-script-location',
      '--target',
      `${ROOT}/opt/pylambda-deps`,
      '-r',
      `${ROOT}/opt/pylambda/requirements.txt`,
    ]);
    expect(pod.install?.env).to.include({ HOME: `${ROOT}/tmp` });
  });

  it("lays out an annotated Deployment's settings attachment, code ConfigMap and runtime at their mounts", () => {
    const pod = podOf(readFileSync(GREETER, 'utf8'));
    const files = fileMap(pod);
    expect(Object.keys(files).sort()).to.deep.equal(
      [
        `${ROOT}/opt/pylambda/code/main.py`,
        `${ROOT}/opt/pylambda/settings/settings.json`,
        ...RUNTIME_FILES,
      ].sort(),
    );
    expect(pod.args).to.deep.equal(['-u', '-P', '-m', 'pylambda_runtime']);
    // settings.json (from the annotations) first, the container's own variables over it.
    expect(pod.env).to.deep.equal({
      PYLAMBDA_HANDLER: 'main.handler',
      PYLAMBDA_PORT: '8080',
      PYLAMBDA_TIMEOUT_SECONDS: '10',
      PYLAMBDA_CODE_DIR: `${ROOT}/opt/pylambda/code`,
      PYLAMBDA_FUNCTION_NAME: 'greeter',
      PYLAMBDA_NAMESPACE: 'default',
      PYLAMBDA_DRAIN_SECONDS: '5',
      PYTHONPATH: `${ROOT}/opt/pylambda-runtime`,
      PYTHONDONTWRITEBYTECODE: '1',
    });
    expect(pod.warnings).to.deep.equal([]);
    // The same runtime variables as a PythonLambda's container env, in the same order.
    expect(files[`${ROOT}/opt/pylambda/settings/settings.json`]).to.equal(
      `${JSON.stringify(
        {
          PYLAMBDA_HANDLER: 'main.handler',
          PYLAMBDA_PORT: '8080',
          PYLAMBDA_TIMEOUT_SECONDS: '10',
          PYLAMBDA_CODE_DIR: '/opt/pylambda/code',
          PYLAMBDA_FUNCTION_NAME: 'greeter',
          PYLAMBDA_NAMESPACE: 'default',
          PYLAMBDA_DRAIN_SECONDS: '5',
        },
        null,
        2,
      )}\n`,
    );
  });

  it('refuses an annotated Deployment whose container does not run the runtime package', () => {
    const text = readFileSync(GREETER, 'utf8').replace("'-m', 'pylambda_runtime'", "'app.py'");
    expect(() => podOf(text)).to.throw(
      /no container of Deployment greeter runs python -u -P -m pylambda_runtime/,
    );
  });

  it('refuses a runtime container whose PYTHONPATH does not start at a mounted volume', () => {
    const text = readFileSync(GREETER, 'utf8').replace(
      'value: /opt/pylambda-runtime',
      'value: /usr/lib/elsewhere',
    );
    expect(() => podOf(text)).to.throw(/PYTHONPATH does not start with a mounted directory/);
  });

  it('refuses code that comes from a volume other than a ConfigMap', () => {
    const text = readFileSync(GREETER, 'utf8').replace(
      /- name: code\n {10}configMap:\n {12}name: greeter-code/,
      '- name: code\n          emptyDir: {}',
    );
    expect(() => podOf(text)).to.throw(/comes from a emptyDir volume/);
  });
});

describe('local process environment', () => {
  it("keeps the shell's PATH, drops its PYLAMBDA_* and PYTHON* variables, and lets the pod win", () => {
    const env = processEnv(
      { PATH: '/bin', PYTHONPATH: '/elsewhere', PYLAMBDA_HANDLER: 'x.y', HOME: '/home/me' },
      { HOME: '/root/tmp', PYLAMBDA_HANDLER: 'main.handler' },
      { PYLAMBDA_PORT: '0' },
    );
    expect(env).to.deep.equal({
      PATH: '/bin',
      HOME: '/root/tmp',
      PYLAMBDA_HANDLER: 'main.handler',
      PYLAMBDA_PORT: '0',
    });
  });
});
