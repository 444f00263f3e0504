// Helper for e2e/build.sh: see main.go.
module pylambda.local/e2e/tools/modzip

go 1.26.0

toolchain go1.26.8

require golang.org/x/mod v0.43.0
