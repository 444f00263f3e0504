// Command modzip writes one module version into a local, file-based Go module proxy directory
// (the layout GOPROXY=file://DIR reads: DIR/<module>/@v/{list,<v>.info,<v>.mod,<v>.zip}),
// taking the files from a git repository at a given commit.
//
// e2e/build.sh uses it only when the Go module proxy does not serve the pinned Metacontroller
// commit: the zip is made from a local clone given by the user, and the go command then checks it
// against the h1: hash committed in e2e/tools/metacontroller/go.sum, so only the pinned source
// can be built.
//
// Usage: modzip -repo GITDIR -commit SHA -module PATH -version VERSION -time RFC3339 -out DIR
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

func main() {
	repo := flag.String("repo", "", "git repository (bare or not) holding the commit")
	commit := flag.String("commit", "", "full commit hash to export")
	modPath := flag.String("module", "", "module path to serve it under")
	version := flag.String("version", "", "module version (a pseudo-version of the commit)")
	when := flag.String("time", "", "commit time, RFC 3339, for the .info file")
	out := flag.String("out", "", "proxy directory to write into")
	flag.Parse()
	if *repo == "" || *commit == "" || *modPath == "" || *version == "" || *when == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*repo, *commit, *modPath, *version, *when, *out); err != nil {
		fmt.Fprintln(os.Stderr, "modzip:", err)
		os.Exit(1)
	}
}

func run(repo, commit, modPath, version, when, out string) error {
	got, err := exec.Command("git", "-C", repo, "rev-parse", commit+"^{commit}").Output()
	if err != nil {
		return fmt.Errorf("git rev-parse %s in %s: %w", commit, repo, err)
	}
	if strings.TrimSpace(string(got)) != commit {
		return fmt.Errorf("%s resolves to %s, want %s", commit, strings.TrimSpace(string(got)), commit)
	}
	goMod, err := exec.Command("git", "-C", repo, "show", commit+":go.mod").Output()
	if err != nil {
		return fmt.Errorf("reading go.mod at %s: %w", commit, err)
	}
	escPath, err := module.EscapePath(modPath)
	if err != nil {
		return err
	}
	escVer, err := module.EscapeVersion(version)
	if err != nil {
		return err
	}
	dir := filepath.Join(out, escPath, "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	zf, err := os.Create(filepath.Join(dir, escVer+".zip.tmp"))
	if err != nil {
		return err
	}
	// The tracked files at the commit, as `git archive` gives them (works on bare repositories too).
	src, err := os.MkdirTemp("", "modzip-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(src)
	archive := exec.Command("sh", "-c", `git -C "$1" archive --format=tar "$2" | tar -x -C "$3"`, "sh", repo, commit, src)
	archive.Stderr = os.Stderr
	if err := archive.Run(); err != nil {
		zf.Close()
		return fmt.Errorf("git archive %s: %w", commit, err)
	}
	mv := module.Version{Path: modPath, Version: version}
	if err := zip.CreateFromDir(zf, mv, src); err != nil {
		zf.Close()
		return fmt.Errorf("creating module zip: %w", err)
	}
	if err := zf.Close(); err != nil {
		return err
	}
	if err := os.Rename(zf.Name(), filepath.Join(dir, escVer+".zip")); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, escVer+".mod"), goMod, 0o644); err != nil {
		return err
	}
	info, err := json.Marshal(struct{ Version, Time string }{version, when})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, escVer+".info"), info, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "list"), []byte(version+"\n"), 0o644)
}
