// Labels and annotation keys that pylambda writes. The selector label is immutable on a
// Deployment once created, so it depends on the lambda's name only.
import { labelValue } from './names.js';

export const LABEL_LAMBDA = 'pylambda.dev/lambda';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const ANNOTATION_CODE_HASH = 'pylambda.dev/code-hash';
export const ANNOTATION_TEMPLATE_HASH = 'pylambda.dev/template-hash';
/** The runtime version a pod template runs (render/runtime-release.ts). */
export const ANNOTATION_RUNTIME_VERSION = 'pylambda.dev/runtime-version';

export function selectorLabels(lambdaName: string): Record<string, string> {
  return { [LABEL_LAMBDA]: labelValue(lambdaName) };
}

export function commonLabels(lambdaName: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'pylambda',
    'app.kubernetes.io/instance': labelValue(lambdaName),
    'app.kubernetes.io/managed-by': 'pylambda',
    ...selectorLabels(lambdaName),
  };
}
