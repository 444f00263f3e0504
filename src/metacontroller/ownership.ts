// Is an object ours? Metacontroller creates every child with a controller owner reference to
// the parent, and sends a sync only the children it owns. An object of the same name that some
// one else made is never sent as a child: with dynamic-apply its create fails (AlreadyExists,
// which Metacontroller ignores), with server-side apply Metacontroller would force-apply over it
// and add our owner reference, so the garbage collector would later delete it with the lambda.
// The customize hook asks for objects by the names we want (as `related`), which is how a sync
// sees such an object before it answers, and leaves it out of the answer.
import { findObject, groupOf, type KubeObject, type ObjectMap } from './objects.js';

/**
 * A child Metacontroller sent: it sends only children it owns, so one without a controller
 * reference (a request written by hand) is taken as ours, one controlled by another uid is not.
 */
export function claimedChild(object: KubeObject, parentUid: string | undefined): boolean {
  const controller = (object.metadata.ownerReferences ?? []).find((ref) => ref.controller === true);
  return controller === undefined || (parentUid !== undefined && controller.uid === parentUid);
}

export function ownedBy(object: KubeObject, parentUid: string | undefined): boolean {
  if (!parentUid) return false;
  return (object.metadata.ownerReferences ?? []).some(
    (ref) => ref.controller === true && ref.uid === parentUid,
  );
}

/**
 * Would Metacontroller send this object, seen as `related`, as the parent's child? A controller
 * reference to the parent is not enough: another controller may set one too, and an object
 * Metacontroller does not count as a child is one it would take over when asked for it (server-
 * side apply force-patches it) and later delete with the attachments.
 */
export type SentAsChild = (object: KubeObject) => boolean;

export const DECORATOR_CONTROLLER_ANNOTATION = 'metacontroller.k8s.io/decorator-controller';
export const CONTROLLER_UID_LABEL = 'controller-uid';

/**
 * A CompositeController with generateSelector claims only what carries `controller-uid=<uid>`:
 * an object it controls without that label it releases (before the sync, so `related` may
 * still show the reference), and an orphan with it it adopts.
 */
export function compositeChildOf(parentUid: string | undefined): SentAsChild {
  return (object) =>
    ownedBy(object, parentUid) && object.metadata.labels?.[CONTROLLER_UID_LABEL] === parentUid;
}

/**
 * A DecoratorController counts as an attachment only what it controls and marked with its own
 * name (getChildren). A request that does not name the controller (one written by hand) cannot
 * tell decorators apart: there any decorator's mark counts.
 */
export function decoratorAttachmentOf(
  parentUid: string | undefined,
  controllerName: string | undefined,
): SentAsChild {
  return (object) => {
    const mark = object.metadata.annotations?.[DECORATOR_CONTROLLER_ANNOTATION];
    const marked = controllerName === undefined ? mark !== undefined : mark === controllerName;
    return marked && ownedBy(object, parentUid);
  };
}

export interface WantedChild {
  group: string;
  name: string;
  namespace: string;
}

/** The child an object of an answer stands for, in the parent's namespace. */
export function wantedChild(object: KubeObject, namespace: string): WantedChild {
  return { group: groupOf(object), name: object.metadata.name, namespace };
}

export interface ChildCheck {
  /**
   * Wanted names held by objects this lambda does not own; `controlledByParent` when the holder
   * names the parent its controller all the same (another controller made it so).
   */
  conflicts: { child: WantedChild; holder: KubeObject; controlledByParent?: boolean }[];
  /** Wanted children not observed (yet) as ours. */
  missing: WantedChild[];
}

function describe(child: WantedChild): string {
  const kind = child.group.split('.')[0];
  return `${kind} ${child.namespace}/${child.name}`;
}

export function describeConflict(conflict: ChildCheck['conflicts'][number]): string {
  const refs = conflict.holder.metadata.ownerReferences ?? [];
  const controller = refs.find((ref) => ref.controller === true);
  const owner = !controller
    ? 'it has no controller'
    : conflict.controlledByParent
      ? `it is controlled by ${controller.kind} ${controller.name}, but Metacontroller did not create it for this lambda: another controller did`
      : `it is controlled by ${controller.kind} ${controller.name}`;
  return `${describe(conflict.child)} already exists and is not owned by this lambda (${owner})`;
}

export function describeMissing(child: WantedChild): string {
  return describe(child);
}

/** A related object of the wanted name in the lambda's namespace (v2 keys may span others). */
function relatedObject(related: ObjectMap | null | undefined, child: WantedChild) {
  return Object.values(related?.[child.group] ?? {}).find(
    (object) =>
      object.metadata.name === child.name &&
      (object.metadata.namespace ?? child.namespace) === child.namespace,
  );
}

export function checkChildren(
  wanted: WantedChild[],
  children: ObjectMap | null | undefined,
  related: ObjectMap | null | undefined,
  parentUid: string | undefined,
  sentAsChild: SentAsChild,
): ChildCheck {
  const check: ChildCheck = { conflicts: [], missing: [] };
  for (const child of wanted) {
    const observed = findObject(children, child.group, child.name);
    const seen = observed ?? relatedObject(related, child);
    const ours = observed ? claimedChild(observed, parentUid) : seen && sentAsChild(seen);
    if (seen && !ours) {
      const controlledByParent = ownedBy(seen, parentUid);
      check.conflicts.push({
        child,
        holder: seen,
        ...(controlledByParent && { controlledByParent }),
      });
    } else if (!observed) check.missing.push(child);
  }
  return check;
}
