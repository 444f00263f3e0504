// What a reply must be, whatever the request: never 5xx; every 4xx JSON with an error (and the
// failing paths when the request did not pass its schema); every 200 accepted by the response
// schema and by Metacontroller (docs/metacontroller.md §3): only documented top-level keys, each
// child with apiVersion, kind and a name valid for its kind, valid labels, no status.
import type { ValidateFunction } from 'ajv';
import {
  isConfigMapKey,
  isDns1035Label,
  isDns1123Subdomain,
  isLabelValue,
  isQualifiedName,
} from '../../fixtures/kube-validation.js';
import {
  compiledValidator,
  createSchemaRegistry,
} from '../../../src/validation/schema-registry.js';
import type { HookReply } from './hook-server.js';
import type { KubeObject } from '../../../src/metacontroller/objects.js';

export type HookName =
  | 'pythonlambda/sync'
  | 'pythonlambda/finalize'
  | 'lambda-deployment/sync'
  | 'lambda-deployment/finalize';

export const HOOK_PATHS: Record<HookName, string> = {
  'pythonlambda/sync': '/hooks/pythonlambda/sync',
  'pythonlambda/finalize': '/hooks/pythonlambda/finalize',
  'lambda-deployment/sync': '/hooks/lambda-deployment/sync',
  'lambda-deployment/finalize': '/hooks/lambda-deployment/finalize',
};

/** Any object as the API server and Metacontroller hand it over (src/metacontroller/objects.ts). */
export type Child = KubeObject;

export interface CompositeAnswer {
  status: {
    conditions: { type: string; status: string; reason: string; message: string }[];
  } & Record<string, unknown>;
  children: Child[];
  finalized?: boolean;
}

export interface DecoratorAnswer {
  annotations: Record<string, string | null>;
  attachments: Child[];
  finalized?: boolean;
}

export interface ErrorAnswer {
  error: string;
  problems?: { path: string; message: string }[];
}

const TOP_LEVEL = {
  composite: ['status', 'children', 'resyncAfterSeconds', 'finalized'],
  // Metacontroller documents `status` too, but a Deployment's status belongs to its controller.
  decorator: ['labels', 'annotations', 'attachments', 'resyncAfterSeconds', 'finalized'],
};
const CHILD_KINDS = {
  composite: [
    'ConfigMap',
    'Deployment',
    'Service',
    'HorizontalPodAutoscaler',
    'PodDisruptionBudget',
  ],
  decorator: ['ConfigMap', 'Service'],
};

let validators: { composite: ValidateFunction; decorator: ValidateFunction } | undefined;

function responseValidators() {
  if (!validators) {
    const registry = createSchemaRegistry();
    validators = {
      composite: compiledValidator(registry, 'composite-response.schema.json'),
      decorator: compiledValidator(registry, 'decorator-response.schema.json'),
    };
  }
  return validators;
}

export function controllerOf(hook: HookName): 'composite' | 'decorator' {
  return hook.startsWith('pythonlambda/') ? 'composite' : 'decorator';
}

function isJsonReply(reply: HookReply): boolean {
  return /^application\/json\b/.test(String(reply.headers['content-type'] ?? ''));
}

/** Problems with a 4xx: it must be JSON with an error message. */
export function errorReplyProblems(reply: HookReply): string[] {
  if (!isJsonReply(reply)) return [`${reply.status} is not JSON: ${reply.headers['content-type']}`];
  let body: ErrorAnswer;
  try {
    body = JSON.parse(reply.text) as ErrorAnswer;
  } catch {
    return [`${reply.status} body is not JSON: ${reply.text.slice(0, 200)}`];
  }
  const problems: string[] = [];
  if (typeof body.error !== 'string' || !body.error) problems.push('no error message');
  if (reply.status === 400 && body.problems !== undefined) {
    if (!Array.isArray(body.problems) || body.problems.length === 0)
      problems.push('empty problems');
    for (const p of body.problems ?? []) {
      if (typeof p?.path !== 'string' || !p.path || typeof p.message !== 'string') {
        problems.push(`malformed problem ${JSON.stringify(p)}`);
      }
    }
  }
  return problems;
}

function labelProblems(where: string, labels: unknown): string[] {
  if (labels === undefined) return [];
  if (!labels || typeof labels !== 'object') return [`${where}: labels are not a map`];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    if (!isQualifiedName(key)) problems.push(`${where}: label key ${JSON.stringify(key)}`);
    if (typeof value !== 'string' || !isLabelValue(value)) {
      problems.push(`${where}: label value ${JSON.stringify(value)} of ${key}`);
    }
  }
  return problems;
}

function nameProblems(where: string, kind: string, name: string): string[] {
  const ok =
    kind === 'Service'
      ? isDns1035Label(name)
      : ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget'].includes(kind)
        ? isDns1123Subdomain(name)
        : false;
  return ok ? [] : [`${where}: ${JSON.stringify(name)} is not a valid ${kind} name`];
}

/** Rules the API server applies to the children (rendered or kept). */
function objectProblems(where: string, child: Child): string[] {
  const problems: string[] = [];
  if (child.kind === 'ConfigMap') {
    for (const key of Object.keys((child.data as Record<string, string> | undefined) ?? {})) {
      if (!isConfigMapKey(key)) problems.push(`${where}: ConfigMap key ${JSON.stringify(key)}`);
    }
  }
  if (child.kind === 'Deployment') {
    const spec = (child.spec ?? {}) as {
      selector?: { matchLabels?: Record<string, string> };
      template?: { metadata?: { labels?: Record<string, string> } };
    };
    const selector = spec.selector?.matchLabels ?? {};
    const podLabels = spec.template?.metadata?.labels ?? {};
    problems.push(...labelProblems(`${where} selector`, selector));
    problems.push(...labelProblems(`${where} pod template`, podLabels));
    for (const [key, value] of Object.entries(selector)) {
      if (podLabels[key] !== value) problems.push(`${where}: selector ${key} does not match pods`);
    }
  }
  if (child.kind === 'Service') {
    const spec = (child.spec ?? {}) as { selector?: Record<string, string> };
    problems.push(...labelProblems(`${where} selector`, spec.selector));
  }
  if (child.kind === 'PodDisruptionBudget') {
    const spec = (child.spec ?? {}) as { selector?: { matchLabels?: Record<string, string> } };
    problems.push(...labelProblems(`${where} selector`, spec.selector?.matchLabels));
  }
  return problems;
}

/** Problems with one child or attachment as Metacontroller and the API server see it. */
function childProblems(
  child: Child,
  controller: 'composite' | 'decorator',
  namespace: string,
): string[] {
  const where = `${child?.kind}/${child?.metadata?.name}`;
  const problems: string[] = [];
  if (typeof child?.apiVersion !== 'string' || !child.apiVersion)
    problems.push(`${where}: no apiVersion`);
  if (typeof child?.kind !== 'string' || !CHILD_KINDS[controller].includes(child.kind)) {
    problems.push(`${where}: kind is not one this controller manages`);
  }
  if (typeof child?.metadata?.name !== 'string') return [...problems, `${where}: no metadata.name`];
  problems.push(...nameProblems(where, child.kind, child.metadata.name));
  problems.push(...labelProblems(where, child.metadata.labels));
  if (child.metadata.namespace !== undefined && child.metadata.namespace !== namespace) {
    problems.push(
      `${where}: namespace ${child.metadata.namespace} is not the parent's ${namespace}`,
    );
  }
  if ('status' in child) problems.push(`${where}: a hook cannot set a child's status`);
  problems.push(...objectProblems(where, child));
  return problems;
}

export interface AnswerCheck {
  hook: HookName;
  namespace: string;
}

/** Problems with a 200: schema, documented keys, children. Empty means Metacontroller accepts it. */
export function okReplyProblems(reply: HookReply, check: AnswerCheck): string[] {
  const controller = controllerOf(check.hook);
  const problems: string[] = [];
  if (!isJsonReply(reply)) problems.push(`200 is not JSON: ${reply.headers['content-type']}`);
  if (!/^(W\/)?"[^"]+"$/.test(String(reply.headers.etag ?? ''))) {
    problems.push(`no ETag: ${reply.headers.etag}`);
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(reply.text) as Record<string, unknown>;
  } catch {
    return [...problems, `200 body is not JSON: ${reply.text.slice(0, 200)}`];
  }
  const validate = responseValidators()[controller];
  if (!validate(body)) {
    for (const e of validate.errors ?? []) {
      problems.push(`schema: ${e.instancePath} ${e.message ?? e.keyword}`);
    }
  }
  for (const key of Object.keys(body)) {
    if (!TOP_LEVEL[controller].includes(key)) problems.push(`undocumented top-level key ${key}`);
  }
  const list = (controller === 'composite' ? body.children : body.attachments) as Child[];
  if (!Array.isArray(list)) return [...problems, 'no list of children'];
  const seen = new Set<string>();
  for (const child of list) {
    problems.push(...childProblems(child, controller, check.namespace));
    const key = `${child?.kind}/${child?.metadata?.name}`;
    if (seen.has(key)) problems.push(`${key} listed twice`);
    seen.add(key);
  }
  if (controller === 'decorator') {
    for (const key of Object.keys((body.annotations as Record<string, unknown>) ?? {})) {
      if (!isQualifiedName(key)) problems.push(`annotation key ${JSON.stringify(key)}`);
    }
  } else {
    const conditions = (body.status as CompositeAnswer['status'] | undefined)?.conditions ?? [];
    if (!conditions.some((c) => c.type === 'Ready')) problems.push('no Ready condition');
  }
  return problems;
}

/** Every reply, whatever it is: no 5xx, a known status, and a well-formed body for it. */
export function replyProblems(reply: HookReply, check: AnswerCheck): string[] {
  if (reply.status >= 500) return [`${reply.status}: ${reply.text.slice(0, 300)}`];
  if (reply.status === 200) return okReplyProblems(reply, check);
  if (reply.status >= 400 && reply.status < 500) return errorReplyProblems(reply);
  return [`unexpected status ${reply.status}`];
}

/** `["Deployment.apps/v1"]`, `.metadata`, `[3]`: how problems[].path spells a pointer (problems.ts). */
export function dottedPath(segments: (string | number)[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number' || /^\d+$/.test(segment)) path += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) path += path ? `.${segment}` : segment;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path || '(root)';
}
