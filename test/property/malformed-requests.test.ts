// Generated requests that are not what Metacontroller sends: fields missing or of the wrong type,
// names past their limits, bodies that are not JSON, truncated, oversized, deeply nested, with
// the wrong Content-Type, Content-Encoding or method. The service answers each with a JSON 4xx
// that names the failing paths when the request failed its schema, and never with a 5xx.
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import fc from 'fast-check';
import { assertParameters, countGenerated } from './support/budget.js';
import {
  controllerOf,
  dottedPath,
  HOOK_PATHS,
  replyProblems,
  type ErrorAnswer,
  type HookName,
} from './support/contract.js';
import { PROPERTY_BODY_LIMIT, useHookServer } from './support/hook-server.js';
import { hugeString, qualifiedKey } from './support/kube-arbitraries.js';
import { goJson } from '../fixtures/go-json.js';
import { validRequest, type ValidRequest } from './support/valid-requests.js';

type Json = Record<string, unknown>;
type Path = (string | number)[];

/** What a broken request must get back. */
type Expectation =
  { kind: 'schema'; path: string } | { kind: 'status'; statuses: number[] } | { kind: 'no-5xx' };

interface Broken {
  what: string;
  body: string | Buffer;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  expect: Expectation;
}

type Breaker = (valid: ValidRequest) => Broken;

function clone(value: Json): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

function setAt(request: Json, path: Path, value: unknown, remove = false): Json {
  const copy = clone(request);
  let target = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    if (!target[key] || typeof target[key] !== 'object') target[key] = {};
    target = target[key] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1]!;
  if (remove) delete target[last];
  else target[last] = value;
  return copy;
}

/** Field names of the request that the two kinds of controller spell differently. */
function roots(valid: ValidRequest) {
  return controllerOf(valid.hook) === 'composite'
    ? { object: 'parent', objects: 'children' }
    : { object: 'object', objects: 'attachments' };
}

const notAnObject = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.constant([]),
  fc.constant([{ a: 1 }]),
);
const notAString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant({}),
  fc.constant(['a']),
);
const tooLongName = fc.oneof(
  fc.integer({ min: 254, max: 400 }).map((n) => 'n'.repeat(n)),
  fc.constant('😀'.repeat(254)),
);

function schemaBreak(what: string, path: Path, value: unknown, remove = false): Breaker {
  return (valid) => ({
    what,
    body: goJson(setAt(valid.request, path, value, remove)),
    expect: { kind: 'schema', path: dottedPath(path) },
  });
}

/** Breaks that the request schema catches, each with the path it must name. */
const schemaBreaks: fc.Arbitrary<Breaker> = fc.oneof(
  fc
    .constantFrom<'object' | 'metadata' | 'name' | 'namespace' | 'apiVersion' | 'kind'>(
      'object',
      'metadata',
      'name',
      'namespace',
      'apiVersion',
      'kind',
    )
    .map((field): Breaker => (valid) => {
      const { object } = roots(valid);
      const path: Path = {
        object: [object],
        metadata: [object, 'metadata'],
        name: [object, 'metadata', 'name'],
        namespace: [object, 'metadata', 'namespace'],
        apiVersion: [object, 'apiVersion'],
        kind: [object, 'kind'],
      }[field];
      return schemaBreak(`no ${path.join('.')}`, path, undefined, true)(valid);
    }),
  fc
    .tuple(fc.constantFrom('object', 'metadata', 'spec'), notAnObject)
    .map(([field, value]): Breaker => (valid) => {
      const { object } = roots(valid);
      const path = field === 'object' ? [object] : [object, field];
      return schemaBreak(`${path.join('.')} = ${JSON.stringify(value)}`, path, value)(valid);
    }),
  fc.tuple(fc.constantFrom('name', 'namespace'), fc.oneof(fc.constant(''), notAString)).map(
    ([field, value]): Breaker =>
      (valid) =>
        schemaBreak(
          `${field} = ${JSON.stringify(value)}`,
          [roots(valid).object, 'metadata', field],
          value,
        )(valid),
  ),
  tooLongName.map(
    (name): Breaker =>
      (valid) =>
        schemaBreak(
          `a name of ${Array.from(name).length} characters`,
          [roots(valid).object, 'metadata', 'name'],
          name,
        )(valid),
  ),
  fc.tuple(fc.constantFrom('apiVersion', 'kind'), fc.oneof(fc.constant(''), notAString)).map(
    ([field, value]): Breaker =>
      (valid) =>
        schemaBreak(
          `${field} = ${JSON.stringify(value)}`,
          [roots(valid).object, field],
          value,
        )(valid),
  ),
  fc.constantFrom('1', 1.5, true, null, '').map(
    (value): Breaker =>
      (valid) =>
        schemaBreak(
          `generation = ${JSON.stringify(value)}`,
          [roots(valid).object, 'metadata', 'generation'],
          value,
        )(valid),
  ),
  fc.tuple(fc.constantFrom('labels', 'annotations'), qualifiedKey(), notAString).map(
    ([field, key, value]): Breaker =>
      (valid) =>
        schemaBreak(
          `${field}[${key}] = ${JSON.stringify(value)}`,
          [roots(valid).object, 'metadata', field, key],
          value,
        )(valid),
  ),
  fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.constant([]), fc.boolean()).map(
    (value): Breaker =>
      (valid) =>
        controllerOf(valid.hook) === 'composite'
          ? schemaBreak(
              `parent.status = ${JSON.stringify(value)}`,
              ['parent', 'status'],
              value,
            )(valid)
          : schemaBreak(
              `object.metadata.uid = ${JSON.stringify(value)}`,
              ['object', 'metadata', 'uid'],
              typeof value === 'string' ? 5 : value,
            )(valid),
  ),
  fc
    .tuple(
      fc.constantFrom('objects', 'related'),
      fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.constant([]), fc.boolean()),
    )
    .map(([field, value]): Breaker => (valid) => {
      const name = field === 'related' ? 'related' : roots(valid).objects;
      return schemaBreak(`${name} = ${JSON.stringify(value)}`, [name], value)(valid);
    }),
  fc
    .tuple(
      fc.constantFrom('ConfigMap.v1', 'Service.v1'),
      fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.constant([1])),
    )
    .map(
      ([group, value]): Breaker =>
        (valid) =>
          schemaBreak(
            `${group} = ${JSON.stringify(value)}`,
            [roots(valid).objects, group],
            value,
          )(valid),
    ),
  fc
    .tuple(
      fc.constantFrom('ConfigMap.v1', 'Service.v1'),
      fc.constantFrom<[string, boolean, unknown]>(
        ['kind', true, undefined],
        ['apiVersion', true, undefined],
        ['metadata', true, undefined],
        ['kind', false, ''],
        ['kind', false, 5],
        ['metadata', false, 'x'],
      ),
    )
    .map(([group, [field, remove, value]]): Breaker => (valid) => {
      const key = valid.version === 'v1' ? 'broken' : `${valid.namespace}/broken`;
      const child = {
        apiVersion: 'v1',
        kind: group.split('.')[0],
        metadata: { name: 'broken' },
      } as Json;
      if (remove) delete child[field];
      else child[field] = value;
      const objects = roots(valid).objects;
      const request = setAt(valid.request, [objects, group, key], child);
      return {
        what: `a child with ${remove ? 'no' : 'a bad'} ${field}`,
        body: goJson(request),
        expect: { kind: 'schema', path: dottedPath([objects, group, key, field]) },
      };
    }),
  tooLongName.map((name): Breaker => (valid) => {
    const objects = roots(valid).objects;
    const child = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } };
    const request = setAt(valid.request, [objects, 'ConfigMap.v1', 'long'], child);
    return {
      what: 'a child name past 253',
      body: goJson(request),
      expect: {
        kind: 'schema',
        path: dottedPath([objects, 'ConfigMap.v1', 'long', 'metadata', 'name']),
      },
    };
  }),
  fc
    .tuple(
      fc.constantFrom<Path>(
        ['status', 'containerStatuses', 0],
        ['status', 'initContainerStatuses', 0],
        ['status', 'containerStatuses', 0, 'state', 'waiting', 'message'],
        ['status', 'containerStatuses', 0, 'lastState', 'terminated', 'message'],
        ['status', 'conditions', 0],
        ['status', 'conditions', 0, 'message'],
        ['spec', 'initContainers', 0],
        ['metadata', 'creationTimestamp'],
      ),
      fc.constantFrom(5, true, [1]),
    )
    .map(([field, value]): Breaker => (valid) => {
      if (controllerOf(valid.hook) !== 'composite') {
        return schemaBreak(`related = ${JSON.stringify(value)}`, ['related'], value)(valid);
      }
      // A related pod (the customize hook asks for a lambda's pods) of a shape the API server
      // never sends: refused by the schema, where it used to be a TypeError and a 500.
      const key = valid.version === 'v1' ? 'hello-pod' : `${valid.namespace}/hello-pod`;
      const state = { waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } };
      const pod: Json = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'hello-pod', namespace: valid.namespace },
        spec: { initContainers: [{ name: 'install-requirements' }] },
        status: {
          conditions: [{ type: 'PodScheduled', status: 'True' }],
          containerStatuses: [
            {
              name: 'lambda',
              ready: false,
              restartCount: 1,
              state,
              lastState: { terminated: { exitCode: 1, message: 'x' } },
            },
          ],
          initContainerStatuses: [{ name: 'install-requirements', ready: false, restartCount: 0 }],
        },
      };
      const broken = setAt(pod, field, value);
      return {
        what: `a related pod's ${field.join('.')} = ${JSON.stringify(value)}`,
        body: goJson(setAt(valid.request, ['related', 'Pod.v1', key], broken)),
        expect: { kind: 'schema', path: dottedPath(['related', 'Pod.v1', key, ...field]) },
      };
    }),
  fc.constantFrom('yes', 1, null, [], {}).map(
    (value): Breaker =>
      (valid) =>
        schemaBreak(`finalizing = ${JSON.stringify(value)}`, ['finalizing'], value)(valid),
  ),
  fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.constant([]), fc.constant(null)).map(
    (value): Breaker =>
      (valid) =>
        schemaBreak(`controller = ${JSON.stringify(value)}`, ['controller'], value)(valid),
  ),
);

/** Where a deep value goes, and the depth that makes it too deep (past 256) or not. */
const deepBreaks: fc.Arbitrary<Breaker> = fc
  .tuple(
    fc.constantFrom<'controller' | 'related' | 'status' | 'spec' | 'child'>(
      'controller',
      'related',
      'status',
      'spec',
      'child',
    ),
    fc.oneof(
      fc.integer({ min: 2, max: 250 }),
      fc.integer({ min: 257, max: 400 }),
      fc.integer({ min: 1000, max: 20_000 }),
    ),
    fc.boolean(),
  )
  .map(([where, depth, asObject]): Breaker => (valid) => {
    const { object, objects } = roots(valid);
    const path: Path = {
      controller: ['controller', 'x'],
      related: ['related', 'ConfigMap.v1', 'r', 'data'],
      status: [object, 'status', 'x'],
      spec: [object, 'spec', 'x'],
      child: [objects, 'ConfigMap.v1', 'deep', 'data'],
    }[where];
    let request = valid.request;
    if (where === 'child' || where === 'related') {
      const holder = where === 'child' ? objects : 'related';
      request = setAt(request, [holder, 'ConfigMap.v1', path[2] as string], {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: path[2] },
      });
    }
    // Spliced in as text: JSON.stringify itself cannot write 20 000 levels.
    const marker = '"__deep_marker__"';
    const text = goJson(setAt(request, path, '__deep_marker__'));
    const deep = asObject
      ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
      : `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    return {
      what: `${depth} levels deep at ${path.join('.')}`,
      body: text.replace(marker, deep),
      // The innermost level sits at depth path.length + depth - 1; past 256 is refused.
      expect:
        path.length + depth - 1 > 256
          ? { kind: 'schema', path: dottedPath(path) }
          : { kind: 'no-5xx' },
    };
  });

const bodyBreaks: fc.Arbitrary<Breaker> = fc.oneof(
  fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }).map((at): Breaker => (valid) => {
    const text = goJson(valid.request);
    return {
      what: 'a truncated body',
      body: text.slice(0, Math.floor(at * text.length)),
      expect: { kind: 'status', statuses: [400] },
    };
  }),
  fc.constantFrom('x', '}', ',{}', ']', '\u0000', '{"a":1}').map((tail): Breaker => (valid) => ({
    what: `trailing ${JSON.stringify(tail)}`,
    body: goJson(valid.request) + tail,
    expect: { kind: 'status', statuses: [400] },
  })),
  fc
    .constantFrom(
      '5',
      '"x"',
      'true',
      'null',
      '',
      '[]',
      '[{}]',
      '{}',
      ' ',
      '\ufeff{}',
      'NaN',
      '{"parent":}',
    )
    .map((text): Breaker => () => ({
      what: `the body ${JSON.stringify(text)}`,
      body: text,
      expect: { kind: 'status', statuses: [400] },
    })),
  fc.uint8Array({ minLength: 1, maxLength: 200 }).map((bytes): Breaker => () => ({
    what: 'random bytes',
    body: Buffer.from(bytes),
    expect: { kind: 'status', statuses: [400] },
  })),
  // A __proto__ key is refused (src/http/json-body.ts); constructor.prototype passes as data.
  fc
    .constantFrom<[string, Expectation]>(
      ['{"__proto__":{"polluted":true},', { kind: 'status', statuses: [400] }],
      ['{"constructor":{"prototype":{"polluted":true}},', { kind: 'no-5xx' }],
    )
    .map(([poison, expectation]): Breaker => (valid) => ({
      what: `a key ${poison}`,
      body: goJson(valid.request).replace('{', poison),
      expect: expectation,
    })),
  fc
    .constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      '',
    )
    .map((type): Breaker => (valid) => ({
      what: `Content-Type ${type}`,
      body: goJson(valid.request),
      headers: { 'content-type': type },
      expect: { kind: 'status', statuses: [415] },
    })),
  fc
    .constantFrom(
      'application/json; charset=utf-8',
      'application/merge-patch+json',
      'APPLICATION/JSON',
    )
    .map((type): Breaker => (valid) => ({
      what: `Content-Type ${type}`,
      body: goJson(valid.request),
      headers: { 'content-type': type },
      expect: { kind: 'no-5xx' },
    })),
  fc
    .constantFrom('gzip', 'br', 'deflate', 'compress', 'x-unknown')
    .map((encoding): Breaker => (valid) => ({
      what: `Content-Encoding ${encoding} on a plain body`,
      body: goJson(valid.request),
      headers: { 'content-encoding': encoding },
      expect: { kind: 'status', statuses: [400, 415] },
    })),
  fc.constant<Breaker>((valid) => ({
    what: 'a gzip body',
    body: gzipSync(goJson(valid.request)),
    headers: { 'content-encoding': 'gzip' },
    expect: { kind: 'no-5xx' },
  })),
  fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH').map((method): Breaker => (valid) => ({
    what: method,
    method,
    body: goJson(valid.request),
    expect: { kind: 'status', statuses: [405] },
  })),
  fc.constantFrom('/', '?x=1', '/extra', 'x').map((suffix): Breaker => (valid) => ({
    what: `the path with ${suffix}`,
    path: `${HOOK_PATHS[valid.hook]}${suffix}`,
    body: goJson(valid.request),
    expect: { kind: 'no-5xx' },
  })),
  hugeString(100_000, 1_000_000).map((text): Breaker => (valid) => ({
    what: `an annotation of ${text.length} characters`,
    body: goJson(
      setAt(
        valid.request,
        [roots(valid).object, 'metadata', 'annotations', 'huge.example/x'],
        text,
      ),
    ),
    expect: { kind: 'no-5xx' },
  })),
  fc.constant<Breaker>((valid) => {
    // Duplicate keys: JSON.parse keeps the last one.
    const text = goJson(valid.request);
    return {
      what: 'duplicate keys',
      body: `${text.slice(0, -1)},"finalizing":false,"controller":{}}`,
      expect: { kind: 'no-5xx' },
    };
  }),
);

/** `{"padding":"ppp…",` + the request: `size` bytes more, spliced in as text (no re-encoding). */
function padded(valid: ValidRequest, size: number): string {
  return goJson(valid.request).replace('{', `{"padding":"${'p'.repeat(size)}",`);
}

let gzipBomb: Buffer | undefined;

/** Bodies past PYLAMBDA_BODY_LIMIT_BYTES, plain or as a gzip bomb: 413 before the whole body is read. */
const oversizeBreaks: fc.Arbitrary<Breaker> = fc.oneof(
  fc.constant<Breaker>((valid) => ({
    what: 'a body past the limit',
    body: padded(valid, PROPERTY_BODY_LIMIT),
    expect: { kind: 'status', statuses: [413] },
  })),
  fc.constant<Breaker>((valid) => {
    // 12 MiB that gzip to 12 KiB; the same bomb for every hook.
    gzipBomb ??= gzipSync(padded(valid, PROPERTY_BODY_LIMIT * 4));
    return {
      what: 'a gzip bomb past the limit',
      body: gzipBomb,
      headers: { 'content-encoding': 'gzip' },
      expect: { kind: 'status', statuses: [413] },
    };
  }),
);

const breaks = fc.oneof(
  { arbitrary: schemaBreaks, weight: 20 },
  { arbitrary: deepBreaks, weight: 4 },
  { arbitrary: bodyBreaks, weight: 12 },
  { arbitrary: oversizeBreaks, weight: 1 },
);

describe('property: malformed requests to every hook (generated)', function () {
  this.timeout(240_000);
  const server = useHookServer();

  it('never answers 5xx; answers JSON 4xx naming the failing paths; any 200 is a correct answer', async () => {
    await fc.assert(
      fc.asyncProperty(validRequest, breaks, async (valid, breaker) => {
        const broken = breaker(valid);
        countGenerated();
        const hook: HookName = valid.hook;
        const reply = await server
          .call(broken.path ?? HOOK_PATHS[hook], broken.body, {
            method: broken.method,
            headers: broken.headers,
          })
          .catch((err: Error) => {
            throw new Error(`${broken.what}: ${err.message}`);
          });
        const where = `${broken.what}: ${reply.status} ${reply.text.slice(0, 300)}`;
        expect(
          replyProblems(reply, { hook, namespace: valid.namespace }).join('\n'),
          where,
        ).to.equal('');
        if (broken.expect.kind === 'status')
          expect(reply.status, where).to.be.oneOf(broken.expect.statuses);
        if (broken.expect.kind === 'schema') {
          const expected = broken.expect.path;
          expect(reply.status, where).to.equal(400);
          const { problems = [] } = JSON.parse(reply.text) as ErrorAnswer;
          const named = problems.some(
            (p) =>
              p.path === expected ||
              p.path.startsWith(`${expected}.`) ||
              p.path.startsWith(`${expected}[`),
          );
          expect(named, `${where}\nexpected a problem at ${expected}`).to.equal(true);
        }
      }),
      assertParameters('malformedRequests'),
    );
  });
});
