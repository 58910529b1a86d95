package kbuild

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Fixed build identity so two builds of the same inputs give the same
// uname -v and ccache can hit on files that embed it.
var reproducibleEnv = []string{
	"KBUILD_BUILD_TIMESTAMP=Thu Jan  1 00:00:00 UTC 1970",
	"KBUILD_BUILD_USER=rolloutlab",
	"KBUILD_BUILD_HOST=rolloutlab",
	"KBUILD_BUILD_VERSION=1",
	"LC_ALL=C",
}

// Build unpacks spec.SourceTarball, applies spec.Patches in order, runs
// `make ARCH=x86_64 tinyconfig`, merges spec.ConfigFragments, runs olddefconfig,
// checks that every requested option survived, and builds bzImage (and
// modules.builtin when CONFIG_MODULES=y). Missing build tools are installed
// with apt-get when running as root, else named with the command to run.
// Everything happens in a temporary
// directory beside outDir that is renamed to outDir only at the end, so an
// interrupted build (ctx cancelled; callers map SIGINT onto ctx) leaves
// nothing at outDir. outDir must not exist yet.
func Build(ctx context.Context, spec Spec, outDir string, progress io.Writer) (*Output, error) {
	start := time.Now()
	p := newProgress(progress, start)
	if spec.SourceTarball == "" || spec.SourceSHA256 == "" {
		return nil, errors.New("kbuild: spec needs SourceTarball and SourceSHA256")
	}
	if err := newToolInstaller(p.printf).ensure(ctx); err != nil {
		return nil, fmt.Errorf("kbuild: %w", err)
	}
	outDir, err := filepath.Abs(outDir)
	if err != nil {
		return nil, fmt.Errorf("kbuild: %w", err)
	}
	if _, err := os.Lstat(outDir); err == nil {
		return nil, fmt.Errorf("kbuild: output %s: %w", outDir, fs.ErrExist)
	}
	frags, err := loadFragments(spec.ConfigFragments)
	if err != nil {
		return nil, fmt.Errorf("kbuild: %w", err)
	}
	requested, err := requestedConfig(frags)
	if err != nil {
		return nil, fmt.Errorf("kbuild: %w", err)
	}
	patchTexts, err := loadPatches(spec.Patches)
	if err != nil {
		return nil, fmt.Errorf("kbuild: %w", err)
	}
	compiler, err := CompilerVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("kbuild: %w", err)
	}
	fragTexts := make([][]byte, len(frags))
	md := Metadata{
		SourceTarball: spec.SourceTarball,
		SourceSHA256:  strings.ToLower(spec.SourceSHA256),
		Compiler:      compiler,
		Jobs:          runtime.NumCPU(),
	}
	for i, f := range frags {
		fragTexts[i] = f.text
		md.Fragments = append(md.Fragments, f.name)
	}
	for _, pp := range spec.Patches {
		md.Patches = append(md.Patches, filepath.Base(pp))
	}
	md.CacheKey = CacheKey(md.SourceSHA256, fragTexts, patchTexts, compiler)

	if err := os.MkdirAll(filepath.Dir(outDir), 0o755); err != nil {
		return nil, fmt.Errorf("kbuild: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(outDir), "."+filepath.Base(outDir)+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("kbuild: %w", err)
	}
	defer os.RemoveAll(tmp) // the source tree and, on failure, the partial output
	stage := filepath.Join(tmp, "out")
	if err := os.Mkdir(stage, 0o755); err != nil {
		return nil, fmt.Errorf("kbuild: %w", err)
	}
	logf, err := os.Create(filepath.Join(stage, "build.log"))
	if err != nil {
		return nil, fmt.Errorf("kbuild: %w", err)
	}
	defer logf.Close()
	tail := &tailBuffer{n: 40}
	log := io.MultiWriter(logf, tail)
	fail := func(phase string, err error) (*Output, error) {
		if ctx.Err() != nil {
			p.printf("interrupted during %s", phase)
			return nil, fmt.Errorf("kbuild: %s: %w", phase, ctx.Err())
		}
		var pe *PatchError
		var me *MismatchError
		if errors.As(err, &pe) || errors.As(err, &me) {
			return nil, fmt.Errorf("kbuild: %s: %w", phase, err)
		}
		return nil, fmt.Errorf("kbuild: %s: %w\n--- last lines of build.log ---\n%s", phase, err, tail)
	}

	// Unpack.
	t := time.Now()
	p.printf("verifying %s", filepath.Base(spec.SourceTarball))
	if err := verifySHA256(spec.SourceTarball, md.SourceSHA256); err != nil {
		return fail("verify source", err)
	}
	p.printf("unpacking source")
	unpackDir := filepath.Join(tmp, "src")
	if err := os.Mkdir(unpackDir, 0o755); err != nil {
		return fail("unpack", err)
	}
	if err := runCmd(ctx, unpackDir, nil, log, "tar", "-xf", mustAbs(spec.SourceTarball)); err != nil {
		return fail("unpack", err)
	}
	src, err := sourceRoot(unpackDir)
	if err != nil {
		return fail("unpack", err)
	}
	md.Durations.Unpack = time.Since(t).Seconds()

	// Patch.
	t = time.Now()
	for _, pp := range spec.Patches {
		p.printf("patch %s", filepath.Base(pp))
	}
	if err := applyPatches(ctx, src, spec.Patches, patchTexts); err != nil {
		return fail("patch", err)
	}
	if md.Fixes, err = DetectFixes(src); err != nil {
		// Not every tree has IPVS sources in the expected shape; the build
		// itself does not depend on this.
		p.printf("fix detection: %v", err)
	} else {
		p.printf("IPVS fixes present after patches: %s", md.Fixes)
	}
	md.Durations.Patch = time.Since(t).Seconds()

	// Configure.
	t = time.Now()
	env := append([]string{"ARCH=x86_64"}, reproducibleEnv...)
	ccache := ccachePath()
	var ccArgs []string
	if ccache != "" {
		md.CCache = true
		// BASEDIR: the tree lives in a fresh temp dir each build; NOHASHDIR: the
		// cwd must not be part of the hash either.
		env = append(env, "CCACHE_BASEDIR="+src, "CCACHE_NOHASHDIR=true")
		ccArgs = []string{"CC=" + ccache + " gcc"}
	}
	p.printf("make tinyconfig + %d fragment(s) + olddefconfig", len(frags))
	if err := runCmd(ctx, src, env, log, "make", "ARCH=x86_64", "tinyconfig"); err != nil {
		return fail("tinyconfig", err)
	}
	dotConfig := filepath.Join(src, ".config")
	base, err := readConfig(dotConfig)
	if err != nil {
		return fail("tinyconfig", err)
	}
	merged := MergeConfigs(base, requested)
	if err := os.WriteFile(dotConfig, []byte(merged.Render()), 0o644); err != nil {
		return fail("merge config", err)
	}
	if err := runCmd(ctx, src, env, log, "make", "ARCH=x86_64", "olddefconfig"); err != nil {
		return fail("olddefconfig", err)
	}
	final, err := readConfig(dotConfig)
	if err != nil {
		return fail("olddefconfig", err)
	}
	if mm := CheckSurvived(requested, final); len(mm) > 0 {
		return fail("config check", &MismatchError{Mismatches: mm})
	}
	p.printf("config: all %d requested options survived", requested.Len())
	md.Durations.Config = time.Since(t).Seconds()

	// Compile.
	t = time.Now()
	targets := []string{"bzImage"}
	modules := false
	if v, _ := final.Get("CONFIG_MODULES"); v == "y" {
		modules = true
		targets = append(targets, "modules") // writes modules.builtin
	}
	p.printf("make -j%d %s (ccache: %v)", md.Jobs, strings.Join(targets, " "), md.CCache)
	args := append([]string{"ARCH=x86_64", "-j" + strconv.Itoa(md.Jobs)}, ccArgs...)
	args = append(args, targets...)
	watch := &makeWatcher{p: p, interval: 30 * time.Second, last: time.Now()}
	if err := runCmd(ctx, src, env, io.MultiWriter(log, watch), "make", args...); err != nil {
		return fail("compile", err)
	}
	var rel strings.Builder
	if err := runCmd(ctx, src, env, &rel, "make", "-s", "ARCH=x86_64", "kernelrelease"); err != nil {
		return fail("kernelrelease", err)
	}
	md.KernelRelease = strings.TrimSpace(rel.String())
	md.Durations.Compile = time.Since(t).Seconds()

	// Publish.
	copies := [][2]string{
		{"arch/x86/boot/bzImage", "bzImage"},
		{".config", "config"},
		{"System.map", "System.map"},
	}
	if modules {
		copies = append(copies, [2]string{"modules.builtin", "modules.builtin"},
			[2]string{"modules.builtin.modinfo", "modules.builtin.modinfo"})
	}
	for _, c := range copies {
		if err := copyFile(filepath.Join(src, c[0]), filepath.Join(stage, c[1])); err != nil {
			return fail("collect outputs", err)
		}
	}
	md.Durations.Total = time.Since(start).Seconds()
	mdJSON, err := json.MarshalIndent(md, "", "  ")
	if err != nil {
		return fail("metadata", err)
	}
	if err := os.WriteFile(filepath.Join(stage, "metadata.json"), append(mdJSON, '\n'), 0o644); err != nil {
		return fail("metadata", err)
	}
	if err := logf.Close(); err != nil {
		return fail("collect outputs", err)
	}
	if err := ctx.Err(); err != nil {
		return fail("publish", err)
	}
	if err := os.Rename(stage, outDir); err != nil {
		return fail("publish", err)
	}
	p.printf("done: %s (%s) in %.0fs", filepath.Join(outDir, "bzImage"), md.KernelRelease, md.Durations.Total)
	out := &Output{
		Dir:          outDir,
		BzImage:      filepath.Join(outDir, "bzImage"),
		Config:       filepath.Join(outDir, "config"),
		SystemMap:    filepath.Join(outDir, "System.map"),
		Log:          filepath.Join(outDir, "build.log"),
		MetadataFile: filepath.Join(outDir, "metadata.json"),
		Metadata:     md,
	}
	if modules {
		out.ModulesBuiltin = filepath.Join(outDir, "modules.builtin")
	}
	return out, nil
}

func readConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(path, string(b))
}

func verifySHA256(path, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%s: sha256 %s, want %s", path, got, want)
	}
	return nil
}

// sourceRoot is the tarball's single top-level directory, or dir itself.
func sourceRoot(dir string) (string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	if len(ents) == 1 && ents[0].IsDir() {
		return filepath.Join(dir, ents[0].Name()), nil
	}
	if _, err := os.Stat(filepath.Join(dir, "Makefile")); err != nil {
		return "", fmt.Errorf("no kernel Makefile in unpacked source: %w", err)
	}
	return dir, nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", from, err)
	}
	return out.Close()
}

func mustAbs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
