// An in-memory API server for the certificate job's five calls, with the semantics the job relies
// on: 404 as undefined, 409 for a create of an existing name or a replace at a stale
// resourceVersion, a JSON merge patch (RFC 7386), and a resourceVersion bumped on every write.
import { ApiError, type KubeApi } from '../../../src/certs/kube-api.js';

type Json = Record<string, unknown>;

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const result: Json =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Json) }
      : {};
  for (const [key, value] of Object.entries(patch as Json)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

export class FakeKubeApi implements KubeApi {
  readonly objects = new Map<string, Json>();
  /** Every write, as `METHOD path`. */
  readonly writes: string[] = [];
  /** Called before each write is stored, with the object as it will be. */
  beforeWrite: (path: string, object: Json) => void = () => {};
  private version = 1;

  put(path: string, object: Json): void {
    this.objects.set(path, this.stamp(structuredClone(object)));
  }

  private stamp(object: Json): Json {
    const metadata = (object.metadata ?? {}) as Json;
    object.metadata = { ...metadata, resourceVersion: String(this.version++) };
    return object;
  }

  async get(path: string) {
    const object = this.objects.get(path);
    return object ? structuredClone(object) : undefined;
  }

  async create(collectionPath: string, body: object) {
    const name = ((body as Json).metadata as Json).name as string;
    const path = `${collectionPath}/${name}`;
    if (this.objects.has(path))
      throw new ApiError(409, `POST ${collectionPath}: ${name} already exists`);
    this.writes.push(`POST ${path}`);
    this.beforeWrite(path, body as Json);
    this.put(path, body as Json);
    return structuredClone(this.objects.get(path)!);
  }

  async replace(path: string, body: object) {
    const current = this.objects.get(path);
    if (!current) throw new ApiError(404, `PUT ${path}: not found`);
    const sent = ((body as Json).metadata as Json).resourceVersion;
    if (sent !== (current.metadata as Json).resourceVersion)
      throw new ApiError(409, `PUT ${path}: the object has been modified`);
    this.writes.push(`PUT ${path}`);
    this.beforeWrite(path, body as Json);
    this.put(path, body as Json);
    return structuredClone(this.objects.get(path)!);
  }

  async mergePatch(path: string, patch: object) {
    const current = this.objects.get(path);
    if (!current) throw new ApiError(404, `PATCH ${path}: not found`);
    // A resourceVersion in the patch is a precondition, as the API server treats it.
    const sent = ((patch as Json).metadata as Json | undefined)?.resourceVersion;
    if (sent !== undefined && sent !== (current.metadata as Json).resourceVersion) {
      throw new ApiError(409, `PATCH ${path}: the object has been modified`);
    }
    this.writes.push(`PATCH ${path}`);
    const patched = mergePatch(current, patch) as Json;
    this.beforeWrite(path, patched);
    this.put(path, patched);
    return structuredClone(this.objects.get(path)!);
  }
}
