// Byte counts of one release's hook traffic and of what a lambda costs the API server: the
// text-stats code ConfigMap as stored under either apply strategy, and the sizes of the
// realistic and decorator requests and answers. Deterministic: the same tree gives the same
// numbers, whatever the load on the machine.
import type { BenchCase } from './lib/fixtures.js';
import { clone, type JsonObject, type Obj } from './lib/kube-objects.js';

/** Metacontroller's dynamic apply keeps the whole applied object here, a second copy. */
const LAST_APPLIED = 'metacontroller.k8s.io/last-applied-configuration';

export interface ReleaseSizes {
  /** Bytes of the user's files (code, extra files, requirements) in the PythonLambda. */
  codeBytes: number;
  /** The code ConfigMap as the hook answers it. */
  configMapDesiredBytes: number;
  /** As stored under server-side apply: the object, system metadata and managedFields. */
  configMapServerSideApplyBytes: number;
  /** As stored under dynamic apply: the same, plus the last-applied annotation. */
  configMapDynamicApplyBytes: number;
  /** Keys of the code ConfigMap, to show what it carries. */
  configMapKeys: string[];
  realisticRequestBytes: number;
  realisticAnswerBytes: number;
  decoratorRequestBytes: number;
  decoratorAnswerBytes: number;
  /** The ConfigMap the decorator attaches, as answered. */
  decoratorConfigMapBytes: number;
}

const bytes = (value: unknown) =>
  Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value));

function configMapIn(objects: Obj[], what: string): Obj {
  const found = objects.find((o) => o.kind === 'ConfigMap');
  if (!found) throw new Error(`bench: no ConfigMap in ${what}`);
  return found;
}

/** The children of a request's ConfigMap.v1 group (stored objects, as the informer holds them). */
function storedConfigMap(request: JsonObject): Obj {
  const children = request.children as Record<string, Record<string, Obj>>;
  return configMapIn(Object.values(children['ConfigMap.v1'] ?? {}), 'the request');
}

/**
 * The stored object under dynamic apply: Metacontroller updates (not applies) it, with the
 * applied object in an annotation; managedFields then record the update of every field.
 */
export function dynamicApplyStored(stored: Obj, desired: Obj): Obj {
  const object = clone(stored);
  object.metadata.annotations = { [LAST_APPLIED]: JSON.stringify(desired) };
  for (const field of (object.metadata.managedFields ?? []) as JsonObject[]) {
    field.operation = 'Update';
    const metadata = ((field.fieldsV1 as JsonObject)['f:metadata'] ??= {}) as JsonObject;
    metadata['f:annotations'] = { '.': {}, [`f:${LAST_APPLIED}`]: {} };
  }
  return object;
}

function userCodeBytes(parent: Obj): number {
  const spec = parent.spec as {
    code: string;
    files?: Record<string, string>;
    requirements?: string;
  };
  const files = Object.values(spec.files ?? {});
  return [spec.code, ...files, spec.requirements ?? ''].reduce((n, s) => n + bytes(s), 0);
}

/**
 * `cases` are one release's realistic and decorator requests (built through that release's
 * service), `answers` that service's answers to them, by case name.
 */
export function releaseSizes(cases: BenchCase[], answers: Record<string, string>): ReleaseSizes {
  const realistic = cases.find((c) => c.name === 'realistic');
  const decorator = cases.find((c) => c.name === 'decorator');
  if (!realistic || !decorator)
    throw new Error('bench: sizes need the realistic and decorator cases');
  const request = JSON.parse(realistic.body) as JsonObject;
  const answer = JSON.parse(answers.realistic ?? '{}') as { children: Obj[] };
  const desired = configMapIn(answer.children, 'the realistic answer');
  const stored = storedConfigMap(request);
  const attached = JSON.parse(answers.decorator ?? '{}') as { attachments: Obj[] };
  return {
    codeBytes: userCodeBytes(request.parent as Obj),
    configMapDesiredBytes: bytes(desired),
    configMapServerSideApplyBytes: bytes(stored),
    configMapDynamicApplyBytes: bytes(dynamicApplyStored(stored, desired)),
    configMapKeys: Object.keys((desired.data ?? {}) as JsonObject),
    realisticRequestBytes: bytes(realistic.body),
    realisticAnswerBytes: bytes(answers.realistic ?? ''),
    decoratorRequestBytes: bytes(decorator.body),
    decoratorAnswerBytes: bytes(answers.decorator ?? ''),
    decoratorConfigMapBytes: bytes(configMapIn(attached.attachments, 'the decorator answer')),
  };
}
