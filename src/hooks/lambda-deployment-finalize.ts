// The decorator finalize hook, called when the Deployment loses its pylambda.dev/handler
// annotation or is deleted: remove the attachments and every annotation pylambda wrote.
import { allObjects } from '../metacontroller/objects.js';
import { OUTPUT_ANNOTATIONS } from '../lambda/deployment-annotations.js';
import type { DecoratorRequest, DecoratorResponse } from './decorator-types.js';

export function finalizeLambdaDeployment(request: DecoratorRequest): DecoratorResponse {
  return {
    annotations: Object.fromEntries(OUTPUT_ANNOTATIONS.map((key) => [key, null])),
    attachments: [],
    finalized: allObjects(request.attachments).length === 0,
  };
}
