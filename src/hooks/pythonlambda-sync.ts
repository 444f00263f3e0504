// The PythonLambda sync hook: spec -> ConfigMap, Deployment and Service, and a status that says
// whether the current code serves. Pure given the injected clock: the same request always gets
// the same children, and a condition's time changes only when its status flips.
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { PythonLambdaStatus } from '../generated/pythonlambda-status.js';
import { codeTooLargeMessage, configMapSize, type ApplyStrategy } from '../lambda/code-size.js';
import { pythonLambdaSpec, type LambdaSpec } from '../lambda/python-lambda-spec.js';
import { observedApplyStrategy } from '../metacontroller/apply-strategy.js';
import { asDesired } from '../metacontroller/carry-over.js';
import {
  allObjects,
  DEPLOYMENT_GROUP,
  findObject,
  childKey,
  childKeyOf,
  type KubeObject,
} from '../metacontroller/objects.js';
import {
  checkChildren,
  compositeChildOf,
  describeConflict,
  describeMissing,
  claimedChild,
  wantedChild,
  type ChildCheck,
} from '../metacontroller/ownership.js';
import { renderAvailabilityChildren } from '../render/availability.js';
import { codeConfigMapName, renderCodeConfigMap } from '../render/code-configmap.js';
import { codeHash } from '../render/code-hash.js';
import { deploymentName, renderLambdaDeployment } from '../render/lambda-deployment.js';
import { lambdaServiceName, renderService, serviceUrl } from '../render/lambda-service.js';
import {
  ANNOTATION_RUNTIME_VERSION,
  ANNOTATION_TEMPLATE_HASH,
  commonLabels,
  selectorLabels,
} from '../render/labels.js';
import { codeHashesInUse, codeRecord, type CodeRecord } from '../status/code-retention.js';
import type { ConditionVerdict } from '../status/conditions.js';
import { deploymentView, type DeploymentView } from '../status/deployment-view.js';
import { lambdaStatus, replicaCounts, stillServed, type Served } from '../status/lambda-status.js';
import { withoutPendingAvailability } from '../status/availability-check.js';
import { previousStatus } from '../status/previous-status.js';
import { replicaSetCode } from '../status/replica-set-code.js';
import { liveCodeHashes } from '../status/replica-sets.js';
import { scaleStatus } from '../status/scale-status.js';
import { currentPodsProblem, podProblemChangesAt, withPodProblem } from '../status/pod-problems.js';
import { READY, rolloutVerdict } from '../status/rollout.js';
import { parseBudget, type ParseBudget } from '../validation/counted-parse.js';
import { formatProblems } from '../validation/problems.js';
import type { CompositeRequest, CompositeResponse } from './composite-types.js';
import type { HookContext } from './hook-context.js';
import {
  ANNOTATION_RUNTIME_UPGRADE,
  ANNOTATION_SPEC_HASH,
  chooseRuntime,
  specHash,
  type RuntimeChoice,
} from './runtime-choice.js';

interface Observed {
  /** The observed Deployment, only if this lambda owns it. */
  deployment: Deployment | undefined;
  view: DeploymentView | undefined;
  previousStatus: PythonLambdaStatus;
  record: CodeRecord;
  /** Shared by every child this call carries over (see carry-over.ts). */
  parseBudget: ParseBudget;
}

function observe(request: CompositeRequest, ctx: HookContext): Observed {
  const { name } = request.parent.metadata;
  const found = findObject<KubeObject & Deployment>(
    request.children,
    DEPLOYMENT_GROUP,
    deploymentName(name),
  );
  const deployment = found && claimedChild(found, request.parent.metadata.uid) ? found : undefined;
  const view = deployment
    ? deploymentView(deployment, replicaSetCode(request.related, deployment))
    : undefined;
  const previous = previousStatus(request.parent.status);
  return {
    deployment,
    view,
    previousStatus: previous,
    record: codeRecord(previous, view),
    parseBudget: parseBudget(ctx.maxParsedValues),
  };
}

function statusWith(
  request: CompositeRequest,
  observed: Observed,
  verdict: ConditionVerdict,
  served: Served,
  ctx: HookContext,
): PythonLambdaStatus {
  const status = lambdaStatus({
    parent: request.parent,
    previous: observed.previousStatus,
    verdict,
    counts: replicaCounts(observed.deployment),
    served,
    record: observed.record,
    now: ctx.now,
  });
  // While no Deployment shows it (deleted, or not created yet), the last one seen stays pinned.
  const runtimeVersion = observed.deployment
    ? observed.deployment.spec?.template?.metadata?.annotations?.[ANNOTATION_RUNTIME_VERSION]
    : observed.previousStatus.runtimeVersion;
  return {
    ...status,
    ...(runtimeVersion === undefined ? {} : { runtimeVersion }),
    ...scaleStatus(request.parent.metadata.name),
  };
}

/** Observed children this lambda owns: the only ones an answer may carry. */
function ownChildren(request: CompositeRequest): KubeObject[] {
  return allObjects(request.children).filter((child) =>
    claimedChild(child, request.parent.metadata.uid),
  );
}

/** Keep every observed child of ours exactly as it is, and say why in Ready=False. */
function keepChildren(
  request: CompositeRequest,
  observed: Observed,
  reason: string,
  message: string,
  ctx: HookContext,
): CompositeResponse {
  const verdict: ConditionVerdict = { type: READY, status: 'False', reason, message };
  return {
    status: statusWith(request, observed, verdict, stillServed(observed.previousStatus), ctx),
    children: ownChildren(request).map((child) => asDesired(child, observed.parseBudget)),
  };
}

/**
 * The Deployment we want: rendered with this webhook's runtime, or (see runtime-choice.ts) the
 * observed one as it was last applied, with only the replica count followed.
 */
function wantedDeployment(
  spec: LambdaSpec,
  hash: string,
  choice: RuntimeChoice,
  observed: Observed,
  parentSpecHash: string,
  ctx: HookContext,
): Deployment {
  if (choice.kind === 'keep' && observed.deployment) {
    const kept = asDesired(
      observed.deployment as KubeObject,
      observed.parseBudget,
    ) as unknown as Deployment;
    return { ...kept, spec: { ...kept.spec!, replicas: spec.replicas } };
  }
  const deployment = renderLambdaDeployment(spec, hash, ctx.runtime);
  deployment.metadata!.annotations = { [ANNOTATION_SPEC_HASH]: parentSpecHash };
  return deployment;
}

function render(spec: LambdaSpec, hash: string, deployment: Deployment, ctx: HookContext) {
  const serviceName = lambdaServiceName(spec.name);
  return {
    configMap: renderCodeConfigMap(spec, hash) as KubeObject,
    deployment,
    service: renderService({
      settings: spec,
      name: serviceName,
      selector: selectorLabels(spec.name),
      labels: commonLabels(spec.name),
      targetPort: 'http',
    }) as KubeObject,
    url: serviceUrl(serviceName, spec, ctx.clusterDomain),
    availability: renderAvailabilityChildren(spec),
  };
}

/**
 * Code ConfigMaps of other versions that pods may still mount (see status/code-retention.ts);
 * every other one is left out, so Metacontroller deletes it.
 */
function olderCodeConfigMaps(
  request: CompositeRequest,
  observed: Observed,
  wanted: string,
): KubeObject[] {
  const name = request.parent.metadata.name;
  const keep = new Set(
    [
      ...codeHashesInUse(
        wanted,
        observed.view,
        observed.record,
        liveCodeHashes(request.related, deploymentName(name)),
      ),
    ].map((hash) => codeConfigMapName(name, hash)),
  );
  keep.delete(codeConfigMapName(name, wanted));
  return ownChildren(request)
    .filter((child) => child.kind === 'ConfigMap' && keep.has(child.metadata.name))
    .map((child) => asDesired(child, observed.parseBudget));
}

function childrenVerdict(check: ChildCheck, rollout: ConditionVerdict): ConditionVerdict {
  if (check.conflicts.length > 0) {
    return {
      type: READY,
      status: 'False',
      reason: 'NameConflict',
      message: `${check.conflicts.map(describeConflict).join('; ')}; pylambda never changes an object it does not own: rename the lambda or remove that object`,
    };
  }
  const missing = check.missing.filter((child) => child.group !== DEPLOYMENT_GROUP);
  if (rollout.status === 'True' && missing.length > 0) {
    return {
      type: READY,
      status: 'False',
      reason: 'Creating',
      message: `waiting for ${missing.map(describeMissing).join(', ')} to be created`,
    };
  }
  return rollout;
}

export function syncPythonLambda(request: CompositeRequest, ctx: HookContext): CompositeResponse {
  const { name, namespace } = request.parent.metadata;
  const observed = observe(request, ctx);
  const result = pythonLambdaSpec(
    { name, namespace: namespace! },
    request.parent.spec,
    ctx.validateSpec,
  );
  if (!result.ok) {
    const message = `invalid spec: ${formatProblems(result.problems)}`;
    return keepChildren(request, observed, 'InvalidSpec', message, ctx);
  }
  const spec = result.spec;
  const hash = codeHash(spec);
  const parentSpecHash = specHash(request.parent.spec);
  const choice = chooseRuntime({
    own: ctx.runtime,
    observed: observed.deployment && {
      annotations: observed.deployment.metadata?.annotations,
      template: observed.deployment.spec?.template,
    },
    specHash: parentSpecHash,
    previousVersion: observed.previousStatus.runtimeVersion,
    optedIn: request.parent.metadata.annotations?.[ANNOTATION_RUNTIME_UPGRADE] === 'always',
  });
  if (choice.kind === 'wait') {
    const message =
      `this lambda runs runtime ${choice.version}, newer than this webhook's ${ctx.runtime.version}; ` +
      `the spec change waits for a pylambda webhook of ${choice.version} or later (a webhook never moves a lambda to an older runtime)`;
    return keepChildren(request, observed, 'RuntimeNewer', message, ctx);
  }
  const deployment = wantedDeployment(spec, hash, choice, observed, parentSpecHash, ctx);
  const children = render(spec, hash, deployment, ctx);
  const size = sizeVerdict(request, children.configMap, ctx);
  if (size.kind === 'too-large') {
    return keepChildren(request, observed, 'CodeTooLarge', size.message, ctx);
  }
  const check = withoutPendingAvailability(
    checkChildren(
      [
        children.configMap,
        children.deployment as KubeObject,
        ...children.availability,
        children.service,
      ].map((child) => wantedChild(child, namespace!)),
      request.children,
      request.related,
      request.parent.metadata.uid,
      compositeChildOf(request.parent.metadata.uid),
    ),
    children.availability,
  );
  const conflicting = new Set(check.conflicts.map((c) => childKey(c.child.group, c.child.name)));
  const ours = (child: KubeObject) => !conflicting.has(childKeyOf(child));
  if (!ours(children.configMap)) {
    // The pod template would mount someone else's ConfigMap as the lambda's code: nothing moves.
    const conflict = childrenVerdict(check, {
      type: READY,
      status: 'True',
      reason: '',
      message: '',
    });
    return keepChildren(request, observed, 'NameConflict', conflict.message, ctx);
  }
  const wantedTemplate =
    children.deployment.spec?.template?.metadata?.annotations?.[ANNOTATION_TEMPLATE_HASH];
  const now = ctx.now();
  const changesAt = podProblemChangesAt(request.related, wantedTemplate, now);
  if (changesAt !== undefined) ctx.answerChangesAt?.(changesAt);
  const verdict = childrenVerdict(
    check,
    withPodProblem(
      rolloutVerdict({
        desired: children.deployment,
        // One being deleted is going away with its pods: Ready waits for the next one.
        observed: observed.deployment?.metadata?.deletionTimestamp ? undefined : observed.view,
        url: children.url,
        currentCodeServed:
          observed.record.servedTemplateHash !== undefined &&
          observed.record.servedTemplateHash === observed.view?.templateHash,
      }),
      currentPodsProblem(request.related, wantedTemplate, now),
    ),
  );
  // The URL would lead to someone else's pods while another Service holds the name.
  const served: Served = {
    ...(ours(children.service) ? { url: children.url } : {}),
    codeHash: hash,
  };
  if (size.kind === 'strategy-unknown') {
    // Only the Service first: once observed, it shows how Metacontroller applies (see below). A
    // Service name someone else holds would never show it: that conflict is what to report.
    const probe: ConditionVerdict =
      verdict.reason === 'NameConflict'
        ? verdict
        : { type: READY, status: 'False', reason: 'Creating', message: size.message };
    return {
      status: statusWith(request, observed, probe, { codeHash: hash }, ctx),
      children: [
        ...ownChildren(request).map((child) => asDesired(child, observed.parseBudget)),
        children.service,
      ].filter((child, i, all) => ours(child) && all.findIndex((c) => sameObject(c, child)) === i),
    };
  }
  const wanted = [
    children.configMap,
    ...olderCodeConfigMaps(request, observed, hash),
    children.deployment as KubeObject,
    ...children.availability,
    children.service,
  ].filter(ours);
  return {
    status: statusWith(request, observed, verdict, served, ctx),
    children: wanted,
  };
}

function sameObject(a: KubeObject, b: KubeObject): boolean {
  return a.kind === b.kind && a.metadata.name === b.metadata.name;
}

type SizeVerdict =
  | { kind: 'fits' }
  | { kind: 'too-large'; message: string }
  | { kind: 'strategy-unknown'; message: string };

/**
 * Does the code ConfigMap fit how Metacontroller applies it? When nothing shows the strategy
 * yet (a new lambda, no PYLAMBDA_APPLY_STRATEGY) and the code fits only server-side apply, the
 * hook answers the small Service alone: the next request shows the strategy on it.
 */
function sizeVerdict(
  request: CompositeRequest,
  configMap: KubeObject,
  ctx: HookContext,
): SizeVerdict {
  const data = (configMap.data ?? {}) as Record<string, string>;
  const strategy = ctx.applyStrategy ?? observedApplyStrategy(request.children);
  const measure = (s: ApplyStrategy) => ({
    bytes: configMapSize(data, s),
    limit: ctx.maxCodeBytesFor(s),
  });
  if (strategy) {
    const { bytes, limit } = measure(strategy);
    return bytes > limit
      ? { kind: 'too-large', message: codeTooLargeMessage(bytes, limit, strategy) }
      : { kind: 'fits' };
  }
  const dynamic = measure('dynamic-apply');
  if (dynamic.bytes <= dynamic.limit) return { kind: 'fits' };
  const serverSide = measure('server-side-apply');
  if (serverSide.bytes > serverSide.limit) {
    return {
      kind: 'too-large',
      message: codeTooLargeMessage(serverSide.bytes, serverSide.limit, 'server-side-apply'),
    };
  }
  return {
    kind: 'strategy-unknown',
    message: `the code ConfigMap (${dynamic.bytes} bytes of JSON) fits only if Metacontroller applies with server-side apply; creating the Service first to see which strategy it uses`,
  };
}
