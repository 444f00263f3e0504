import { expect } from 'chai';
import {
  lambdaServiceName,
  renderService,
  serviceUrl,
} from '../../../src/render/lambda-service.js';
import { commonLabels, selectorLabels } from '../../../src/render/labels.js';
import { isDns1035Label, labelProblems } from '../../fixtures/kube-validation.js';
import { helloSpec, lambdaSpec, lambdaDeployment } from '../../fixtures/lambda.js';

function serviceFor(name: string, port?: number) {
  const spec = lambdaSpec(helloSpec(port === undefined ? {} : { port }), { name });
  return {
    spec,
    service: renderService({
      settings: spec,
      name: lambdaServiceName(name),
      selector: selectorLabels(name),
      labels: commonLabels(name),
      targetPort: 'http',
    }),
    deployment: lambdaDeployment(spec),
  };
}

describe('the lambda Service', () => {
  it('is exactly this for a lambda on port 9000', () => {
    expect(serviceFor('hello', 9000).service).to.deep.equal({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'hello', namespace: 'demo', labels: commonLabels('hello') },
      spec: {
        type: 'ClusterIP',
        selector: { 'pylambda.dev/lambda': 'hello' },
        ports: [{ name: 'http', port: 9000, targetPort: 'http', protocol: 'TCP' }],
      },
    });
  });

  for (const name of ['hello', '9lives', 'my.app', `${'s'.repeat(63)}.${'t'.repeat(189)}`]) {
    it(`selects the pods of the Deployment and targets the container port (${name.length > 20 ? `${name.length} characters` : name})`, () => {
      const { service, deployment } = serviceFor(name, 8081);
      const podLabels = deployment.spec!.template.metadata!.labels!;
      const selector = service.spec!.selector!;
      expect(Object.keys(selector)).to.have.length.above(0);
      for (const [k, v] of Object.entries(selector)) expect(podLabels[k], k).to.equal(v);
      expect(selector).to.deep.equal(deployment.spec!.selector.matchLabels);
      // By name, so that each pod is reached on its own port while a port change rolls out.
      const named = deployment.spec!.template.spec!.containers[0]!.ports!.find(
        (p) => p.name === service.spec!.ports![0]!.targetPort,
      );
      expect(named?.containerPort).to.equal(8081);
      expect(service.spec!.ports![0]!.port).to.equal(8081);
      expect(isDns1035Label(service.metadata!.name!)).to.equal(true);
      expect(labelProblems(service.metadata!.labels)).to.deep.equal([]);
    });
  }

  it('gives the in-cluster URL of the Service', () => {
    expect(serviceUrl('hello', { namespace: 'demo', port: 8080 }, 'cluster.local')).to.equal(
      'http://hello.demo.svc.cluster.local:8080',
    );
    const name = lambdaServiceName('9lives');
    expect(serviceUrl(name, { namespace: 'ns', port: 9000 }, 'example.internal')).to.equal(
      `http://${name}.ns.svc.example.internal:9000`,
    );
  });
});
