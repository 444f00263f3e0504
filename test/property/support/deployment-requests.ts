// Annotated Deployments as the decorator hooks receive them: pylambda annotations that are valid
// (in every accepted spelling) or broken (each naming where), random other annotations, labels,
// selectors and spec fields.
import fc from 'fast-check';
import { validHandler } from './spec-arbitraries.js';
import {
  annotations,
  hugeString,
  jsonNoise,
  kubeTime,
  labelName,
  labels,
  oddName,
  qualifiedKey,
  subdomainName,
  uidOf,
} from './kube-arbitraries.js';

export const HANDLER = 'pylambda.dev/handler';
export const PORT = 'pylambda.dev/port';
export const TIMEOUT = 'pylambda.dev/timeout-seconds';
export const CODE_DIR = 'pylambda.dev/code-dir';
export const OUTPUT_ANNOTATIONS = [
  'pylambda.dev/service',
  'pylambda.dev/url',
  'pylambda.dev/configmap',
  'pylambda.dev/error',
];
const INPUTS = [HANDLER, PORT, TIMEOUT, CODE_DIR];

/** One pylambda annotation: its value (undefined: not set) and whether the hook must refuse it. */
interface Setting {
  value: string | undefined;
  bad: boolean;
}

const ok = (value: string | undefined): Setting => ({ value, bad: false });
const bad = (value: string | undefined): Setting => ({ value, bad: true });
/** Surrounding whitespace is trimmed by the hook. */
const padded = (value: string) => fc.constantFrom(value, ` ${value}`, `${value}\n`, `\t${value} `);

const handler: fc.Arbitrary<Setting> = fc.oneof(
  { arbitrary: validHandler.chain(padded).map(ok), weight: 16 },
  {
    arbitrary: fc
      .constantFrom(
        undefined,
        '',
        ' ',
        'handler',
        'main.',
        '.main',
        '1a.b',
        'ñ.f',
        'a-b.c',
        `m.${'f'.repeat(252)}`,
      )
      .map(bad),
    weight: 4,
  },
  { arbitrary: hugeString(1000, 100_000).map(bad), weight: 1 },
);

function wholeNumber(min: number, max: number): fc.Arbitrary<Setting> {
  return fc.oneof(
    { arbitrary: fc.constant(ok(undefined)), weight: 4 },
    {
      arbitrary: fc
        .oneof(fc.integer({ min, max }), fc.constantFrom(min, max))
        .chain((n) => padded(String(n)))
        .map(ok),
      weight: 4,
    },
    {
      arbitrary: fc
        .constantFrom(
          String(min - 1),
          String(max + 1),
          '',
          'abc',
          '80.5',
          '-1',
          '1e3',
          '0x50',
          '９０',
          '٣',
          '99999999999999999999999',
        )
        .map(bad),
      weight: 2,
    },
  );
}

const codeDir: fc.Arbitrary<Setting> = fc.oneof(
  { arbitrary: fc.constant(ok(undefined)), weight: 4 },
  {
    arbitrary: fc
      .constantFrom('/opt/code', '/', '/app/src', ' /srv/x ', `/${'d'.repeat(1023)}`)
      .map(ok),
    weight: 3,
  },
  {
    arbitrary: fc
      .constantFrom('relative/path', '', ' ', '/a\u0000b', `/${'d'.repeat(1024)}`, '~/x')
      .map(bad),
    weight: 1,
  },
);

export interface DeploymentCase {
  name: string;
  namespace: string;
  settings: Record<string, Setting>;
  /** Other annotations on the Deployment, including leftovers of earlier syncs. */
  others: Record<string, string>;
  labels: Record<string, string>;
  selector: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
  /** Why the selector cannot become a Service selector, if it cannot. */
  selectorProblem?: string;
  replicas: number;
  extra: unknown;
  created: string;
}

const nonEmptyLabels = labels(3).filter((l) => Object.keys(l).length > 0);

interface SelectorChoice {
  selector: DeploymentCase['selector'];
  selectorProblem?: string;
}

const selector: fc.Arbitrary<SelectorChoice> = fc.oneof(
  {
    arbitrary: nonEmptyLabels.map((matchLabels): SelectorChoice => ({ selector: { matchLabels } })),
    weight: 8,
  },
  {
    arbitrary: fc.constant<SelectorChoice>({
      selector: { matchLabels: {} },
      selectorProblem: 'spec.selector.matchLabels',
    }),
    weight: 1,
  },
  {
    arbitrary: fc.constant<SelectorChoice>({
      selector: {},
      selectorProblem: 'spec.selector.matchLabels',
    }),
    weight: 1,
  },
  {
    arbitrary: nonEmptyLabels.map((matchLabels): SelectorChoice => ({
      selector: {
        matchLabels,
        matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }],
      },
      selectorProblem: 'spec.selector.matchExpressions',
    })),
    weight: 1,
  },
);

const otherAnnotations = fc
  .tuple(
    annotations(4),
    fc.dictionary(fc.constantFrom(...OUTPUT_ANNOTATIONS), fc.string({ maxLength: 30 }), {
      maxKeys: 2,
    }),
    fc.dictionary(
      qualifiedKey().map((k) => `pylambda.dev/${k.split('/').pop()}`),
      fc.string({ maxLength: 20 }),
      {
        maxKeys: 1,
      },
    ),
  )
  .map(([a, outputs, ours]) => {
    const merged: Record<string, string> = { ...a, ...outputs, ...ours };
    for (const key of INPUTS) delete merged[key];
    return merged;
  });

export const deploymentCase: fc.Arbitrary<DeploymentCase> = fc
  .record({
    name: fc.oneof({ arbitrary: subdomainName(), weight: 9 }, { arbitrary: oddName(), weight: 1 }),
    namespace: labelName(),
    handler,
    port: wholeNumber(1, 65535),
    timeout: wholeNumber(1, 900),
    codeDir,
    others: otherAnnotations,
    labels: labels(),
    selector,
    replicas: fc.integer({ min: 0, max: 10 }),
    extra: jsonNoise(),
    created: kubeTime(),
  })
  .map((r) => ({
    name: r.name,
    namespace: r.namespace,
    settings: { [HANDLER]: r.handler, [PORT]: r.port, [TIMEOUT]: r.timeout, [CODE_DIR]: r.codeDir },
    others: r.others,
    labels: r.labels,
    selector: r.selector.selector,
    ...(r.selector.selectorProblem ? { selectorProblem: r.selector.selectorProblem } : {}),
    replicas: r.replicas,
    extra: r.extra,
    created: r.created,
  }));

/** The paths the hook's error annotation must name; empty when the annotations are valid. */
export function expectedProblems(c: DeploymentCase): string[] {
  const paths = Object.entries(c.settings)
    .filter(([, s]) => s.bad)
    .map(([key]) => `metadata.annotations["${key}"]`);
  return c.selectorProblem ? [...paths, c.selectorProblem] : paths;
}

export function deploymentAnnotations(c: DeploymentCase): Record<string, string> {
  const out: Record<string, string> = { ...c.others };
  for (const [key, setting] of Object.entries(c.settings)) {
    if (setting.value !== undefined) out[key] = setting.value;
  }
  return out;
}

/** The Deployment as the API server returns it, with `annotations` as they are now. */
export function deploymentObject(c: DeploymentCase, annotationsNow = deploymentAnnotations(c)) {
  const podLabels = { ...c.labels, ...(c.selector.matchLabels ?? {}) };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      annotations: annotationsNow,
      creationTimestamp: c.created,
      generation: 4,
      labels: c.labels,
      name: c.name,
      namespace: c.namespace,
      resourceVersion: '4242',
      uid: uidOf('Deployment', c.namespace, c.name),
    },
    spec: {
      progressDeadlineSeconds: 600,
      replicas: c.replicas,
      selector: c.selector,
      template: {
        metadata: { labels: podLabels },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'python:3.13-slim',
              command: ['python', '-u', '-P', '-m', 'pylambda_runtime'],
            },
          ],
          volumes: [
            { name: 'runtime', emptyDir: {} },
            { name: 'settings', configMap: { name: `${c.name}-pylambda` } },
          ],
        },
      },
      extra: c.extra,
    },
    status: { observedGeneration: 4, replicas: c.replicas, updatedReplicas: c.replicas },
  };
}

export function deploymentRef(c: DeploymentCase) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: c.name,
    uid: uidOf('Deployment', c.namespace, c.name),
  };
}

/** The Deployment's annotations after Metacontroller applied an answer (null removes a key). */
export function applyAnnotations(
  current: Record<string, string>,
  answer: Record<string, string | null>,
): Record<string, string> {
  const next = { ...current };
  for (const [key, value] of Object.entries(answer)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
}
