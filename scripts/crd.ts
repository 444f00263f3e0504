// Builds the PythonLambda CRD from the JSON Schemas, so the API server and the hook validate
// against the same source of truth.
import type { JSONSchema7 } from 'json-schema';

type Schema = Record<string, unknown>;

/** Keywords that a structural openAPIV3Schema accepts and that our schemas use. */
const KEPT_KEYWORDS = new Set([
  'description',
  'type',
  'format',
  'required',
  'properties',
  'additionalProperties',
  'items',
  'enum',
  'default',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'anyOf',
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
]);

function resolveRef(ref: string, root: Schema): Schema {
  const match = /^#\/definitions\/(.+)$/.exec(ref);
  const definitions = root.definitions as Record<string, Schema> | undefined;
  const target = match && definitions?.[match[1]!];
  if (!target) throw new Error(`cannot inline $ref ${ref}`);
  return target;
}

/** Inline local $refs and drop what a structural schema forbids (additionalProperties: false). */
export function toOpenApiV3(schema: Schema, root: Schema = schema): Schema {
  const source = typeof schema.$ref === 'string' ? resolveRef(schema.$ref, root) : schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(source)) {
    if (!KEPT_KEYWORDS.has(key)) continue;
    if (key === 'additionalProperties' && typeof value === 'boolean') continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([name, sub]) => [
          name,
          toOpenApiV3(sub, root),
        ]),
      );
    } else if (key === 'additionalProperties' || key === 'items') {
      out[key] = toOpenApiV3(value as Schema, root);
    } else if (key === 'anyOf') {
      out.anyOf = (value as Schema[]).map((sub) => toOpenApiV3(sub, root));
    } else {
      out[key] = value;
    }
  }
  return out;
}

export function pythonLambdaCrd(spec: JSONSchema7, status: JSONSchema7): Schema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'pythonlambdas.pylambda.dev' },
    spec: {
      group: 'pylambda.dev',
      names: {
        kind: 'PythonLambda',
        listKind: 'PythonLambdaList',
        plural: 'pythonlambdas',
        singular: 'pythonlambda',
        shortNames: ['pyl'],
        categories: ['pylambda'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          // `scale` lets `kubectl scale` and any HorizontalPodAutoscaler or KEDA ScaledObject
          // set spec.replicas; the sync hook gives the Deployment that count.
          subresources: {
            status: {},
            scale: {
              specReplicasPath: '.spec.replicas',
              statusReplicasPath: '.status.replicas',
              labelSelectorPath: '.status.selector',
            },
          },
          additionalPrinterColumns: [
            {
              name: 'Ready',
              type: 'string',
              jsonPath: '.status.conditions[?(@.type=="Ready")].status',
            },
            { name: 'Replicas', type: 'integer', jsonPath: '.status.readyReplicas' },
            { name: 'URL', type: 'string', jsonPath: '.status.url' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
            {
              name: 'Reason',
              type: 'string',
              priority: 1,
              jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
            },
            { name: 'Runtime', type: 'string', priority: 1, jsonPath: '.spec.runtime' },
            // What an autoscaler or `kubectl scale` asked for, beside the ready count above.
            { name: 'Desired', type: 'integer', priority: 1, jsonPath: '.spec.replicas' },
            // Which lambdas a webhook upgrade has not moved yet (README: Upgrades).
            {
              name: 'Pylambda-Runtime',
              type: 'string',
              priority: 1,
              jsonPath: '.status.runtimeVersion',
            },
          ],
          schema: {
            openAPIV3Schema: {
              description: 'A Python function served over HTTP by pylambda.',
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: toOpenApiV3(spec as Schema),
                status: toOpenApiV3(status as Schema),
              },
            },
          },
        },
      ],
    },
  };
}
