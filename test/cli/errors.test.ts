// Input errors exit 1 with a message naming the file, the line or the field, and why; a runtime
// that cannot start exits 2. Nothing is printed on stdout when the input is wrong.
import { expect } from 'chai';
import { runCli, scratch, show, TEXT_STATS, type CliResult } from './run-cli.js';

const INVALID_SPEC = `# a ConfigMap first, so the lambda is not on line 1
apiVersion: v1
kind: ConfigMap
metadata:
  name: unrelated
data:
  a: b
---
apiVersion: pylambda.dev/v1alpha1
kind: PythonLambda
metadata:
  name: invalid
spec:
  code: "def handler(e, c): return 1"
  replicas: -1
  port: 70000
  handler: nodot
  colour: blue
`;

const BAD_ANNOTATIONS = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    pylambda.dev/handler: main
    pylambda.dev/port: eighty
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: python:3.12-slim
`;

// The annotated Deployment mounts its code from a ConfigMap that is not in the file.
const CODE_ELSEWHERE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    pylambda.dev/handler: main.handler
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: lambda
          image: python:3.13-slim
          command: [python, -u, -P, -m, pylambda_runtime]
          env:
            - {name: PYTHONPATH, value: /opt/pylambda-runtime}
          volumeMounts:
            - {name: runtime, mountPath: /opt/pylambda-runtime}
            - {name: settings, mountPath: /opt/pylambda/settings}
            - {name: code, mountPath: /opt/pylambda/code}
      volumes:
        - name: runtime
          emptyDir: {}
        - name: settings
          configMap: {name: web-pylambda}
        - name: code
          configMap: {name: web-code}
`;

const BAD_YAML = `apiVersion: pylambda.dev/v1alpha1
kind: PythonLambda
metadata:
  name: [unclosed
spec:
  code: x
`;

describe('pylambda errors', function () {
  this.timeout(60_000);
  const files = scratch();
  const runs: Record<string, Promise<CliResult>> = {};
  const paths: Record<string, string> = {};

  before(() => {
    paths.invalid = files.file('invalid.yaml', INVALID_SPEC);
    paths.badYaml = files.file('bad.yaml', BAD_YAML);
    paths.annotations = files.file('annotations.yaml', BAD_ANNOTATIONS);
    paths.codeElsewhere = files.file('code-elsewhere.yaml', CODE_ELSEWHERE);
    paths.noLambda = files.file(
      'none.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n',
    );
    paths.missing = `${files.dir}/does-not-exist.yaml`;
    runs.missing = runCli(['render', '-f', paths.missing]);
    runs.missingInvoke = runCli(['invoke', '-f', paths.missing]);
    runs.badYaml = runCli(['render', '-f', paths.badYaml]);
    runs.invalid = runCli(['render', '-f', paths.invalid]);
    runs.invalidInvoke = runCli(['invoke', '-f', paths.invalid, '--event', '{}']);
    runs.annotations = runCli(['render', '-f', paths.annotations]);
    runs.codeElsewhere = runCli(['invoke', '-f', paths.codeElsewhere]);
    runs.noLambda = runCli(['render', '-f', paths.noLambda]);
    runs.badEvent = runCli(['invoke', '-f', TEXT_STATS, '--event', '{"text": ']);
    runs.unknownOption = runCli(['render', '-f', TEXT_STATS, '--colour']);
    runs.tooLarge = runCli(['render', '-f', TEXT_STATS], {
      env: { PYLAMBDA_MAX_CODE_BYTES: '100' },
    });
    runs.noPython = runCli(['invoke', '-f', TEXT_STATS, '--python', `${files.dir}/no-python`]);
  });

  after(() => files.remove());

  async function failed(name: string, code: number): Promise<string> {
    const result = await runs[name]!;
    expect(result.code, show(result)).to.equal(code);
    expect(result.stdout, show(result)).to.equal('');
    return result.stderr;
  }

  it('a missing file: exit 1, naming it', async () => {
    expect(await failed('missing', 1)).to.equal(`pylambda: ${paths.missing}: no such file\n`);
    expect(await failed('missingInvoke', 1)).to.include(`${paths.missing}: no such file`);
  });

  it('invalid YAML: exit 1, with the file, line and column', async () => {
    expect(await failed('badYaml', 1)).to.match(/bad\.yaml:\d+:\d+: invalid YAML: /);
  });

  it('an invalid spec: exit 1, each field named with why, for render and invoke', async () => {
    for (const name of ['invalid', 'invalidInvoke']) {
      const stderr = await failed(name, 1);
      expect(stderr).to.include('invalid.yaml:9: PythonLambda default/invalid is invalid:');
      expect(stderr).to.include('spec.replicas: must be >= 0');
      expect(stderr).to.include('spec.port: must be <= 65535');
      expect(stderr).to.include('spec.handler: must match pattern');
      expect(stderr).to.include('spec.colour: is not a known field');
    }
  });

  it('bad decorator annotations: exit 1, each annotation named', async () => {
    const stderr = await failed('annotations', 1);
    expect(stderr).to.include('Deployment default/web is invalid:');
    expect(stderr).to.include(
      'metadata.annotations["pylambda.dev/handler"]: "main" must be module.function',
    );
    expect(stderr).to.include(
      'metadata.annotations["pylambda.dev/port"]: "eighty" must be a whole number',
    );
  });

  it('an annotated Deployment whose code ConfigMap is not in the file: exit 1, saying so', async () => {
    expect(await failed('codeElsewhere', 1)).to.include(
      'is mounted from ConfigMap web-code, which is not in the file',
    );
  });

  it('no lambda in the file: exit 1', async () => {
    expect(await failed('noLambda', 1)).to.include('none.yaml: no lambda in the file');
  });

  it('an --event that is not JSON: exit 1, before anything starts', async () => {
    expect(await failed('badEvent', 1)).to.match(/--event is not valid JSON: /);
  });

  it('an unknown option: exit 1 with a pointer to the help', async () => {
    const stderr = await failed('unknownOption', 1);
    expect(stderr).to.include("Unknown option '--colour'");
    expect(stderr).to.include('pylambda render --help');
  });

  it('code over the size limit: exit 1 with the hook message', async () => {
    expect(await failed('tooLarge', 1)).to.match(
      /refused \(CodeTooLarge\): .*limit of 100 \(PYLAMBDA_MAX_CODE_BYTES/,
    );
  });

  it('no Python to run the runtime: exit 2', async () => {
    expect(await failed('noPython', 2)).to.include('no-python: not found');
  });
});
