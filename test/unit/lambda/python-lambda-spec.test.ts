import { expect } from 'chai';
import { pythonLambdaSpec } from '../../../src/lambda/python-lambda-spec.js';
import type { Problem } from '../../../src/validation/problems.js';
import { HELLO_CODE, specValidator } from '../../fixtures/lambda.js';

const IDENTITY = { name: 'hello', namespace: 'demo' };

function problems(raw: unknown): Problem[] {
  const result = pythonLambdaSpec(IDENTITY, raw, specValidator());
  expect(result.ok, 'expected the spec to be refused').to.equal(false);
  return result.ok ? [] : result.problems;
}

function paths(raw: unknown): string[] {
  return problems(raw).map((p) => p.path);
}

describe('PythonLambda spec validation', () => {
  it('applies every default to a minimal spec, and keeps the identity', () => {
    const result = pythonLambdaSpec(IDENTITY, { code: HELLO_CODE }, specValidator());
    expect(result).to.deep.equal({
      ok: true,
      spec: {
        code: HELLO_CODE,
        handler: 'main.handler',
        runtime: '3.13',
        replicas: 1,
        port: 8080,
        timeoutSeconds: 30,
        files: {},
        name: 'hello',
        namespace: 'demo',
      },
    });
  });

  it('does not modify the request’s spec while defaulting', () => {
    const raw = { code: HELLO_CODE };
    pythonLambdaSpec(IDENTITY, raw, specValidator());
    expect(raw).to.deep.equal({ code: HELLO_CODE });
  });

  it('names spec.replicas for a wrong type', () => {
    expect(problems({ code: HELLO_CODE, replicas: 'three' })).to.deep.equal([
      { path: 'spec.replicas', message: 'must be integer' },
    ]);
  });

  it('names spec.replicas out of range', () => {
    expect(paths({ code: HELLO_CODE, replicas: -1 })).to.deep.equal(['spec.replicas']);
  });

  it('names spec.env[0].name for a bad variable name', () => {
    const found = problems({ code: HELLO_CODE, env: [{ name: '1 bad' }] });
    expect(found.map((p) => p.path)).to.deep.equal(['spec.env[0].name']);
    expect(found[0]!.message).to.match(/pattern/);
  });

  it('names spec.env[1].name when it is missing', () => {
    expect(problems({ code: HELLO_CODE, env: [{ name: 'A' }, { value: 'x' }] })).to.deep.equal([
      { path: 'spec.env[1].name', message: 'is required' },
    ]);
  });

  // The CRD's env is a list map keyed by name, so the API server refuses a second variable of a
  // name; past a CRD without that schema, server-side apply would refuse the Deployment instead.
  it('names spec.env[2].name for a name an earlier variable has', () => {
    const env = [
      { name: 'A', value: 'x' },
      { name: 'B', value: 'y' },
      { name: 'A', value: 'z' },
    ];
    expect(problems({ code: HELLO_CODE, env })).to.deep.equal([
      { path: 'spec.env[2].name', message: '"A" is also the name of spec.env[0]: each name once' },
    ]);
  });

  // Env sources Kubernetes refuses in a pod template: the Deployment update would fail on every
  // sync, so the hook (and the CRD) refuse them first, as an invalid spec.
  for (const [what, valueFrom, path] of [
    ['an empty valueFrom', {}, 'spec.env[0].valueFrom'],
    [
      'a valueFrom with two sources',
      { secretKeyRef: { name: 's', key: 'k' }, configMapKeyRef: { name: 'c', key: 'k' } },
      'spec.env[0].valueFrom',
    ],
    [
      'a key with a space',
      { secretKeyRef: { name: 's', key: 'not a key' } },
      'spec.env[0].valueFrom.secretKeyRef.key',
    ],
    [
      'the key ".."',
      { configMapKeyRef: { name: 'c', key: '..' } },
      'spec.env[0].valueFrom.configMapKeyRef.key',
    ],
    [
      'a key starting with ".."',
      { configMapKeyRef: { name: 'c', key: '..data' } },
      'spec.env[0].valueFrom.configMapKeyRef.key',
    ],
  ] as const) {
    it(`names ${path} for ${what}`, () => {
      expect(paths({ code: HELLO_CODE, env: [{ name: 'A', valueFrom }] })).to.include(path);
    });
  }

  it('accepts a valueFrom with one source and a key such as ".env" or "tls.crt"', () => {
    for (const key of ['.env', 'tls.crt', 'a..b', 'K_1-x']) {
      const env = [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key } } }];
      expect(
        pythonLambdaSpec(IDENTITY, { code: HELLO_CODE, env }, specValidator()).ok,
        key,
      ).to.equal(true);
    }
  });

  it('names an unknown field', () => {
    expect(problems({ code: HELLO_CODE, replica: 2 })).to.deep.equal([
      { path: 'spec.replica', message: 'is not a known field' },
    ]);
  });

  it('names spec.code when it is missing, and every other problem too', () => {
    expect(paths({ handler: 'nodots', runtime: '2.7', port: 80 }).sort()).to.deep.equal([
      'spec.code',
      'spec.handler',
      'spec.port',
      'spec.runtime',
    ]);
  });

  it('says which runtimes exist', () => {
    expect(problems({ code: HELLO_CODE, runtime: '2.7' })).to.deep.equal([
      { path: 'spec.runtime', message: 'must be one of "3.11", "3.12", "3.13", "3.14"' },
    ]);
  });

  it('says a retired runtime reached its end of life, and which to pick instead', () => {
    expect(problems({ code: HELLO_CODE, runtime: '3.10' })).to.deep.equal([
      {
        path: 'spec.runtime',
        message:
          'Python 3.10 reached its end of life in October 2026 and is no longer served; must be one of "3.11", "3.12", "3.13", "3.14"',
      },
    ]);
  });

  it('names spec.resources.limits.memory for a bad quantity', () => {
    expect(paths({ code: HELLO_CODE, resources: { limits: { memory: 'lots' } } })).to.deep.equal([
      'spec.resources.limits.memory',
    ]);
  });

  it('names spec.files["../x"] for a path that leaves the code directory', () => {
    const found = problems({ code: HELLO_CODE, files: { '../x': 'boom' } });
    expect(found.map((p) => p.path)).to.deep.equal(['spec.files["../x"]']);
    expect(found[0]!.message).to.match(/relative path/);
  });

  for (const bad of ['/etc/passwd', 'a//b.py', 'a/../b.py', '.hidden', 'x/', 'a b.py', 'a..py']) {
    it(`refuses the file path ${JSON.stringify(bad)}`, () => {
      expect(paths({ code: HELLO_CODE, files: { [bad]: '' } })).to.deep.equal([
        `spec.files[${JSON.stringify(bad)}]`,
      ]);
    });
  }

  it('refuses a nested path whose ConfigMap key would pass 253 characters', () => {
    const nested = `${Array.from({ length: 10 }, () => 'd'.repeat(20)).join('/')}/${'f'.repeat(37)}.py`;
    expect(nested).to.have.length(250);
    expect(paths({ code: HELLO_CODE, files: { [nested]: '' } })).to.deep.equal([
      `spec.files[${JSON.stringify(nested)}]`,
    ]);
    const fits = `${'d'.repeat(100)}/${'f'.repeat(148)}.py`; // key: 253 characters
    expect(
      pythonLambdaSpec(IDENTITY, { code: HELLO_CODE, files: { [fits]: '' } }, specValidator()).ok,
    ).to.equal(true);
  });

  it('refuses reserved file names and says what to use instead', () => {
    const found = problems({
      code: HELLO_CODE,
      files: { 'main.py': '', 'requirements.txt': '', 'pylambda_runtime.py': '' },
    });
    expect(found.map((p) => p.path)).to.deep.equal([
      'spec.files["main.py"]',
      'spec.files["pylambda_runtime.py"]',
      'spec.files["requirements.txt"]',
    ]);
    expect(found[0]!.message).to.match(/spec\.code/);
  });

  it('refuses two paths that would share a ConfigMap key', () => {
    const found = problems({ code: HELLO_CODE, files: { 'pkg/util.py': '', 'pkg__util.py': '' } });
    expect(found).to.deep.equal([
      {
        path: 'spec.files["pkg__util.py"]',
        message: 'is stored under the same ConfigMap key as "pkg/util.py"',
      },
    ]);
  });

  it('refuses a path that needs another file, or main.py, as its directory, naming both', () => {
    const found = problems({
      code: HELLO_CODE,
      files: { a: 'x', 'a/b/c.py': 'y', 'main.py/d.py': 'z', 'ab/c.py': '' },
    });
    expect(found).to.deep.equal([
      {
        path: 'spec.files["a/b/c.py"]',
        message: 'needs the directory "a", but "a" is a file: one path cannot be both',
      },
      {
        path: 'spec.files["main.py/d.py"]',
        message:
          'needs the directory "main.py", but main.py (spec.code) is a file: one path cannot be both',
      },
    ]);
  });

  it('accepts nested files, and keeps them', () => {
    const result = pythonLambdaSpec(
      IDENTITY,
      { code: HELLO_CODE, files: { 'pkg/util.py': 'x', 'pkg/__init__.py': '' } },
      specValidator(),
    );
    expect(result.ok).to.equal(true);
    expect(result.ok && result.spec.files).to.deep.equal({
      'pkg/util.py': 'x',
      'pkg/__init__.py': '',
    });
  });

  it('refuses a missing or non-object spec', () => {
    expect(problems(undefined)).to.deep.equal([{ path: 'spec', message: 'is required' }]);
    expect(problems(null)).to.deep.equal([{ path: 'spec', message: 'is required' }]);
    expect(problems('code')).to.deep.equal([{ path: 'spec', message: 'must be an object' }]);
    expect(problems([])).to.deep.equal([{ path: 'spec', message: 'must be an object' }]);
  });
});
