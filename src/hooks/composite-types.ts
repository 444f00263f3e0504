// Request and response of the PythonLambda hooks (CompositeController sync and finalize).
import type { PythonLambdaStatus } from '../generated/pythonlambda-status.js';
import type { KubeObject, ObjectMap } from '../metacontroller/objects.js';

export interface PythonLambdaObject extends KubeObject {
  spec?: unknown;
  status?: unknown;
}

export interface CompositeRequest {
  controller?: unknown;
  parent: PythonLambdaObject;
  children?: ObjectMap | null;
  related?: ObjectMap | null;
  finalizing?: boolean;
}

export interface CompositeResponse {
  status: PythonLambdaStatus;
  children: KubeObject[];
  finalized?: boolean;
}
