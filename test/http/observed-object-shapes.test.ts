// Observed objects are whole Kubernetes objects, and the hooks read a few of their fields: owner
// references, managedFields, a Deployment's conditions and pod template, a ReplicaSet's owner.
// Where one of those has a shape the API server never returns, the request is answered 400
// naming that field (the request schemas declare those shapes, schemas/*.schema.json), never 500.
import { expect } from 'chai';
import fc from 'fast-check';
import type { KubeObject } from '../../src/metacontroller/objects.js';
import { postHook, testApp } from '../fixtures/app.js';
import { helloSpec } from '../fixtures/lambda.js';
import { compositeRequest, goJson, pythonLambda, SYNC_PATH } from '../fixtures/metacontroller.js';
import { observeChildren } from '../fixtures/observed.js';

const app = testApp();
const DECORATOR_SYNC = '/hooks/lambda-deployment/sync';
type Json = Record<string, unknown>;

/** A sync request of a running lambda: its children observed, a ReplicaSet of it related. */
async function runningLambdaRequest(spec: unknown = helloSpec()): Promise<Json> {
  const parent = pythonLambda({ spec: helloSpec() });
  const first = await postHook(app, SYNC_PATH, compositeRequest({ parent }));
  expect(first.status, first.text).to.equal(200);
  const children = observeChildren(first.body.children as KubeObject[], parent, {
    deployment: 'rolled-out',
  });
  const request = JSON.parse(
    JSON.stringify(compositeRequest({ parent: pythonLambda({ spec: spec as never }), children })),
  ) as Json;
  const deployment = children.find((c) => c.kind === 'Deployment')!;
  request.related = {
    'ReplicaSet.apps/v1': {
      [`demo/${deployment.metadata.name}-abc`]: {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${deployment.metadata.name}-abc`,
          namespace: deployment.metadata.namespace,
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              name: deployment.metadata.name,
              uid: 'd',
              controller: true,
            },
          ],
        },
        spec: { replicas: 1, template: (deployment.spec as Json).template },
        status: { replicas: 1 },
      },
    },
  };
  return request;
}

function decoratorRequest(): Json {
  return {
    controller: {},
    object: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'greeter',
        namespace: 'demo',
        uid: 'g',
        annotations: { 'pylambda.dev/handler': 'main.handler' },
      },
      spec: {
        selector: { matchLabels: { app: 'greeter' } },
        template: {
          metadata: { labels: { app: 'greeter' } },
          spec: { containers: [{ name: 'app', image: 'python:3.13-slim' }] },
        },
      },
    },
    attachments: {},
    related: {},
    finalizing: false,
  };
}

/** The one object of `group` in `map` (children or related), to be changed in place. */
function only(request: Json, map: string, group: string): Json {
  const objects = (request[map] as Record<string, Record<string, Json>>)[group]!;
  return Object.values(objects)[0]!;
}

function setAt(target: Json, path: string[], value: unknown): void {
  let at = target;
  for (const key of path.slice(0, -1)) at = (at[key] ??= {}) as Json;
  at[path[path.length - 1]!] = value;
}

interface Place {
  what: string;
  hook: 'composite' | 'decorator';
  /** The object to change, in a request of that hook. */
  object: (request: Json) => Json;
  field: string[];
}

const PLACES: Place[] = [
  {
    what: 'a child Deployment’s metadata.ownerReferences',
    hook: 'composite',
    object: (r) => only(r, 'children', 'Deployment.apps/v1'),
    field: ['metadata', 'ownerReferences'],
  },
  {
    what: 'a child ConfigMap’s metadata.managedFields',
    hook: 'composite',
    object: (r) => only(r, 'children', 'ConfigMap.v1'),
    field: ['metadata', 'managedFields'],
  },
  {
    what: 'a child Deployment’s status.conditions',
    hook: 'composite',
    object: (r) => only(r, 'children', 'Deployment.apps/v1'),
    field: ['status', 'conditions'],
  },
  {
    what: 'a related ReplicaSet’s metadata.ownerReferences',
    hook: 'composite',
    object: (r) => only(r, 'related', 'ReplicaSet.apps/v1'),
    field: ['metadata', 'ownerReferences'],
  },
  {
    what: 'the decorated Deployment’s spec.template.spec.containers',
    hook: 'decorator',
    object: (r) => r.object as Json,
    field: ['spec', 'template', 'spec', 'containers'],
  },
  {
    what: 'the decorated Deployment’s spec.template.spec.volumes',
    hook: 'decorator',
    object: (r) => r.object as Json,
    field: ['spec', 'template', 'spec', 'volumes'],
  },
];

async function post(hook: Place['hook'], request: Json) {
  return postHook(app, hook === 'composite' ? SYNC_PATH : DECORATOR_SYNC, goJson(request));
}

interface Requests {
  /** A valid spec: the children are rendered. */
  rendering: Json;
  /** An invalid spec: every child is carried over as observed. */
  keeping: Json;
  decorator: Json;
}

function requestsFor(requests: Requests, place: Place): Json[] {
  const copy = (request: Json) => structuredClone(request);
  return place.hook === 'composite'
    ? [copy(requests.rendering), copy(requests.keeping)]
    : [copy(requests.decorator), { ...copy(requests.decorator), finalizing: true }];
}

interface Problem {
  path: string;
  message: string;
}

describe('observed objects of shapes the API server never returns', () => {
  let requests: Requests;

  before(async () => {
    requests = {
      rendering: await runningLambdaRequest(),
      keeping: await runningLambdaRequest({ ...helloSpec(), replicas: 'three' }),
      decorator: decoratorRequest(),
    };
  });

  it('answers the requests they start from 200', async () => {
    for (const [hook, request] of [
      ['composite', requests.rendering],
      ['composite', requests.keeping],
      ['decorator', requests.decorator],
    ] as const) {
      const res = await post(hook, request);
      expect(res.status, res.text).to.equal(200);
    }
  });

  for (const place of PLACES) {
    for (const value of ['x', 7, {}, [null], ['x']]) {
      it(`${place.what} = ${JSON.stringify(value)}: 400 naming the field`, async () => {
        for (const request of requestsFor(requests, place)) {
          setAt(place.object(request), place.field, value);
          const res = await post(place.hook, request);
          expect(res.status, res.text).to.equal(400);
          const field = `.${place.field.join('.')}`;
          const paths = (res.body as { problems: Problem[] }).problems.map((p) => p.path);
          expect(paths, res.text).to.satisfy((all: string[]) =>
            all.some((path) => path.endsWith(field) || path.endsWith(`${field}[0]`)),
          );
        }
      });
    }
  }

  // The Service selects by the decorated Deployment's matchLabels: any other shape would make a
  // Service whose selector the API server refuses, or one that selects other pods.
  for (const value of ['app', ['greeter'], { app: 5 }, { app: null }, { app: ['greeter'] }]) {
    it(`the decorated Deployment’s spec.selector.matchLabels = ${JSON.stringify(value)}: 400 naming the field`, async () => {
      for (const hook of ['sync', 'finalize'] as const) {
        const request: Json = {
          ...structuredClone(requests.decorator),
          finalizing: hook === 'finalize',
        };
        setAt(request.object as Json, ['spec', 'selector', 'matchLabels'], value);
        const res = await post('decorator', request);
        expect(res.status, res.text).to.equal(400);
        const paths = (res.body as { problems: Problem[] }).problems.map((p) => p.path);
        expect(paths, res.text).to.satisfy((all: string[]) =>
          all.some((path) => path.startsWith('object.spec.selector.matchLabels')),
        );
      }
    });
  }

  // The pods a ReplicaSet has are summed into Ready's count of pods of older code.
  for (const value of ['x', -1, 1.5, {}, null]) {
    it(`a related ReplicaSet’s status.replicas = ${JSON.stringify(value)}: 400 naming the field`, async () => {
      for (const request of [
        structuredClone(requests.rendering),
        structuredClone(requests.keeping),
      ]) {
        setAt(only(request, 'related', 'ReplicaSet.apps/v1'), ['status', 'replicas'], value);
        const res = await post('composite', request);
        expect(res.status, res.text).to.equal(400);
        const paths = (res.body as { problems: Problem[] }).problems.map((p) => p.path);
        expect(paths, res.text).to.satisfy((all: string[]) =>
          all.some((path) => path.endsWith('.status.replicas')),
        );
      }
    });
  }

  it('answers any value in a related ReplicaSet’s pod template or count without a 5xx', async () => {
    const fields = fc.constantFrom<string[]>(
      ['status', 'replicas'],
      ['spec', 'template'],
      ['spec', 'template', 'metadata'],
      ['spec', 'template', 'metadata', 'labels'],
      ['spec', 'template', 'metadata', 'annotations', 'kubectl.kubernetes.io/restartedAt'],
    );
    await fc.assert(
      fc.asyncProperty(fields, fc.jsonValue({ maxDepth: 3 }), async (field, value) => {
        const request = structuredClone(requests.rendering);
        setAt(only(request, 'related', 'ReplicaSet.apps/v1'), field, value);
        const res = await post('composite', request);
        expect(
          res.status,
          `${field.join('.')} = ${JSON.stringify(value)}: ${res.text}`,
        ).to.be.oneOf([200, 400]);
      }),
      { numRuns: 200 },
    );
  });

  it('answers any value at those fields, or inside them, without a 5xx', async () => {
    const inside: { place: Place; below: string[] }[] = [
      ...PLACES.map((place) => ({ place, below: [] })),
      { place: PLACES[0]!, below: ['0'] },
      { place: PLACES[0]!, below: ['0', 'controller'] },
      { place: PLACES[1]!, below: ['0', 'fieldsV1'] },
      { place: PLACES[2]!, below: ['0'] },
      { place: PLACES[2]!, below: ['0', 'type'] },
      { place: PLACES[3]!, below: ['0', 'name'] },
      { place: PLACES[4]!, below: ['0'] },
      { place: PLACES[4]!, below: ['0', 'command'] },
      { place: PLACES[4]!, below: ['0', 'args'] },
      { place: PLACES[4]!, below: ['0', 'env'] },
      { place: PLACES[4]!, below: ['0', 'env', '0', 'valueFrom'] },
      { place: PLACES[4]!, below: ['0', 'envFrom', '0'] },
      { place: PLACES[5]!, below: ['0'] },
      { place: PLACES[5]!, below: ['0', 'configMap'] },
      { place: PLACES[5]!, below: ['0', 'projected', 'sources', '0', 'configMap'] },
    ];
    const wherever = fc.constantFrom(...inside);
    await fc.assert(
      fc.asyncProperty(wherever, fc.jsonValue({ maxDepth: 3 }), async ({ place, below }, value) => {
        for (const request of requestsFor(requests, place)) {
          const object = place.object(request);
          if (below.length > 0) setAt(object, place.field, [{ name: 'app', image: 'x' }]);
          setAt(object, [...place.field, ...below], value);
          const res = await post(place.hook, request);
          expect(
            res.status,
            `${place.what} ${below.join('.')} = ${JSON.stringify(value)}: ${res.text}`,
          ).to.be.oneOf([200, 400]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
