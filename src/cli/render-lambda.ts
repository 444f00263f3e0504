// A lambda document -> what the operator would create for it, by calling the very hooks the
// webhook serves. An invalid lambda is an error naming every field and why, never a partial render.
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { syncLambdaDeployment } from '../hooks/lambda-deployment-sync.js';
import type { HookContext } from '../hooks/hook-context.js';
import { syncPythonLambda } from '../hooks/pythonlambda-sync.js';
import { decoratedLambda, type DecoratedLambda } from '../lambda/deployment-annotations.js';
import { pythonLambdaSpec, type LambdaSpec } from '../lambda/python-lambda-spec.js';
import type { KubeObject } from '../metacontroller/objects.js';
import type { Problem } from '../validation/problems.js';
import { CliError } from './exit-codes.js';
import { firstCompositeSync, firstDecoratorSync, settledDecoratorSync } from './hook-requests.js';
import { lambdaLabel, type LambdaDocument } from './lambdas.js';

export type RenderedLambda =
  | {
      kind: 'PythonLambda';
      source: LambdaDocument;
      spec: LambdaSpec;
      /** ConfigMap, Deployment and Service, in the hook's order. */
      objects: KubeObject[];
    }
  | {
      kind: 'Deployment';
      source: LambdaDocument;
      lambda: DecoratedLambda;
      /** The attachments: the settings ConfigMap and the Service. */
      objects: KubeObject[];
      /** What the hook writes on the Deployment; null removes the annotation. */
      annotations: Record<string, string | null>;
    };

function invalid(source: LambdaDocument, file: string, problems: Problem[]): CliError {
  const lines = problems.map((p) => `  ${p.path}: ${p.message}`);
  return new CliError(
    `${file}:${source.line}: ${lambdaLabel(source)} is invalid:\n${lines.join('\n')}`,
  );
}

function renderPythonLambda(
  source: LambdaDocument,
  file: string,
  ctx: HookContext,
): RenderedLambda {
  // The hook reports an invalid spec in one status message; validating first lists each field.
  const result = pythonLambdaSpec(source, source.object.spec, ctx.validateSpec);
  if (!result.ok) throw invalid(source, file, result.problems);
  const response = syncPythonLambda(firstCompositeSync(source.object), ctx);
  if (response.children.length === 0) {
    // Valid fields but refused as a whole (the code size limit): the hook says why in Ready.
    const ready = response.status.conditions?.find((c) => c.type === 'Ready');
    throw new CliError(
      `${file}:${source.line}: ${lambdaLabel(source)} is refused (${ready?.reason ?? 'no children'}): ${ready?.message ?? ''}`,
    );
  }
  return { kind: 'PythonLambda', source, spec: result.spec, objects: response.children };
}

function renderDecorated(source: LambdaDocument, file: string, ctx: HookContext): RenderedLambda {
  const deployment = source.object as KubeObject & Deployment;
  const result = decoratedLambda(deployment);
  if (!result.ok) throw invalid(source, file, result.problems);
  const first = syncLambdaDeployment(firstDecoratorSync(source.object), ctx);
  // The annotations as they settle: the URL is written once the Service exists.
  const settled = syncLambdaDeployment(settledDecoratorSync(source.object, first.attachments), ctx);
  return {
    kind: 'Deployment',
    source,
    lambda: result.lambda,
    objects: first.attachments,
    annotations: settled.annotations,
  };
}

export function renderLambda(
  source: LambdaDocument,
  file: string,
  ctx: HookContext,
): RenderedLambda {
  return source.kind === 'PythonLambda'
    ? renderPythonLambda(source, file, ctx)
    : renderDecorated(source, file, ctx);
}

/** Every lambda, or an error listing every invalid one (so nothing half-rendered gets applied). */
export function renderLambdas(
  sources: LambdaDocument[],
  file: string,
  ctx: HookContext,
): RenderedLambda[] {
  const rendered: RenderedLambda[] = [];
  const errors: string[] = [];
  for (const source of sources) {
    try {
      rendered.push(renderLambda(source, file, ctx));
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      errors.push(e.message);
    }
  }
  if (errors.length > 0) throw new CliError(errors.join('\n'));
  return rendered;
}
