// How a lambda pod gets the runtime package from the runtime image, without it ever being in
// the lambda's ConfigMap:
// - init-container (the default): the runtime image copies the package into an emptyDir, which
//   the lambda container mounts read-only. Works on every Kubernetes version and runtime.
// - image-volume: the runtime image itself is mounted read-only (`volumes[].image`, beta and on
//   by default since Kubernetes 1.35; the node's container runtime must support it too), so no
//   copy runs at pod start.
// Either way the package ends up at RUNTIME_DIR and the lambda container keeps the stock image.
import type { Container, Volume, VolumeMount } from 'kubernetes-types/core/v1.js';
import { IMAGE_RUNTIME_DIR, RUNTIME_DIR, RUNTIME_PACKAGE } from './pod-layout.js';
import type { RuntimeRelease } from './runtime-release.js';
import { containerSecurityContext } from './security.js';

export const RUNTIME_CONTAINER = 'runtime';
const VOLUME = 'runtime';

/** kubernetes-types predates image volumes (core/v1 ImageVolumeSource, Kubernetes 1.31+). */
type ImageVolume = Volume & { image: { reference: string; pullPolicy: string } };

export interface RuntimeDelivery {
  volume: Volume;
  mount: VolumeMount;
  initContainer?: Container;
}

export function runtimeDelivery(release: RuntimeRelease): RuntimeDelivery {
  if (release.delivery === 'image-volume') {
    const volume: ImageVolume = {
      name: VOLUME,
      image: { reference: release.image, pullPolicy: 'IfNotPresent' },
    };
    return {
      volume,
      // Only the package's directory of the image, not its whole file system.
      mount: {
        name: VOLUME,
        mountPath: RUNTIME_DIR,
        subPath: IMAGE_RUNTIME_DIR.slice(1),
        readOnly: true,
      },
    };
  }
  return {
    volume: { name: VOLUME, emptyDir: { sizeLimit: '16Mi' } },
    mount: { name: VOLUME, mountPath: RUNTIME_DIR, readOnly: true },
    initContainer: {
      name: RUNTIME_CONTAINER,
      image: release.image,
      command: ['cp', '-R', `${IMAGE_RUNTIME_DIR}/${RUNTIME_PACKAGE}`, `${RUNTIME_DIR}/`],
      // A copy of a few hundred kilobytes; the pod's request is the larger of this and the
      // lambda container's, so it adds nothing to what the pod reserves.
      resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
      terminationMessagePolicy: 'FallbackToLogsOnError',
      securityContext: containerSecurityContext(),
      volumeMounts: [{ name: VOLUME, mountPath: RUNTIME_DIR }],
    },
  };
}
