// The status fields the scale subresource reads besides status.replicas: the pod selector, as
// text, that autoscalers use to find the pods they measure. A function of the name only, so
// it holds whatever else the status says.
import type { PythonLambdaStatus } from '../generated/pythonlambda-status.js';
import { podSelectorText } from '../render/pod-selector.js';

export function scaleStatus(lambdaName: string): Pick<PythonLambdaStatus, 'selector'> {
  return { selector: podSelectorText(lambdaName) };
}
