// What both paths (a PythonLambda and an annotated Deployment) know about a lambda: who it is,
// which function to call, and how it is served. Renderers take these, never raw requests.
export interface LambdaSettings {
  /** The PythonLambda's or the Deployment's name. */
  name: string;
  namespace: string;
  /** `module.function`. */
  handler: string;
  port: number;
  timeoutSeconds: number;
}

export const HANDLER_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/;
