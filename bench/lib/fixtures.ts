// The requests the hook benchmark sends, built as Metacontroller v4.17.2 sends them in a steady
// state (a resync of a lambda that is up): hook API v2, children keyed `namespace/name`, every
// object as its informer holds it (system metadata, defaults, managedFields of server-side
// apply, status), marshalled as Go's encoding/json does (every object's keys sorted). Our
// service renders the desired children once; they are then "stored" and fed back, so the
// requests follow whatever the service renders today.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { goStruct } from '../../test/fixtures/go-json.js';
import { postJson } from './http.js';
import {
  asStoredChild,
  clone,
  defaultDeployment,
  fieldsV1,
  isObject,
  managedField,
  uid,
  type JsonObject,
  type Obj,
} from './kube-objects.js';
import { ROOT } from './paths.js';

export const NAMESPACE = 'team-payments';
const CREATED = '2026-03-02T09:14:07Z';
const SYNCED = '2026-03-02T09:14:21Z';

export type CaseName = 'realistic' | 'large' | 'decorator';

export interface BenchCase {
  name: CaseName;
  title: string;
  /** Hook route; the query names the case for the ceiling, and the other servers ignore it. */
  path: string;
  body: string;
}

interface CompositeResponse {
  status: JsonObject;
  children: Obj[];
}

interface DecoratorResponse {
  annotations?: Record<string, string | null>;
  attachments: Obj[];
}

/** `root` is the tree whose samples and controllers shape the requests (another release's, say). */
function yamlFile(root: string, path: string): JsonObject {
  return parse(readFileSync(join(root, path), 'utf8')) as JsonObject;
}

/** A Metacontroller controller object as controller-runtime's cache serves it (no TypeMeta). */
function storedController(root: string, path: string): JsonObject {
  const controller = yamlFile(root, path);
  const metadata = controller.metadata as JsonObject;
  const { apiVersion: _a, kind: _k, ...rest } = controller;
  return {
    ...rest,
    metadata: {
      ...metadata,
      uid: uid(`controller/${String(metadata.name)}`),
      resourceVersion: '812',
      generation: 1,
      creationTimestamp: '2026-03-01T08:00:00Z',
      managedFields: [
        managedField(
          'kubectl',
          'Apply',
          'metacontroller.k8s.io/v1alpha1',
          '2026-03-01T08:00:00Z',
          fieldsV1({ spec: controller.spec ?? {} }),
        ),
      ],
    },
    status: {},
  };
}

function groupKey(object: Obj): string {
  const [group, version] = object.apiVersion.includes('/')
    ? object.apiVersion.split('/')
    : ['', object.apiVersion];
  return `${object.kind}.${group ? `${group}/${version}` : version}`;
}

/** Hook API v2 child map: every child type present, keys `namespace/name`. */
function childMap(groups: string[], objects: Obj[]): JsonObject {
  const map: JsonObject = Object.fromEntries(groups.map((g) => [g, {}]));
  for (const object of objects) {
    const key = `${object.metadata.namespace}/${object.metadata.name}`;
    const group = map[groupKey(object)] as JsonObject | undefined;
    // A new child type in the controller must be added to the groups the requests declare.
    if (!group) throw new Error(`bench: child type ${groupKey(object)} is not in the request`);
    group[key] = object;
  }
  return map;
}

/** Python source of about `bytes` bytes: plain functions, like a vendored helper library. */
export function generatedCode(bytes: number): string {
  const parts = [
    '"""Pricing rules: generated functions, the size of a vendored library."""\n\n',
    'def handler(event, context):\n    return {"rules": RULE_COUNT}\n\n\n',
  ];
  let size = parts.join('').length;
  let i = 0;
  while (size < bytes - 200) {
    const block =
      `def rule_${i}(amount, currency="EUR"):\n` +
      `    """Rule ${i}: scale by ${(i % 89) + 1} and add a fixed fee."""\n` +
      `    return {"amount": amount * ${(i % 89) + 1} + ${i % 1000}, "currency": currency}\n\n\n`;
    parts.push(block);
    size += block.length;
    i += 1;
  }
  parts.push(`RULE_COUNT = ${i}\n`);
  const code = parts.join('');
  return code + '#'.repeat(Math.max(0, bytes - code.length - 1)) + '\n';
}

function compositeParent(spec: JsonObject, name: string): Obj {
  const parentUid = uid(`PythonLambda/${NAMESPACE}/${name}`);
  return {
    apiVersion: 'pylambda.dev/v1alpha1',
    kind: 'PythonLambda',
    metadata: {
      name,
      namespace: NAMESPACE,
      uid: parentUid,
      resourceVersion: '48213',
      generation: 1,
      creationTimestamp: CREATED,
      finalizers: ['metacontroller.io/compositecontroller-pythonlambda-controller'],
      managedFields: [
        managedField('kubectl', 'Apply', 'pylambda.dev/v1alpha1', CREATED, fieldsV1({ spec })),
        managedField('metacontroller', 'Update', 'pylambda.dev/v1alpha1', CREATED, {
          'f:metadata': {
            'f:finalizers': {
              '.': {},
              'v:"metacontroller.io/compositecontroller-pythonlambda-controller"': {},
            },
          },
        }),
      ],
    },
    spec,
  };
}

// Every child type the controller declares (config/controllers/compositecontroller.yaml), as
// Metacontroller sends them: an empty map for a type with no children yet.
const COMPOSITE_GROUPS = [
  'ConfigMap.v1',
  'Deployment.apps/v1',
  'Service.v1',
  'HorizontalPodAutoscaler.autoscaling/v2',
  'PodDisruptionBudget.policy/v1',
];
const DECORATOR_GROUPS = ['ConfigMap.v1', 'Service.v1'];

async function compositeCase(
  hookBase: string,
  name: CaseName,
  title: string,
  parent: Obj,
  root: string,
): Promise<BenchCase> {
  const path = '/hooks/pythonlambda/sync';
  const controller = storedController(root, 'config/controllers/compositecontroller.yaml');
  const request = (p: Obj, children: Obj[]) =>
    goStruct([
      ['controller', controller],
      ['parent', p],
      ['children', childMap(COMPOSITE_GROUPS, children)],
      ['related', {}],
      ['finalizing', false],
    ]);
  // First sync: no children yet; the answer is what Metacontroller creates.
  const first = await postJson<CompositeResponse>(hookBase + path, request(parent, []));
  const owner = {
    apiVersion: parent.apiVersion,
    kind: parent.kind,
    name: parent.metadata.name,
    uid: String(parent.metadata.uid),
  };
  const children = first.children.map((child, i) =>
    asStoredChild(child, owner, {
      time: CREATED,
      resourceVersion: 48214 + i,
      selectorLabel: 'controller-uid',
    }),
  );
  // Second sync: children up; its status is what the parent carries from then on.
  const second = await postJson<CompositeResponse>(hookBase + path, request(parent, children));
  const steady = clone(parent);
  steady.status = { ...second.status, observedGeneration: 1 };
  (steady.metadata.managedFields as JsonObject[]).push(
    managedField(
      'metacontroller',
      'Update',
      'pylambda.dev/v1alpha1',
      SYNCED,
      { 'f:status': fieldsV1(steady.status) },
      'status',
    ),
  );
  steady.metadata.resourceVersion = '48231';
  return { name, title, path: `${path}?case=${name}`, body: request(steady, children) };
}

/** The sample's annotated Deployment, as stored after its rollout and a first decorator sync. */
async function decoratorCase(hookBase: string, root: string): Promise<BenchCase> {
  const path = '/hooks/lambda-deployment/sync';
  const controller = storedController(root, 'config/controllers/decoratorcontroller.yaml');
  const docs = parseAllDocuments(
    readFileSync(join(root, 'config/samples/annotated-deployment-greeter.yaml'), 'utf8'),
  ).map((d) => d.toJSON() as Obj);
  const sample = docs.find((d) => d.kind === 'Deployment');
  if (!sample)
    throw new Error('config/samples/annotated-deployment-greeter.yaml has no Deployment');
  const applied = clone(sample);
  const deployment: Obj = {
    ...clone(sample),
    metadata: {
      ...clone(sample.metadata),
      namespace: NAMESPACE,
      uid: uid(`Deployment/${NAMESPACE}/${sample.metadata.name}`),
      resourceVersion: '51007',
      creationTimestamp: CREATED,
      managedFields: [
        managedField(
          'kubectl',
          'Apply',
          'apps/v1',
          CREATED,
          fieldsV1({
            metadata: { annotations: applied.metadata.annotations ?? {} },
            spec: applied.spec ?? {},
          }),
        ),
      ],
    },
  };
  defaultDeployment(deployment, CREATED);
  const request = (object: Obj, attachments: Obj[]) =>
    goStruct([
      ['controller', controller],
      ['object', object],
      ['attachments', childMap(DECORATOR_GROUPS, attachments)],
      ['related', {}],
      ['finalizing', false],
    ]);
  const first = await postJson<DecoratorResponse>(hookBase + path, request(deployment, []));
  const owner = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: deployment.metadata.name,
    uid: String(deployment.metadata.uid),
  };
  const attachments = first.attachments.map((a, i) =>
    asStoredChild(a, owner, { time: CREATED, resourceVersion: 51008 + i }),
  );
  // Metacontroller wrote the returned annotations onto the Deployment (a full Update).
  const annotations = isObject(deployment.metadata.annotations)
    ? deployment.metadata.annotations
    : {};
  for (const [key, value] of Object.entries(first.annotations ?? {})) {
    if (value === null) delete annotations[key];
    else annotations[key] = value;
  }
  annotations['metacontroller.k8s.io/decorator-controller'] = String(
    (controller.metadata as JsonObject).name,
  );
  deployment.metadata.annotations = annotations;
  (deployment.metadata.managedFields as JsonObject[]).push(
    managedField('metacontroller', 'Update', 'apps/v1', SYNCED, {
      'f:metadata': {
        'f:annotations': Object.fromEntries(
          Object.keys(first.annotations ?? {}).map((k) => [`f:${k}`, {}]),
        ),
      },
    }),
  );
  return {
    name: 'decorator',
    title: 'decorator sync (annotated Deployment + 2 attachments)',
    path: `${path}?case=decorator`,
    body: request(deployment, attachments),
  };
}

export const LARGE_CODE_BYTES = 900 * 1024;

/**
 * The requests, rendered through the running service at `hookBase`, from the samples and
 * controllers of the tree at `root` (this one by default); `only` picks some of them.
 */
export async function buildCases(
  hookBase: string,
  root: string = ROOT,
  only: CaseName[] = ['realistic', 'large', 'decorator'],
): Promise<BenchCase[]> {
  const sample = yamlFile(root, 'config/samples/pythonlambda-text-stats.yaml');
  const spec = clone(sample.spec as JsonObject);
  const build: Record<CaseName, () => Promise<BenchCase>> = {
    realistic: () =>
      compositeCase(
        hookBase,
        'realistic',
        'composite sync (PythonLambda + 3 children)',
        compositeParent(spec, 'text-stats'),
        root,
      ),
    large: () =>
      compositeCase(
        hookBase,
        'large',
        'composite sync, 900 KiB of code',
        compositeParent({ ...clone(spec), code: generatedCode(LARGE_CODE_BYTES) }, 'pricing-rules'),
        root,
      ),
    decorator: () => decoratorCase(hookBase, root),
  };
  const cases: BenchCase[] = [];
  for (const name of only) cases.push(await build[name]());
  return cases;
}

/**
 * The case's body with `[<id>]` in the resourceVersion of its parent (or decorated object), for
 * autocannon -I: every request then reads as a new version of the object, as after an edit, and
 * no two have the same bytes, so the response cache never answers.
 */
export function distinctBody(c: BenchCase): string {
  const request = JSON.parse(c.body) as { parent?: Obj; object?: Obj };
  const object = request.parent ?? request.object;
  if (!object) throw new Error(`bench: ${c.name} has no parent or object`);
  object.metadata.resourceVersion = `${String(object.metadata.resourceVersion)}-[<id>]`;
  // The request's own fields keep their order, as a Go struct's do. Go escapes '<' and '>', and
  // autocannon looks for the placeholder as written: put it back (the id replaces it anyway).
  return goStruct(Object.entries(request)).replace('[\\u003cid\\u003e]', '[<id>]');
}
