// PythonLambda specs: valid ones (every field, at and inside every limit) and single mutations
// that make a spec invalid, each with the path its Ready=False message has to name.
import fc from 'fast-check';
import {
  anyText,
  deepValue,
  hugeString,
  jsonNoise,
  nested,
  parseable,
  subdomainName,
} from './kube-arbitraries.js';
import { dottedPath } from './contract.js';
import { autoscalingProblems } from '../../../src/lambda/autoscaling-problems.js';
import type { PythonLambdaSpec } from '../../../src/generated/pythonlambda-spec.js';

export type Spec = Record<string, unknown>;

export interface SpecMutation {
  what: string;
  /** How the hook's message spells the broken path (its first 120 characters are checked). */
  at: string;
  apply: (spec: Spec) => Spec | undefined;
}

const KNOWN_FIELDS = [
  'code',
  'files',
  'handler',
  'runtime',
  'image',
  'requirements',
  'env',
  'replicas',
  'autoscaling',
  'disruptionBudget',
  'topologySpread',
  'resources',
  'port',
  'timeoutSeconds',
];
const RESERVED_FILES = ['main.py', 'pylambda_runtime.py', 'requirements.txt'];
export const SPEC_CODE_LIMIT = 1024 * 1024;

const pythonIdentifier = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,11}$/);

export const validHandler: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constant('main.handler'), weight: 2 },
  {
    arbitrary: fc
      .tuple(fc.array(pythonIdentifier, { minLength: 1, maxLength: 3 }), pythonIdentifier)
      .map(([modules, fn]) => [...modules, fn].join('.')),
    weight: 4,
  },
  // Exactly the 253-character limit.
  { arbitrary: fc.constant(`m.${'f'.repeat(251)}`), weight: 1 },
);

const plainCode: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: anyText(300).map((s) => s || 'x'), weight: 4 },
  { arbitrary: fc.constant('def handler(event, context):\n    return {"ok": "<&>"}\n'), weight: 1 },
);

const codeText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: plainCode, weight: 30 },
  // Around the default 192 KiB code limit (CodeTooLarge beyond it).
  { arbitrary: hugeString(190_000, 200_000), weight: 1 },
);

const fileSegment = fc.stringMatching(
  /^[A-Za-z0-9_][-A-Za-z0-9_]{0,10}(\.[-A-Za-z0-9_]{1,4}){0,2}$/,
);
const configMapKey = (path: string) => path.replaceAll('/', '__');

export const validFilePath: fc.Arbitrary<string> = fc
  .oneof(
    {
      arbitrary: fc.array(fileSegment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/')),
      weight: 8,
    },
    // ConfigMap keys of exactly 253 characters ('/' is stored as '__').
    { arbitrary: fc.constant(`${'a'.repeat(250)}.py`), weight: 1 },
    { arbitrary: fc.constant(`${'d'.repeat(120)}/${'f'.repeat(127)}.py`), weight: 1 },
  )
  .filter((path) => !RESERVED_FILES.includes(path) && configMapKey(path).length <= 253);

const files = parseable(fc.dictionary(validFilePath, anyText(200), { maxKeys: 4 })).filter(
  (map) => {
    const paths = Object.keys(map);
    const keys = paths.map(configMapKey);
    // No path inside another one, or inside main.py: a path is a file or a directory.
    const nested = paths.some((path) =>
      [...paths, 'main.py'].some((file) => path.startsWith(`${file}/`)),
    );
    return new Set(keys).size === keys.length && !nested;
  },
);

const quantity = fc.oneof(
  fc.integer({ min: 0, max: 64 }),
  fc.constantFrom('100m', '0.5', '1', '2Gi', '512Mi', '1e3', '1.5', '.5', '+1', '64M', '250m'),
);
const resourceList = fc.record(
  { cpu: quantity, memory: quantity, 'ephemeral-storage': quantity },
  { requiredKeys: [] },
);

/** Requests and limits; where both name a resource, the request is the limit (never above it). */
const resources = fc
  .record({ requests: resourceList, limits: resourceList }, { requiredKeys: [] })
  .map(({ requests, limits }) => {
    if (!requests || !limits)
      return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
    const capped: Record<string, unknown> = { ...limits };
    for (const name of Object.keys(limits)) {
      if (name in requests) capped[name] = (requests as Record<string, unknown>)[name];
    }
    return { requests, limits: capped };
  });

const envName = fc.oneof(
  fc.stringMatching(/^[-._a-zA-Z][-._a-zA-Z0-9]{0,20}$/),
  // Names pylambda sets too, that a user's value overrides (the layout's own are refused).
  fc.constantFrom('PYLAMBDA_DRAIN_SECONDS', 'HOME', 'PATH', `E${'_'.repeat(255)}`),
);
const keySelector = fc.record(
  {
    name: subdomainName(),
    // A Secret or ConfigMap key, as Kubernetes allows one in a pod's env.
    key: fc.oneof(
      fc.stringMatching(/^[-_a-zA-Z0-9][-._a-zA-Z0-9]{0,39}$/),
      fc.stringMatching(/^\.[-_a-zA-Z0-9][-._a-zA-Z0-9]{0,38}$/),
    ),
    optional: fc.boolean(),
  },
  { requiredKeys: ['name', 'key'] },
);
const envVar = fc.oneof(
  fc.record({ name: envName, value: anyText(100) }, { requiredKeys: ['name'] }),
  fc.record({
    name: envName,
    valueFrom: fc.oneof(
      fc.record({ secretKeyRef: keySelector }),
      fc.record({ configMapKeyRef: keySelector }),
    ),
  }),
);

const scalingRules = fc.record(
  {
    stabilizationWindowSeconds: fc.integer({ min: 0, max: 3600 }),
    selectPolicy: fc.constantFrom('Max', 'Min', 'Disabled'),
    policies: fc.array(
      fc.record({
        type: fc.constantFrom('Pods', 'Percent'),
        value: fc.integer({ min: 1, max: 1000 }),
        periodSeconds: fc.integer({ min: 1, max: 1800 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    tolerance: fc.constantFrom('0.05', '0', 1, '100m'),
  },
  { requiredKeys: [] },
);

const autoscaling = fc
  .record(
    {
      minReplicas: fc.integer({ min: 1, max: 3 }),
      maxReplicas: fc.oneof(fc.integer({ min: 3, max: 20 }), fc.constant(1000)),
      targetCPUUtilizationPercentage: fc.integer({ min: 1, max: 1000 }),
      targetMemoryUtilizationPercentage: fc.integer({ min: 1, max: 1000 }),
      behavior: fc.record({ scaleUp: scalingRules, scaleDown: scalingRules }, { requiredKeys: [] }),
    },
    { requiredKeys: ['maxReplicas'] },
  )
  .filter(
    (a) =>
      a.targetCPUUtilizationPercentage !== undefined ||
      a.targetMemoryUtilizationPercentage !== undefined,
  );

const intOrPercent = fc.oneof(
  fc.integer({ min: 0, max: 5 }),
  fc.constantFrom('0%', '25%', '50%', '100%'),
);
const disruptionBudget = fc.oneof(
  fc.record({ enabled: fc.boolean(), maxUnavailable: intOrPercent }, { requiredKeys: [] }),
  fc.record({ enabled: fc.boolean(), minAvailable: intOrPercent }, { requiredKeys: [] }),
);

/** A generated autoscaler whose target has a zero request would be invalid: leave it out then. */
function withUsableAutoscaling(spec: Spec): Spec {
  if (!spec.autoscaling || autoscalingProblems(spec as unknown as PythonLambdaSpec).length === 0)
    return spec;
  const { autoscaling: _dropped, ...rest } = spec;
  return rest;
}

function specWith(
  code: fc.Arbitrary<string>,
  requirements: fc.Arbitrary<string>,
): fc.Arbitrary<Spec> {
  return fc
    .record(
      {
        code,
        files,
        handler: validHandler,
        runtime: fc.constantFrom('3.11', '3.12', '3.13', '3.14'),
        image: fc.oneof(
          fc.stringMatching(/^[a-z0-9./:@-]{1,60}$/),
          fc.constant(`registry.example/${'i'.repeat(495)}`),
        ),
        requirements,
        env: fc.uniqueArray(envVar, { selector: (e) => e.name, maxLength: 5 }),
        replicas: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constantFrom(0, 1000)),
        autoscaling,
        disruptionBudget,
        topologySpread: fc.record({ enabled: fc.boolean() }, { requiredKeys: [] }),
        resources,
        port: fc.oneof(fc.constantFrom(1024, 8080, 65535), fc.integer({ min: 1024, max: 65535 })),
        timeoutSeconds: fc.oneof(fc.constantFrom(1, 30, 900), fc.integer({ min: 1, max: 900 })),
      },
      { requiredKeys: ['code'] },
    )
    .map(withUsableAutoscaling);
}

/** A spec the CRD schema and the hook both accept, now and then at its size limits. */
export const validSpec: fc.Arbitrary<Spec> = specWith(
  codeText,
  fc.oneof(
    { arbitrary: anyText(200), weight: 19 },
    // Exactly the 64 KiB limit.
    { arbitrary: fc.constant('r'.repeat(65536)), weight: 1 },
  ),
);

/** A valid spec of a few KiB at most: the base of requests broken elsewhere. */
export const smallValidSpec: fc.Arbitrary<Spec> = specWith(plainCode, anyText(200));

/** Bytes the hook counts against PYLAMBDA_MAX_CODE_BYTES. */
export function codeBytes(spec: Spec): number {
  let total = Buffer.byteLength(String(spec.code), 'utf8');
  for (const content of Object.values((spec.files as Record<string, string>) ?? {})) {
    total += Buffer.byteLength(content, 'utf8');
  }
  if (typeof spec.requirements === 'string') total += Buffer.byteLength(spec.requirements, 'utf8');
  return total;
}

function setField(spec: Spec, key: string, value: unknown): Spec {
  const copy = { ...spec };
  // defineProperty, so that `__proto__` becomes a field and not the prototype.
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

const at = (...segments: (string | number)[]) => dottedPath(['spec', ...segments]);

const notAString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 2 }),
  parseable(
    fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
  ),
);
const notAnInteger = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n)),
  fc.string({ maxLength: 5 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant([1]),
  fc.constant({ value: 1 }),
);
const notAnObject = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 5 }),
  fc.constant(null),
  fc.constant([]),
);

function replace(
  field: string,
  values: fc.Arbitrary<unknown>,
  what: string,
): fc.Arbitrary<SpecMutation> {
  return values.map((value) => ({
    what: `${what}: ${field} = ${JSON.stringify(value)?.slice(0, 60)}`,
    at: at(field),
    apply: (spec) => setField(spec, field, value),
  }));
}

const wrongTypes = fc.oneof(
  ...['code', 'handler', 'runtime', 'image', 'requirements'].map((f) =>
    replace(f, notAString, 'wrong type'),
  ),
  ...['replicas', 'port', 'timeoutSeconds'].map((f) => replace(f, notAnInteger, 'wrong type')),
  ...['files', 'resources'].map((f) => replace(f, notAnObject, 'wrong type')),
  replace(
    'env',
    fc.oneof(
      fc.integer(),
      fc.string({ maxLength: 5 }),
      fc.constant(null),
      fc.constant({ name: 'A' }),
    ),
    'wrong type',
  ),
);

const outOfRange = fc.oneof(
  replace('replicas', fc.constantFrom(-1, 1001, 2 ** 53), 'out of range'),
  replace(
    'autoscaling',
    fc.constantFrom(
      { maxReplicas: 2, minReplicas: 3, targetCPUUtilizationPercentage: 50 },
      { maxReplicas: 3 },
    ),
    'an impossible autoscaler',
  ),
  replace('disruptionBudget', fc.constant({ maxUnavailable: 1, minAvailable: 1 }), 'both limits'),
  replace('port', fc.constantFrom(0, 80, 1023, 65536), 'out of range'),
  replace('timeoutSeconds', fc.constantFrom(0, -5, 901), 'out of range'),
  replace('runtime', fc.constantFrom('2.7', '3.9', '3.10', '', '3.12 ', 'latest'), 'not a runtime'),
  replace('code', fc.constant(''), 'empty'),
  replace('image', fc.constantFrom('', 'has space', 'tab\there', 'x'.repeat(513)), 'bad image'),
  replace(
    'handler',
    fc.constantFrom(
      'handler',
      'main.',
      '.main',
      '1a.b',
      'a b.c',
      'ñ.f',
      'main.handler()',
      `m.${'f'.repeat(252)}`,
    ),
    'bad handler',
  ),
  replace('requirements', fc.constant('r'.repeat(65537)), 'too long'),
  replace('code', fc.constant('c'.repeat(SPEC_CODE_LIMIT + 1)), 'over 1 MiB'),
  replace(
    'env',
    fc.constant(Array.from({ length: 129 }, (_, i) => ({ name: `V${i}`, value: '' }))),
    'over 128 variables',
  ),
);

/** A bad item appended to spec.env, and where within it the problem is. */
interface BadEnvItem {
  item: unknown;
  within: string[];
}

const badEnvItems: fc.Arbitrary<BadEnvItem> = fc.oneof<fc.Arbitrary<BadEnvItem>[]>(
  fc.constant({ item: {}, within: ['name'] }),
  fc
    .constantFrom('', '1X', 'a b', 'ü', 'A=B', `E${'x'.repeat(256)}`)
    .map((name) => ({ item: { name, value: 'v' }, within: ['name'] })),
  fc.constant({ item: { name: 'OK', extra: 1 }, within: ['extra'] }),
  fc.constant({ item: { name: 'OK', value: 5 }, within: ['value'] }),
  fc.constant({
    item: { name: 'OK', valueFrom: { fieldRef: {} } },
    within: ['valueFrom', 'fieldRef'],
  }),
  fc.constant({
    item: { name: 'OK', valueFrom: { secretKeyRef: { name: 's' } } },
    within: ['valueFrom', 'secretKeyRef', 'key'],
  }),
  fc.constantFrom(' ', '.', '..', '..data', 'a/b', 'ключ').map((key) => ({
    item: { name: 'OK', valueFrom: { configMapKeyRef: { name: 'c', key } } },
    within: ['valueFrom', 'configMapKeyRef', 'key'],
  })),
  fc.constant({ item: { name: 'OK', valueFrom: {} }, within: ['valueFrom'] }),
  fc
    .constantFrom('PYLAMBDA_PORT', 'PYLAMBDA_HANDLER', 'PYLAMBDA_CODE_DIR', 'PYLAMBDA_DEPS_DIR')
    .map((name) => ({ item: { name, value: 'v' }, within: ['name'] })),
  fc.constant({ item: { name: 'PYLAMBDA_HOST', value: '127.0.0.1' }, within: ['name'] }),
  fc.constant({
    item: { name: 'PYTHONPATH', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
    within: ['valueFrom'],
  }),
  fc.constant({ item: 'A=1', within: [] }),
);

const badEnv: fc.Arbitrary<SpecMutation> = badEnvItems.map(({ item, within }) => ({
  what: `bad env item ${JSON.stringify(item).slice(0, 60)}`,
  at: at('env', 0, ...within),
  apply: (spec) => ({ ...spec, env: [item, ...(Array.isArray(spec.env) ? spec.env : [])] }),
}));

const badResources = fc.oneof(
  fc
    .constantFrom<number | string>('lots', '1.2.3', '10 Mi', '', 'Ki', '-1', '-1Gi', -1)
    .map((q) => ({
      what: `bad quantity ${q}`,
      at: at('resources', 'requests', 'cpu'),
      apply: (spec: Spec) => ({ ...spec, resources: { requests: { cpu: q } } }),
    })),
  fc.constant({
    what: 'unknown resource',
    at: at('resources', 'limits', 'gpu'),
    apply: (spec: Spec) => ({ ...spec, resources: { limits: { gpu: 1 } } }),
  }),
  fc.constant({
    what: 'limits as a list',
    at: at('resources', 'limits'),
    apply: (spec: Spec) => ({ ...spec, resources: { limits: [] } }),
  }),
);

const BAD_FILE_PATHS = [
  '../x.py',
  '/abs.py',
  'a//b.py',
  '',
  'a b.py',
  'ü.py',
  '.hidden',
  'a/../b.py',
  'a..b',
  'main.py',
  'requirements.txt',
  'pylambda_runtime.py',
  'x'.repeat(254),
  // 253 characters, but its ConfigMap key would be 254.
  `${'d'.repeat(125)}/${'f'.repeat(127)}`,
];

const badFiles = fc.oneof(
  fc.constantFrom(...BAD_FILE_PATHS).map((path) => ({
    what: `bad file path ${JSON.stringify(path).slice(0, 40)}`,
    at: `spec.files[${JSON.stringify(path)}]`,
    apply: (spec: Spec) => ({ ...spec, files: { 'ok.py': 'x', [path]: 'y' } }),
  })),
  fc.constant({
    what: 'two paths on one ConfigMap key',
    at: 'spec.files["a__b.py"]',
    apply: (spec: Spec) => ({ ...spec, files: { 'a/b.py': 'x', 'a__b.py': 'y' } }),
  }),
  fc.constant({
    what: 'a path inside another file',
    at: 'spec.files["a/b.py"]',
    apply: (spec: Spec) => ({ ...spec, files: { a: 'x', 'a/b.py': 'y' } }),
  }),
  notAString.map((value) => ({
    what: 'file content not a string',
    at: at('files', 'ok.py'),
    apply: (spec: Spec) => ({ ...spec, files: { 'ok.py': value } }),
  })),
  fc.constant({
    what: 'more than 64 files',
    at: at('files'),
    apply: (spec: Spec) => ({
      ...spec,
      files: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`f${i}.py`, ''])),
    }),
  }),
);

const unknownFieldName = fc
  .oneof(
    fc.constantFrom(
      'replica',
      'Code',
      'HANDLER',
      'constructor',
      'toString',
      'status',
      'spec',
      'a.b',
      'a/b',
      '',
    ),
    anyText(20),
    hugeString(1000, 40_000),
  )
  .filter((key) => !KNOWN_FIELDS.includes(key) && key !== '__proto__');

const unknownField = fc.tuple(unknownFieldName, jsonNoise()).map(([key, value]) => ({
  what: `unknown field ${JSON.stringify(key).slice(0, 40)}`,
  at: at(key),
  apply: (spec: Spec) => setField(spec, key, value),
}));

const deepNesting = fc.oneof(
  deepValue(100).map((value) => ({
    what: 'deep value as code',
    at: at('code'),
    apply: (spec: Spec) => ({ ...spec, code: value }),
  })),
  fc.integer({ min: 2, max: 100 }).map((depth) => ({
    what: `file content ${depth} levels deep`,
    at: at('files', 'deep.py'),
    apply: (spec: Spec) => ({ ...spec, files: { 'deep.py': nested(depth, 'x', true) } }),
  })),
  fc.integer({ min: 2, max: 100 }).map((depth) => ({
    what: `requests ${depth} levels deep`,
    at: at('resources', 'requests', 'a'),
    apply: (spec: Spec) => ({ ...spec, resources: { requests: nested(depth, 1, true) } }),
  })),
);

const missingCode: fc.Arbitrary<SpecMutation> = fc.constant({
  what: 'no code',
  at: at('code'),
  apply: (spec) => {
    const { code: _code, ...rest } = spec;
    return rest;
  },
});

const noSpec: fc.Arbitrary<SpecMutation> = fc.constant({
  what: 'no spec at all',
  at: 'spec',
  apply: () => undefined,
});

/** One change that makes any valid spec invalid, and the path the hook must name. */
export const specMutation: fc.Arbitrary<SpecMutation> = fc
  .oneof(
    { arbitrary: wrongTypes, weight: 6 },
    { arbitrary: outOfRange, weight: 6 },
    { arbitrary: badEnv, weight: 3 },
    { arbitrary: badResources, weight: 2 },
    { arbitrary: badFiles, weight: 4 },
    { arbitrary: unknownField, weight: 4 },
    { arbitrary: deepNesting, weight: 1 },
    { arbitrary: missingCode, weight: 1 },
    { arbitrary: noSpec, weight: 1 },
  )
  .map((m) => m as SpecMutation);
