// `pylambda invoke` end to end: the real runtime file, started from the rendered pod, called over
// loopback. Exit codes: 0 for 2xx, 3 for another status (body still printed), 2 when the handler
// cannot be imported.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect } from 'chai';
import { GREETER, runCli, scratch, show, TEXT_STATS, type CliResult } from './run-cli.js';

const RAISES = `apiVersion: pylambda.dev/v1alpha1
kind: PythonLambda
metadata:
  name: raises
spec:
  code: |
    def handler(event, context):
        raise ValueError("no " + event["thing"])
`;

const IMPORT_FAILS = `apiVersion: pylambda.dev/v1alpha1
kind: PythonLambda
metadata:
  name: import-fails
spec:
  code: |
    import pylambda_module_that_does_not_exist

    def handler(event, context):
        return "unreachable"
`;

// Two lambdas in one file, with files in a package, env, a header and a non-2xx explicit return.
const TWO_LAMBDAS = `apiVersion: pylambda.dev/v1alpha1
kind: PythonLambda
metadata:
  name: first
spec:
  code: |
    def handler(event, context):
        return "first"
---
apiVersion: pylambda.dev/v1alpha1
kind: PythonLambda
metadata:
  name: second
  namespace: shop
spec:
  handler: main.serve
  env:
    - name: GREETING
      value: hi
    - name: FROM_SECRET
      valueFrom:
        secretKeyRef: {name: s, key: k}
  files:
    pkg/__init__.py: ""
    pkg/shout.py: |
      def shout(text):
          return text.upper()
  code: |
    import os
    from pkg.shout import shout

    def serve(event, context):
        body = {
            "greeting": shout(os.environ["GREETING"]),
            "secret": os.environ.get("FROM_SECRET"),
            "method": context.method,
            "path": context.path,
            "query": context.query,
            "header": context.headers.get("x-team"),
            "event": event,
            "namespace": context.namespace,
            "codeDirInTemp": os.environ["PYLAMBDA_CODE_DIR"].endswith("/opt/pylambda/code"),
        }
        return {"statusCode": 418 if event is None else 200, "body": body}
`;

// A pure-Python wheel built on the spot, so that requirements install with no network.
const MAKE_WHEEL = `
import base64, hashlib, sys, zipfile
name, version = "pylambda_tinypkg", "1.0"
files = {
    f"{name}/__init__.py": "def twice(x):\\n    return 2 * x\\n",
    f"{name}-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n",
    f"{name}-{version}.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = f"{name}-{version}.dist-info/RECORD"
lines = []
with zipfile.ZipFile(sys.argv[1], "w") as wheel:
    for path, text in files.items():
        data = text.encode()
        wheel.writestr(path, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        lines.append(f"{path},sha256={digest},{len(data)}")
    wheel.writestr(record, "\\n".join(lines + [f"{record},,"]) + "\\n")
`;

function withRequirements(requirement: string): string {
  return `apiVersion: pylambda.dev/v1alpha1
kind: PythonLambda
metadata:
  name: with-requirements
spec:
  requirements: |
    ${requirement}
  code: |
    from pylambda_tinypkg import twice

    def handler(event, context):
        return {"twice": twice(event["n"])}
`;
}

describe('pylambda invoke', function () {
  this.timeout(60_000);
  const files = scratch();
  const runs: Record<string, Promise<CliResult>> = {};

  before(() => {
    const two = files.file('two.yaml', TWO_LAMBDAS);
    runs.textStats = runCli([
      'invoke',
      '-f',
      TEXT_STATS,
      '--verbose',
      '--event',
      '{"text": "To be, or not to be:\\nthat is the question."}',
    ]);
    runs.greeterPost = runCli(['invoke', '-f', GREETER, '--event', '{"name": "Ada"}']);
    runs.greeterQuery = runCli(['invoke', '-f', GREETER, '-X', 'GET', '--path', '/?name=Grace']);
    runs.raises = runCli([
      'invoke',
      '-f',
      files.file('raises.yaml', RAISES),
      '-e',
      '{"thing": "luck"}',
    ]);
    runs.importFails = runCli(['invoke', '-f', files.file('import.yaml', IMPORT_FAILS)]);
    runs.second = runCli([
      'invoke',
      '-f',
      two,
      '--name',
      'second',
      '--method',
      'put',
      '--path',
      '/items/7?x=1&x=2',
      '-H',
      'X-Team: blue',
      '--event-file',
      files.file('event.json', '{"n": 7}'),
    ]);
    runs.secondNoEvent = runCli(['invoke', '-f', two, '--name', 'second']);
    runs.ambiguous = runCli(['invoke', '-f', two]);
    const wheel = `${files.dir}/pylambda_tinypkg-1.0-py3-none-any.whl`;
    const made = spawnSync('python3', ['-c', MAKE_WHEEL, wheel], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`cannot build the test wheel: ${made.stderr}`);
    runs.requirements = runCli([
      'invoke',
      '-f',
      files.file('req.yaml', withRequirements(wheel)),
      '-e',
      '{"n": 21}',
    ]);
    runs.badRequirements = runCli([
      'invoke',
      '-f',
      files.file('bad-req.yaml', withRequirements(`${files.dir}/missing-1.0-py3-none-any.whl`)),
    ]);
  });

  after(() => files.remove());

  it('runs the text-stats sample and prints the JSON it answers', async () => {
    const result = await runs.textStats!;
    expect(result.code, show(result)).to.equal(0);
    expect(JSON.parse(result.stdout)).to.deep.equal({
      characters: 42,
      lines: 2,
      words: 10,
      top: [
        ['to', 2],
        ['be', 2],
        ['or', 1],
      ],
    });
    expect(result.stderr).to.include('HTTP/1.1 200 OK');
  });

  it('runs the annotated greeter with its code ConfigMap and the settings the operator attaches', async () => {
    const post = await runs.greeterPost!;
    expect(post.code, show(post)).to.equal(0);
    // served_by is PYLAMBDA_FUNCTION_NAME from the attached settings.json.
    expect(JSON.parse(post.stdout)).to.deep.equal({
      greeting: 'Hello, Ada!',
      served_by: 'greeter',
    });
    const get = await runs.greeterQuery!;
    expect(get.code, show(get)).to.equal(0);
    expect(JSON.parse(get.stdout)).to.deep.equal({
      greeting: 'Hello, Grace!',
      served_by: 'greeter',
    });
  });

  it('exits 3 with the runtime 500 JSON when the handler raises, and shows the traceback', async () => {
    const result = await runs.raises!;
    expect(result.code, show(result)).to.equal(3);
    const body = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(body).to.include({ error: 'no luck', type: 'ValueError' });
    expect(result.stderr).to.include('HTTP/1.1 500 Internal Server Error');
    expect(result.stderr).to.include('Traceback');
  });

  it('exits 2 naming the module when the handler cannot be imported', async () => {
    const result = await runs.importFails!;
    expect(result.code, show(result)).to.equal(2);
    expect(result.stdout).to.equal('');
    expect(result.stderr).to.match(
      /pylambda: the handler did not import: .*ModuleNotFoundError: No module named 'pylambda_module_that_does_not_exist'/,
    );
  });

  it('picks a lambda with --name and sends method, path, query, headers and an event file', async () => {
    const result = await runs.second!;
    expect(result.code, show(result)).to.equal(0);
    expect(JSON.parse(result.stdout)).to.deep.equal({
      greeting: 'HI',
      secret: null,
      method: 'PUT',
      path: '/items/7',
      query: { x: '2' },
      header: 'blue',
      event: { n: 7 },
      namespace: 'shop',
      codeDirInTemp: true,
    });
    expect(result.stderr).to.include('warning: env FROM_SECRET comes from valueFrom');
  });

  it('sends no body without an event, and exits 3 on a non-2xx answer', async () => {
    const result = await runs.secondNoEvent!;
    expect(result.code, show(result)).to.equal(3);
    expect(JSON.parse(result.stdout)).to.include({ event: null, method: 'POST', path: '/' });
    expect(result.stderr).to.match(/^HTTP\/1.1 418 /m);
  });

  it('installs requirements into the deps directory the runtime puts on sys.path', async () => {
    const result = await runs.requirements!;
    expect(result.code, show(result)).to.equal(0);
    expect(JSON.parse(result.stdout)).to.deep.equal({ twice: 42 });
    expect(result.stderr).to.match(
      /installing requirements: python3 -m pip install .*--target \S+\/opt\/pylambda-deps -r \S+\/opt\/pylambda\/requirements\.txt/,
    );
  });

  it('exits 2 with pip output when the requirements do not install', async () => {
    const result = await runs.badRequirements!;
    expect(result.code, show(result)).to.equal(2);
    expect(result.stderr).to.include('installing the requirements failed (pip exited with 1)');
    expect(result.stderr).to.include('missing-1.0-py3-none-any.whl');
  });

  it('asks for --name when the file holds several lambdas', async () => {
    const result = await runs.ambiguous!;
    expect(result.code, show(result)).to.equal(1);
    expect(result.stderr).to.include('PythonLambda default/first, PythonLambda shop/second');
    expect(result.stderr).to.include('--name');
  });

  it('leaves no temporary directory behind', async () => {
    // Verbose logs and tracebacks show the files' paths, under the run's temporary root.
    const results = await Promise.all(Object.values(runs));
    const roots = results.flatMap(
      (r) => r.stderr.match(/\/[^\s"]*\/pylambda-invoke-[^/\s"]+/g) ?? [],
    );
    expect(roots.length, 'some runs name their temporary root').to.be.greaterThan(1);
    for (const root of roots) expect(existsSync(root), `${root} is removed`).to.equal(false);
  });
});
