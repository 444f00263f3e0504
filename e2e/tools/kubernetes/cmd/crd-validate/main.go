// Command crd-validate checks objects against a CustomResourceDefinition with kube-apiserver's
// own code (k8s.io/apiextensions-apiserver at the pinned version), without a cluster: the CRD is
// validated as the API server validates it on create (CEL rules compiled, their cost
// estimated), then each object is defaulted and validated as on create (OpenAPI schema and CEL
// rules). The unit tests use it to hold the CRD's CEL rules to the hook's.
//
// Usage: crd-validate CRD.yaml < objects.json   (a JSON array of objects)
// Prints a JSON array with, for each object, the list of errors ("path: message"); exits 2 when
// the CRD itself is invalid, 1 on bad input.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/install"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	crdvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"
)

func fail(code int, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "crd-validate: "+format+"\n", args...)
	os.Exit(code)
}

func loadCRD(path string) *apiextensions.CustomResourceDefinition {
	text, err := os.ReadFile(path)
	if err != nil {
		fail(1, "%v", err)
	}
	var v1 apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(text, &v1); err != nil {
		fail(1, "%s: %v", path, err)
	}
	scheme := runtime.NewScheme()
	install.Install(scheme)
	scheme.Default(&v1)
	var crd apiextensions.CustomResourceDefinition
	if err := scheme.Convert(&v1, &crd, nil); err != nil {
		fail(1, "%s: %v", path, err)
	}
	if errs := crdvalidation.ValidateCustomResourceDefinition(context.Background(), &crd); len(errs) > 0 {
		fail(2, "%s is not a valid CustomResourceDefinition: %v", path, errs.ToAggregate())
	}
	return &crd
}

// schemaOf is the one schema of the CRD: the internal version holds a schema shared by every
// version in spec.validation, as the API server does.
func schemaOf(crd *apiextensions.CustomResourceDefinition) *apiextensions.JSONSchemaProps {
	if crd.Spec.Validation != nil && crd.Spec.Validation.OpenAPIV3Schema != nil {
		return crd.Spec.Validation.OpenAPIV3Schema
	}
	if len(crd.Spec.Versions) == 1 && crd.Spec.Versions[0].Schema != nil {
		return crd.Spec.Versions[0].Schema.OpenAPIV3Schema
	}
	fail(1, "expected one version with a schema")
	return nil
}

func messages(errs field.ErrorList) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func main() {
	if len(os.Args) != 2 {
		fail(1, "usage: crd-validate CRD.yaml < objects.json")
	}
	crd := loadCRD(os.Args[1])
	schema := schemaOf(crd)
	structural, err := structuralschema.NewStructural(schema)
	if err != nil {
		fail(2, "not a structural schema: %v", err)
	}
	schemaValidator, _, err := apiservervalidation.NewSchemaValidator(schema)
	if err != nil {
		fail(2, "%v", err)
	}
	celValidator := cel.NewValidator(structural, true, celconfig.PerCallLimit)

	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(1, "%v", err)
	}
	// Integers as int64, as the API server decodes them (encoding/json would give float64).
	var objects []any
	if err := utiljson.Unmarshal(input, &objects); err != nil {
		fail(1, "stdin: %v", err)
	}
	results := make([][]string, 0, len(objects))
	for _, object := range objects {
		// As on create with strict field validation (what `kubectl apply --server-side` asks
		// for): unknown fields refused, then defaults from the schema, then the schema and the
		// CEL rules.
		value, ok := object.(map[string]any)
		if !ok {
			fail(1, "stdin: every item must be an object")
		}
		problems := []string{}
		for _, path := range pruning.PruneWithOptions(value, structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}) {
			problems = append(problems, fmt.Sprintf("unknown field %q", path))
		}
		structuraldefaulting.Default(value, structural)
		errs := apiservervalidation.ValidateCustomResource(nil, value, schemaValidator)
		celErrs, _ := celValidator.Validate(context.Background(), nil, structural, value, nil, celconfig.RuntimeCELCostBudget)
		results = append(results, append(problems, messages(append(errs, celErrs...))...))
	}
	out, _ := json.MarshalIndent(results, "", "  ")
	fmt.Println(string(out))
}
