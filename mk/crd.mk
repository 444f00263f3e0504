# crd-validate: the PythonLambda CRD's schema and CEL rules checked with kube-apiserver's own code
# (k8s.io/apiextensions-apiserver, from e2e/tools/kubernetes), no cluster needed. The unit tests
# hold the CRD's rules to the hook's with it (`make test`).
# (mk/deploy.mk, read after this file, names the same folder TOOLS_DIR.)
CRD_VALIDATE := .cache/tools/bin/crd-validate
CRD_VALIDATE_SOURCES := e2e/tools/kubernetes/cmd/crd-validate/main.go e2e/tools/kubernetes/go.mod e2e/tools/kubernetes/go.sum

$(CRD_VALIDATE): $(CRD_VALIDATE_SOURCES)
	@command -v go >/dev/null 2>&1 || { \
	  echo "error: building crd-validate (for the CRD tests) needs Go: https://go.dev/dl/" >&2; exit 1; }
	@mkdir -p $(dir $@)
	cd e2e/tools/kubernetes && GOTOOLCHAIN=local go build -trimpath -buildvcs=false -o '$(abspath $@)' ./cmd/crd-validate

.PHONY: crd-validate
crd-validate: $(CRD_VALIDATE) ## Build crd-validate into .cache/tools/bin (the CRD's CEL tests run it; needs Go).

test: crd-validate
