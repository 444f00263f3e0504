// The lambda's pod selector as label-selector text (`key=value`), the form a scale
// subresource's labelSelectorPath must hold: an autoscaler reads it to find the pods it measures.
import { selectorLabels } from './labels.js';

export function podSelectorText(lambdaName: string): string {
  return Object.entries(selectorLabels(lambdaName))
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}
