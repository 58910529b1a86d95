package kbuild

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// configure runs tinyconfig, merges the requested fragments over it and
// lets olddefconfig resolve dependencies. It also fixes make's environment
// for the compile step.
func (b *buildRun) configure(ctx context.Context) error {
	b.env = append([]string{"ARCH=x86_64"}, reproducibleEnv...)
	if ccache := ccachePath(); ccache != "" {
		b.md.CCache = true
		// BASEDIR: the tree lives in a fresh temp dir each build; NOHASHDIR: the
		// cwd must not be part of the hash either.
		b.env = append(b.env, "CCACHE_BASEDIR="+b.src, "CCACHE_NOHASHDIR=true")
		b.ccArgs = []string{"CC=" + ccache + " gcc"}
	}
	b.p.printf("make tinyconfig + %d fragment(s) + olddefconfig", len(b.frags))
	if err := runCmd(ctx, b.src, b.env, b.log, "make", "ARCH=x86_64", "tinyconfig"); err != nil {
		return fmt.Errorf("tinyconfig: %w", err)
	}
	dotConfig := filepath.Join(b.src, ".config")
	base, err := readConfig(dotConfig)
	if err != nil {
		return fmt.Errorf("tinyconfig: %w", err)
	}
	merged := MergeConfigs(base, b.requested)
	if err := os.WriteFile(dotConfig, []byte(merged.Render()), 0o644); err != nil {
		return fmt.Errorf("merge config: %w", err)
	}
	if err := runCmd(ctx, b.src, b.env, b.log, "make", "ARCH=x86_64", "olddefconfig"); err != nil {
		return fmt.Errorf("olddefconfig: %w", err)
	}
	if b.final, err = readConfig(dotConfig); err != nil {
		return fmt.Errorf("olddefconfig: %w", err)
	}
	return nil
}

// checkConfig refuses a kernel that silently lost a requested option
// (olddefconfig drops options whose dependencies are missing).
func (b *buildRun) checkConfig(context.Context) error {
	if mm := CheckSurvived(b.requested, b.final); len(mm) > 0 {
		return &MismatchError{Mismatches: mm}
	}
	b.p.printf("config: all %d requested options survived", b.requested.Len())
	return nil
}
