// Adapter: an annotated Deployment -> LambdaSettings, or the problems with its annotations.
// The annotations are the user's interface to the decorator path (README: "Annotated Deployments").
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Problem } from '../validation/problems.js';
import { HANDLER_PATTERN, type LambdaSettings } from './settings.js';

export const ANNOTATION_PREFIX = 'pylambda.dev/';
export const HANDLER_ANNOTATION = `${ANNOTATION_PREFIX}handler`;
export const PORT_ANNOTATION = `${ANNOTATION_PREFIX}port`;
export const TIMEOUT_ANNOTATION = `${ANNOTATION_PREFIX}timeout-seconds`;
export const CODE_DIR_ANNOTATION = `${ANNOTATION_PREFIX}code-dir`;

/** Written back by the hook. */
export const SERVICE_ANNOTATION = `${ANNOTATION_PREFIX}service`;
export const URL_ANNOTATION = `${ANNOTATION_PREFIX}url`;
export const CONFIGMAP_ANNOTATION = `${ANNOTATION_PREFIX}configmap`;
export const ERROR_ANNOTATION = `${ANNOTATION_PREFIX}error`;
export const OUTPUT_ANNOTATIONS = [
  SERVICE_ANNOTATION,
  URL_ANNOTATION,
  CONFIGMAP_ANNOTATION,
  ERROR_ANNOTATION,
];

export const DEFAULT_PORT = 8080;
export const DEFAULT_TIMEOUT_SECONDS = 30;
export const DEFAULT_CODE_DIR = '/opt/pylambda/code';

export interface DecoratedLambda {
  settings: LambdaSettings;
  codeDir: string;
  /** The Deployment's pod selector, which the Service reuses. */
  selector: Record<string, string>;
}

export type DecoratedResult =
  { ok: true; lambda: DecoratedLambda } | { ok: false; problems: Problem[] };

/**
 * A user's value inside our error annotation, cut short: quoting a huge value in full could push
 * the Deployment past the 256 KiB annotation limit, and then no error would show at all.
 */
function quoted(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

function integerAnnotation(
  annotations: Record<string, string>,
  key: string,
  fallback: number,
  min: number,
  max: number,
  problems: Problem[],
): number {
  const raw = annotations[key];
  if (raw === undefined) return fallback;
  const trimmed = raw.trim();
  const value = /^\d+$/.test(trimmed) ? Number(trimmed) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    problems.push({
      path: `metadata.annotations["${key}"]`,
      message: `${quoted(raw)} must be a whole number from ${min} to ${max}`,
    });
    return fallback;
  }
  return value;
}

function selectorOf(deployment: Deployment, problems: Problem[]): Record<string, string> {
  const selector = deployment.spec?.selector;
  if (selector?.matchExpressions?.length) {
    problems.push({
      path: 'spec.selector.matchExpressions',
      message:
        'a Service selects by labels only, so it cannot select exactly the pods of this Deployment; use matchLabels',
    });
  }
  const labels = selector?.matchLabels ?? {};
  if (Object.keys(labels).length === 0) {
    problems.push({
      path: 'spec.selector.matchLabels',
      message: 'is required to build the Service selector',
    });
  }
  return labels;
}

/**
 * Why a code directory cannot be used, if it cannot: it goes into settings.json and onto the
 * runtime's sys.path, so it must be one plain absolute path (no control characters, no `..`).
 */
function codeDirProblemOf(codeDir: string): string | undefined {
  if (!codeDir.startsWith('/') || codeDir.length > 1024) {
    return 'must be an absolute path in the container (at most 1024 characters)';
  }
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[\x00-\x1f\x7f]/.test(codeDir)) return 'must not contain control characters';
  if (codeDir.split('/').includes('..')) return "must not contain '..'";
  return undefined;
}

export function decoratedLambda(
  deployment: Deployment & { metadata: { name: string; namespace?: string } },
): DecoratedResult {
  const annotations = deployment.metadata.annotations ?? {};
  const problems: Problem[] = [];
  const handler = (annotations[HANDLER_ANNOTATION] ?? '').trim();
  if (!HANDLER_PATTERN.test(handler) || handler.length > 253) {
    problems.push({
      path: `metadata.annotations["${HANDLER_ANNOTATION}"]`,
      message: `${quoted(annotations[HANDLER_ANNOTATION] ?? '')} must be module.function, such as main.handler`,
    });
  }
  const port = integerAnnotation(annotations, PORT_ANNOTATION, DEFAULT_PORT, 1, 65535, problems);
  const timeoutSeconds = integerAnnotation(
    annotations,
    TIMEOUT_ANNOTATION,
    DEFAULT_TIMEOUT_SECONDS,
    1,
    900,
    problems,
  );
  const codeDir = (annotations[CODE_DIR_ANNOTATION] ?? DEFAULT_CODE_DIR).trim();
  const codeDirProblem = codeDirProblemOf(codeDir);
  if (codeDirProblem) {
    problems.push({
      path: `metadata.annotations["${CODE_DIR_ANNOTATION}"]`,
      message: `${quoted(annotations[CODE_DIR_ANNOTATION] ?? '')} ${codeDirProblem}`,
    });
  }
  const selector = selectorOf(deployment, problems);
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    lambda: {
      settings: {
        name: deployment.metadata.name,
        namespace: deployment.metadata.namespace!,
        handler,
        port,
        timeoutSeconds,
      },
      codeDir,
      selector,
    },
  };
}
