import { expect } from 'chai';
import fc from 'fast-check';
import {
  codeConfigMapName,
  codeVolumeItems,
  renderCodeConfigMap,
} from '../../../src/render/code-configmap.js';
import { isConfigMapKey, labelProblems } from '../../fixtures/kube-validation.js';
import {
  codeConfigMap,
  codeHashOf,
  HELLO_CODE,
  HELPERS_CODE,
  helloSpec,
  lambdaSpec,
} from '../../fixtures/lambda.js';
import type { PythonLambdaSpec } from '../../../src/generated/pythonlambda-spec.js';
import { pythonLambdaSpec } from '../../../src/lambda/python-lambda-spec.js';
import { specValidator } from '../../fixtures/lambda.js';

const LABELS = {
  'app.kubernetes.io/name': 'pylambda',
  'app.kubernetes.io/instance': 'hello',
  'app.kubernetes.io/managed-by': 'pylambda',
  'pylambda.dev/lambda': 'hello',
  'app.kubernetes.io/component': 'code',
};

describe('the code ConfigMap', () => {
  it('holds the code and nothing else for a minimal spec (the runtime comes from its image)', () => {
    const spec = lambdaSpec(helloSpec());
    const hash = codeHashOf(spec);
    expect(renderCodeConfigMap(spec, hash)).to.deep.equal({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `hello-code-${hash.slice(0, 10)}`, namespace: 'demo', labels: LABELS },
      immutable: true,
      data: { 'main.py': HELLO_CODE },
    });
    expect(codeVolumeItems(lambdaSpec(helloSpec()))).to.deep.equal([
      { key: 'main.py', path: 'code/main.py' },
    ]);
  });

  it('holds files in subdirectories under flat keys, and the requirements', () => {
    const spec = lambdaSpec(
      helloSpec({
        files: {
          'pkg/util.py': 'X = 1\n',
          'helpers.py': HELPERS_CODE,
          'pkg/__init__.py': '',
          'data/deep/table.json': '{}',
        },
        requirements: 'requests==2.32.3\n',
      }),
    );
    const hash = codeHashOf(spec);
    expect(renderCodeConfigMap(spec, hash)).to.deep.equal({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `hello-code-${hash.slice(0, 10)}`, namespace: 'demo', labels: LABELS },
      immutable: true,
      data: {
        'main.py': HELLO_CODE,
        'data__deep__table.json': '{}',
        'helpers.py': HELPERS_CODE,
        'pkg____init__.py': '',
        'pkg__util.py': 'X = 1\n',
        'requirements.txt': 'requests==2.32.3\n',
      },
    });
    expect(codeVolumeItems(spec)).to.deep.equal([
      { key: 'main.py', path: 'code/main.py' },
      { key: 'data__deep__table.json', path: 'code/data/deep/table.json' },
      { key: 'helpers.py', path: 'code/helpers.py' },
      { key: 'pkg____init__.py', path: 'code/pkg/__init__.py' },
      { key: 'pkg__util.py', path: 'code/pkg/util.py' },
      { key: 'requirements.txt', path: 'requirements.txt' },
    ]);
  });

  it('does not depend on the order in which files were written', () => {
    const a = lambdaSpec(helloSpec({ files: { 'b.py': 'b', 'a.py': 'a', 'c/d.py': 'd' } }));
    const b = lambdaSpec(helloSpec({ files: { 'c/d.py': 'd', 'a.py': 'a', 'b.py': 'b' } }));
    expect(JSON.stringify(codeConfigMap(a))).to.equal(JSON.stringify(codeConfigMap(b)));
    expect(codeVolumeItems(a)).to.deep.equal(codeVolumeItems(b));
  });

  it('is named after the lambda and its code hash, labelled validly', () => {
    const spec = lambdaSpec(helloSpec(), { name: '9lives' });
    const cm = codeConfigMap(spec);
    expect(cm.metadata!.name).to.equal(codeConfigMapName('9lives', codeHashOf(spec)));
    expect(cm.metadata!.name).to.equal(`9lives-code-${codeHashOf(spec).slice(0, 10)}`);
    expect(labelProblems(cm.metadata!.labels)).to.deep.equal([]);
  });

  it('gets a new name whenever the code hash changes, and keeps it otherwise', () => {
    const name = (extra: Partial<PythonLambdaSpec>) =>
      codeConfigMap(lambdaSpec(helloSpec(extra))).metadata!.name;
    const before = name({});
    for (const extra of [
      { code: 'def handler(e, c):\n    return 2\n' },
      { files: { 'more.py': 'X = 1\n' } },
      { requirements: 'six\n' },
      { handler: 'main.other' },
      { runtime: '3.11' },
    ] as Partial<PythonLambdaSpec>[]) {
      expect(name(extra), JSON.stringify(extra)).to.match(/^hello-code-[0-9a-f]{10}$/);
      expect(name(extra), JSON.stringify(extra)).to.not.equal(before);
    }
    for (const extra of [
      { replicas: 3 },
      { env: [{ name: 'A', value: 'b' }] },
      { port: 9000 },
      { timeoutSeconds: 5 },
    ] as Partial<PythonLambdaSpec>[]) {
      expect(name(extra), JSON.stringify(extra)).to.equal(before);
    }
  });

  it('for any accepted files, every key is a valid ConfigMap key and each maps to one item', () => {
    const segment = fc.stringMatching(
      /^[A-Za-z0-9_][-A-Za-z0-9_]{0,30}(\.[-A-Za-z0-9_]{1,8}){0,2}$/,
    );
    const path = fc.array(segment, { minLength: 1, maxLength: 12 }).map((s) => s.join('/'));
    const files = fc.dictionary(path, fc.string({ maxLength: 20 }), { maxKeys: 8 });
    fc.assert(
      fc.property(files, fc.boolean(), (extra, withRequirements) => {
        const raw = helloSpec({
          files: extra,
          ...(withRequirements ? { requirements: 'six\n' } : {}),
        });
        const result = pythonLambdaSpec({ name: 'hello', namespace: 'demo' }, raw, specValidator());
        fc.pre(result.ok);
        if (!result.ok) return;
        const cm = codeConfigMap(result.spec);
        const items = codeVolumeItems(result.spec);
        for (const key of Object.keys(cm.data!)) expect(isConfigMapKey(key), key).to.equal(true);
        expect(items.map((i) => i.key).sort()).to.deep.equal(Object.keys(cm.data!).sort());
        expect(new Set(items.map((i) => i.path)).size).to.equal(items.length);
        for (const [file, content] of Object.entries(extra)) {
          const item = items.find((i) => i.path === `code/${file}`);
          expect(item, file).to.not.equal(undefined);
          expect(cm.data![item!.key]).to.equal(content);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a long nested path that is accepted still gives a valid ConfigMap key', () => {
    // 250 characters with ten '/': flattened, each '/' becomes two characters.
    const path = `${Array.from({ length: 10 }, () => 'd'.repeat(20)).join('/')}/${'f'.repeat(37)}.py`;
    expect(path).to.have.length(250);
    const result = pythonLambdaSpec(
      { name: 'hello', namespace: 'demo' },
      helloSpec({ files: { [path]: 'x' } }),
      specValidator(),
    );
    if (!result.ok) {
      // Refusing it is fine too, as long as the field is named.
      expect(result.problems.map((p) => p.path)).to.deep.equal([
        `spec.files[${JSON.stringify(path)}]`,
      ]);
      return;
    }
    for (const key of Object.keys(codeConfigMap(result.spec).data!)) {
      expect(isConfigMapKey(key), key).to.equal(true);
    }
  });
});
