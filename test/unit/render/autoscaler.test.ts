import { expect } from 'chai';
import { renderAutoscaler } from '../../../src/render/autoscaler.js';
import { commonLabels } from '../../../src/render/labels.js';
import { podSelectorText } from '../../../src/render/pod-selector.js';
import type { ScalingBehavior } from '../../../src/generated/pythonlambda-spec.js';
import { helloSpec, lambdaSpec } from '../../fixtures/lambda.js';

describe('the lambda HorizontalPodAutoscaler', () => {
  it('is exactly this: it targets the PythonLambda itself, with both utilization targets', () => {
    const spec = lambdaSpec(
      helloSpec({
        autoscaling: {
          minReplicas: 2,
          maxReplicas: 10,
          targetCPUUtilizationPercentage: 70,
          targetMemoryUtilizationPercentage: 80,
        },
      }),
    );
    expect(renderAutoscaler(spec)).to.deep.equal({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'hello', namespace: 'demo', labels: commonLabels('hello') },
      spec: {
        scaleTargetRef: {
          apiVersion: 'pylambda.dev/v1alpha1',
          kind: 'PythonLambda',
          name: 'hello',
        },
        minReplicas: 2,
        maxReplicas: 10,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
          },
          {
            type: 'Resource',
            resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } },
          },
        ],
      },
    });
  });

  it('defaults minReplicas to 1 and passes the behavior through as given', () => {
    const behavior: ScalingBehavior = {
      scaleUp: { policies: [{ type: 'Pods', value: 2, periodSeconds: 30 }] },
      scaleDown: {
        stabilizationWindowSeconds: 600,
        selectPolicy: 'Min',
        tolerance: '0.1',
      },
    };
    const hpa = renderAutoscaler(
      lambdaSpec(
        helloSpec({
          autoscaling: { maxReplicas: 3, targetMemoryUtilizationPercentage: 60, behavior },
        }),
      ),
    )!;
    expect(hpa.spec!.minReplicas).to.equal(1);
    expect(hpa.spec!.behavior).to.deep.equal(behavior);
    expect(hpa.spec!.metrics!.map((m) => m.resource!.name)).to.deep.equal(['memory']);
  });

  it('is not rendered without spec.autoscaling', () => {
    expect(renderAutoscaler(lambdaSpec(helloSpec({ replicas: 5 })))).to.equal(undefined);
  });

  it('names the PythonLambda exactly, and the selector text matches the pod labels', () => {
    const name = `${'a'.repeat(63)}.b`;
    const spec = lambdaSpec(
      helloSpec({ autoscaling: { maxReplicas: 3, targetCPUUtilizationPercentage: 50 } }),
      { name },
    );
    expect(renderAutoscaler(spec)!.spec!.scaleTargetRef.name).to.equal(name);
    const [key, value] = podSelectorText(name).split('=');
    expect(commonLabels(name)[key!]).to.equal(value);
  });
});
