# End-to-end tests against a real control plane on 127.0.0.1 (etcd, kube-apiserver,
# kube-controller-manager, Metacontroller) and a worker node that runs the lambdas' pods, built from
# pinned sources into .cache/e2e/ (e2e/README.md).

APPLY_STRATEGY ?= server-side-apply

##@ End-to-end (real control plane on 127.0.0.1, no Docker)

.PHONY: e2e-build
e2e-build: ## Build (once, cached in .cache/e2e) etcd, kube-apiserver, kube-controller-manager, kubectl, Metacontroller and the worker node (containerd, kubelet, kube-proxy, kube-scheduler).
	e2e/build.sh

.PHONY: cluster-up
cluster-up: ## Start the control plane, Metacontroller, the webhook and a worker node on 127.0.0.1 and leave them running (APPLY_STRATEGY=server-side-apply|dynamic-apply; needs root).
	APPLY_STRATEGY=$(APPLY_STRATEGY) e2e/cluster-up.sh

.PHONY: cluster-down
cluster-down: ## Stop everything cluster-up started and free its ports (safe to run twice).
	e2e/cluster-down.sh

.PHONY: e2e
e2e: ## cluster-up, the scenarios in e2e/scenarios, cluster-down (also on failure).
	APPLY_STRATEGY=$(APPLY_STRATEGY) e2e/run.sh

.PHONY: e2e-scenarios
e2e-scenarios: ## Run the e2e scenarios against a cluster already started by cluster-up.
	e2e/run-scenarios.sh
