# Deploy pylambda to a kind cluster: the webhook image, Metacontroller, the PythonLambda CRD, the
# controllers and the webhook service. Walkthrough and troubleshooting: docs/deploy.md.

# Pinned versions.
#   kind: the release these targets are written for; its default node image (Kubernetes v1.37.0,
#   pinned by digest inside kind) is used unless KIND_NODE_IMAGE is set. kindnetd, its default CNI,
#   enforces NetworkPolicy (config/network-policy).
KIND_VERSION ?= v0.33.0
#   kustomize: the version kubectl v1.36 embeds; the config tests render with it (`make test`).
KUSTOMIZE_VERSION ?= v5.8.1
#   Metacontroller: also the ref in config/metacontroller/kustomization.yaml (a test keeps them equal).
METACONTROLLER_VERSION := v4.17.2

IMG ?= pylambda-webhook:dev
# The runtime image lambda pods get the Python runtime from (runtime/Dockerfile). Its tag is the
# release: the webhook pins each lambda to the runtime version it runs (README: Upgrades).
PYLAMBDA_VERSION := $(shell node -p "require('./package.json').version" 2>/dev/null)
RUNTIME_IMG ?= pylambda-runtime:$(PYLAMBDA_VERSION)
KIND_CLUSTER ?= pylambda
KIND_NODE_IMAGE ?=
KIND ?= kind
DOCKER ?= docker
KUBECTL ?= kubectl
# Every kubectl call names the kind cluster's context: `make deploy` never touches whatever cluster
# the current context happens to point at.
KUBE_CONTEXT ?= kind-$(KIND_CLUSTER)
UNDEPLOY_TIMEOUT ?= 120s

TOOLS_DIR := .cache/tools
KUSTOMIZE := $(TOOLS_DIR)/bin/kustomize
KUSTOMIZE_BIN := $(TOOLS_DIR)/kustomize-$(KUSTOMIZE_VERSION)/kustomize
# Where `make deploy-config` writes the overlay `make deploy` applies (a relative path inside the
# repository: kustomize refuses absolute resource paths).
DEPLOY_DIR ?= .cache/deploy
deploy_to_root := $(subst $(eval) ,,$(foreach part,$(subst /, ,$(DEPLOY_DIR)),../))

# IMG without a registry host (pylambda-webhook:dev, me/pylambda:1) is built here and loaded into the
# kind nodes; IMG with one (ghcr.io/me/pylambda-webhook:1.0, localhost:5000/pylambda:1) was pushed
# and the nodes pull it. BUILD_IMAGE=true|false overrides the guess.
# The same holds for RUNTIME_IMG (BUILD_RUNTIME_IMAGE).
has_registry = $(and $(findstring /,$(1)),$(or $(findstring .,$(firstword $(subst /, ,$(1)))),$(findstring :,$(firstword $(subst /, ,$(1)))),$(filter localhost,$(firstword $(subst /, ,$(1))))))
BUILD_IMAGE ?= $(if $(call has_registry,$(IMG)),false,true)
BUILD_RUNTIME_IMAGE ?= $(if $(call has_registry,$(RUNTIME_IMG)),false,true)

K := $(KUBECTL) --context $(KUBE_CONTEXT)
DECORATOR_FINALIZER := metacontroller.io/decoratorcontroller-pylambda-deployment-decorator

##@ Deployment (kind; needs docker with a running engine, kind and kubectl)

.PHONY: require-docker require-kind require-kubectl
require-docker:
	@command -v $(DOCKER) >/dev/null 2>&1 || { \
	  echo "error: '$(DOCKER)' is not installed; this target needs Docker: https://docs.docker.com/get-docker/" >&2; exit 1; }
	@$(DOCKER) info >/dev/null 2>&1 || { \
	  echo "error: '$(DOCKER)' is installed but cannot reach a Docker engine (is the daemon running? 'docker info' says why)." >&2; \
	  echo "       Without Docker, 'make cluster-up' runs a real control plane on 127.0.0.1 instead (docs/deploy.md)." >&2; exit 1; }
require-kind:
	@command -v $(KIND) >/dev/null 2>&1 || { \
	  echo "error: '$(KIND)' is not installed; this target needs kind $(KIND_VERSION):" >&2; \
	  echo "       go install sigs.k8s.io/kind@$(KIND_VERSION)   (or https://kind.sigs.k8s.io/docs/user/quick-start/#installation)" >&2; exit 1; }
require-kubectl:
	@command -v $(KUBECTL) >/dev/null 2>&1 || { \
	  echo "error: '$(KUBECTL)' is not installed: https://kubernetes.io/docs/tasks/tools/" >&2; exit 1; }

.PHONY: docker-build
docker-build: require-docker ## Build the webhook image IMG (default pylambda-webhook:dev).
	$(DOCKER) build -t '$(IMG)' .

.PHONY: docker-build-runtime
docker-build-runtime: require-docker ## Build the runtime image RUNTIME_IMG (default pylambda-runtime:<version>).
	$(DOCKER) build -t '$(RUNTIME_IMG)' runtime

.PHONY: kind-create
kind-create: require-docker require-kind ## Create the kind cluster KIND_CLUSTER (default pylambda) unless it exists.
	@if $(KIND) get clusters 2>/dev/null | grep -qx '$(KIND_CLUSTER)'; then \
	  echo "kind cluster '$(KIND_CLUSTER)' already exists"; \
	else \
	  $(KIND) create cluster --name '$(KIND_CLUSTER)' $(if $(KIND_NODE_IMAGE),--image '$(KIND_NODE_IMAGE)') --wait 180s; \
	fi

.PHONY: kind-load
kind-load: require-docker require-kind ## Load the local image IMG into the kind cluster's nodes.
	$(KIND) load docker-image '$(IMG)' --name '$(KIND_CLUSTER)'

.PHONY: kind-load-runtime
kind-load-runtime: require-docker require-kind ## Load the local runtime image RUNTIME_IMG into the kind cluster's nodes.
	$(KIND) load docker-image '$(RUNTIME_IMG)' --name '$(KIND_CLUSTER)'

.PHONY: kind-delete
kind-delete: require-kind ## Delete the kind cluster KIND_CLUSTER and everything in it.
	$(KIND) delete cluster --name '$(KIND_CLUSTER)'

.PHONY: install
install: require-kubectl ## Install the PythonLambda CRD (config/crd) into KUBE_CONTEXT (default kind-pylambda).
	$(K) apply --server-side --field-manager=pylambda -k config/crd
	$(K) wait --for=condition=Established --timeout=60s crd/pythonlambdas.pylambda.dev

.PHONY: uninstall
uninstall: require-kubectl ## Remove the CRD and so every PythonLambda (while Metacontroller and the webhook still run; `make undeploy` does it all).
	$(K) delete -k config/crd --ignore-not-found --wait --timeout=$(UNDEPLOY_TIMEOUT)

.PHONY: metacontroller-install
metacontroller-install: require-kubectl ## Install Metacontroller v4.17.2 with server-side apply (config/metacontroller; kubectl fetches it from GitHub).
	$(K) apply --server-side --field-manager=pylambda -k config/metacontroller
	$(K) wait --for=condition=Established --timeout=60s crd/compositecontrollers.metacontroller.k8s.io \
	  crd/decoratorcontrollers.metacontroller.k8s.io crd/controllerrevisions.metacontroller.k8s.io
	$(K) -n metacontroller rollout status statefulset/metacontroller --timeout=180s

.PHONY: metacontroller-uninstall
metacontroller-uninstall: require-kubectl ## Remove Metacontroller (refused while pylambda's controllers exist: `make undeploy` first).
	@if $(K) get compositecontroller/pythonlambda-controller >/dev/null 2>&1 || \
	    $(K) get decoratorcontroller/pylambda-deployment-decorator >/dev/null 2>&1; then \
	  echo "error: pylambda's controllers are still installed; removing Metacontroller now would leave its" >&2; \
	  echo "       finalizers on every decorated Deployment (and on PythonLambdas, with the composite-finalizer" >&2; \
	  echo "       component). Run 'make undeploy' first." >&2; exit 1; \
	fi
	$(K) delete -k config/metacontroller --ignore-not-found --wait --timeout=$(UNDEPLOY_TIMEOUT)

.PHONY: deploy-config
deploy-config: ## Write .cache/deploy/ (DEPLOY_DIR): config/default with the images IMG and RUNTIME_IMG (what `make deploy` applies).
	@mkdir -p $(DEPLOY_DIR)
	@img='$(IMG)'; name=$$img; tag=; digest=; \
	case $$img in *@*) name=$${img%%@*}; digest=$${img#*@} ;; esac; \
	if [ -z "$$digest" ]; then \
	  case $${name##*/} in *:*) tag=$${name##*:}; name=$${name%:*} ;; *) tag=latest ;; esac; \
	fi; \
	{ echo '# Generated by `make deploy-config IMG=$(IMG)` (mk/deploy.mk); not committed.'; \
	  echo 'apiVersion: kustomize.config.k8s.io/v1beta1'; \
	  echo 'kind: Kustomization'; \
	  echo 'resources:'; \
	  echo '  - $(deploy_to_root)config/default'; \
	  echo 'images:'; \
	  echo '  - name: pylambda-webhook'; \
	  echo "    newName: $$name"; \
	  if [ -n "$$digest" ]; then echo "    digest: $$digest"; else echo "    newTag: '$$tag'"; fi; \
	  echo 'patches:'; \
	  echo '  - target: {kind: Deployment, name: pylambda-webhook}'; \
	  echo '    patch: |-'; \
	  echo '      - op: add'; \
	  echo '        path: /spec/template/spec/containers/0/env/-'; \
	  echo "        value: {name: PYLAMBDA_RUNTIME_IMAGE, value: '$(RUNTIME_IMG)'}"; \
	} >$(DEPLOY_DIR)/kustomization.yaml
	@echo "wrote $(DEPLOY_DIR)/kustomization.yaml (config/default, images $(IMG) and $(RUNTIME_IMG))"

.PHONY: deploy
deploy: ## Create the kind cluster if needed, install Metacontroller, build and load IMG and RUNTIME_IMG (unless they name a registry), apply config/default.
	@$(MAKE) --no-print-directory require-kubectl kind-create
	@$(MAKE) --no-print-directory metacontroller-install
	@if [ '$(BUILD_IMAGE)' = true ]; then \
	  $(MAKE) --no-print-directory docker-build kind-load; \
	else \
	  echo "IMG=$(IMG) names a registry: the kind nodes pull it (BUILD_IMAGE=true builds and loads it instead)"; \
	fi
	@if [ '$(BUILD_RUNTIME_IMAGE)' = true ]; then \
	  $(MAKE) --no-print-directory docker-build-runtime kind-load-runtime; \
	else \
	  echo "RUNTIME_IMG=$(RUNTIME_IMG) names a registry: the kind nodes pull it (BUILD_RUNTIME_IMAGE=true builds and loads it instead)"; \
	fi
	@$(MAKE) --no-print-directory deploy-config
	@# A Job's template cannot change: a finished install Job of an earlier deploy makes way for this one.
	$(K) -n pylambda-system delete job/pylambda-webhook-certs --ignore-not-found
	$(K) apply --server-side --field-manager=pylambda -k $(DEPLOY_DIR)
	$(K) wait --for=condition=Established --timeout=60s crd/pythonlambdas.pylambda.dev
	@$(K) -n pylambda-system wait --for=condition=Complete job/pylambda-webhook-certs --timeout=180s || { \
	  echo "error: the certificate job did not finish (docs/hook-auth-tls.md). Look at:" >&2; \
	  echo "  kubectl --context $(KUBE_CONTEXT) -n pylambda-system logs job/pylambda-webhook-certs" >&2; \
	  echo "  kubectl --context $(KUBE_CONTEXT) -n pylambda-system get pods,events" >&2; \
	  exit 1; }
	@$(K) -n pylambda-system rollout status deployment/pylambda-webhook --timeout=180s || { \
	  echo "error: the webhook did not become ready. Look at:" >&2; \
	  echo "  kubectl --context $(KUBE_CONTEXT) -n pylambda-system get pods,events" >&2; \
	  echo "  (ErrImagePull/ImagePullBackOff: the image $(IMG) is neither loaded into kind nor pullable; see docs/deploy.md)" >&2; \
	  exit 1; }
	@echo; echo "pylambda is deployed to $(KUBE_CONTEXT). Try a lambda:"; \
	echo "  kubectl --context $(KUBE_CONTEXT) apply -f config/samples/pythonlambda-text-stats.yaml"; \
	echo "  kubectl --context $(KUBE_CONTEXT) wait --for=condition=Ready pyl/text-stats --timeout=180s"

# Order matters: deleting a CompositeController or DecoratorController just stops it, leaving its
# finalizers behind (metacontroller v4.17.2, pkg/controller/composite/metacontroller.go), and
# Metacontroller removes its finalizer only by calling the finalize hook. PythonLambdas carry none by
# default (their children go by garbage collection), but they do with
# config/components/composite-finalizer. So the PythonLambdas go first, while Metacontroller and the
# webhook still run; then the controllers; decorated Deployments (the users' own, left running with
# their attachments) lose the decorator's finalizer; then the webhook, the CRD and the namespace.
.PHONY: undeploy
undeploy: require-kubectl ## Remove pylambda (not Metacontroller) leaving no stuck finalizers: PythonLambdas, controllers, webhook, CRD, namespace.
	@if $(K) get crd/pythonlambdas.pylambda.dev >/dev/null 2>&1; then \
	  echo "deleting every PythonLambda in every namespace (while Metacontroller and the webhook still run)"; \
	  $(K) delete pythonlambdas.pylambda.dev --all --all-namespaces --wait --timeout=$(UNDEPLOY_TIMEOUT) || { \
	    echo "error: PythonLambdas are still there after $(UNDEPLOY_TIMEOUT). Is Metacontroller running, is the webhook ready?" >&2; \
	    echo "       kubectl --context $(KUBE_CONTEXT) get events -A --field-selector reason=SyncError" >&2; \
	    echo "       To give up on their finalize hooks, see 'Troubleshooting' in docs/deploy.md." >&2; \
	    exit 1; }; \
	fi
	@if $(K) get crd/compositecontrollers.metacontroller.k8s.io >/dev/null 2>&1; then \
	  $(K) delete compositecontroller/pythonlambda-controller decoratorcontroller/pylambda-deployment-decorator \
	    --ignore-not-found --wait --timeout=$(UNDEPLOY_TIMEOUT); \
	fi
	@tmpl='{{range .items}}{{$$d := .}}{{range $$i, $$f := .metadata.finalizers}}{{if eq $$f "$(DECORATOR_FINALIZER)"}}{{$$d.metadata.namespace}} {{$$d.metadata.name}} {{$$i}}{{"\n"}}{{end}}{{end}}{{end}}'; \
	for attempt in 1 2 3 4 5 6; do \
	  found=$$($(K) get deployments --all-namespaces -o go-template="$$tmpl"); \
	  [ -z "$$found" ] && break; \
	  [ $$attempt = 6 ] && { echo "error: the decorator's finalizer keeps coming back on: $$found (is a DecoratorController still running?)" >&2; exit 1; }; \
	  while read -r ns name i; do \
	    echo "removing the decorator's finalizer from deployment $$ns/$$name (it keeps running, with its ConfigMap and Service)"; \
	    $(K) -n "$$ns" patch deployment "$$name" --type=json \
	      -p "[{\"op\":\"test\",\"path\":\"/metadata/finalizers/$$i\",\"value\":\"$(DECORATOR_FINALIZER)\"},{\"op\":\"remove\",\"path\":\"/metadata/finalizers/$$i\"}]" \
	      >/dev/null || true; \
	  done <<<"$$found"; \
	  sleep 2; \
	done
	$(K) -n pylambda-system delete deployment,service,poddisruptionbudget,networkpolicy,serviceaccount \
	  -l app.kubernetes.io/name=pylambda-webhook --ignore-not-found --wait --timeout=$(UNDEPLOY_TIMEOUT)
	$(K) delete clusterrole,clusterrolebinding -l 'app.kubernetes.io/name in (pylambda-certs,pylambda-hook-token)' \
	  --ignore-not-found --wait --timeout=$(UNDEPLOY_TIMEOUT)
	$(K) delete -k config/crd --ignore-not-found --wait --timeout=$(UNDEPLOY_TIMEOUT)
	$(K) delete namespace/pylambda-system --ignore-not-found --wait --timeout=$(UNDEPLOY_TIMEOUT)

##@ Tools

$(KUSTOMIZE_BIN):
	@command -v go >/dev/null 2>&1 || { \
	  echo "error: building kustomize $(KUSTOMIZE_VERSION) (for the config tests) needs Go: https://go.dev/dl/" >&2; exit 1; }
	GOBIN='$(abspath $(dir $@))' go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

.PHONY: kustomize
kustomize: $(KUSTOMIZE_BIN) ## Build the pinned kustomize into .cache/tools/bin (the config tests render with it; needs Go).
	@mkdir -p $(TOOLS_DIR)/bin
	@ln -sfn ../kustomize-$(KUSTOMIZE_VERSION)/kustomize $(KUSTOMIZE)

# The config tests (test/config) render config/default with the pinned kustomize.
test: kustomize
