package image

import (
	"context"
	"os"
	"testing"
	"time"
	"io/fs"
	"path/filepath"
)

func TestManualBuild(t *testing.T) {
	agent := os.Getenv("MANUAL_AGENT")
	if agent == "" {
		t.Skip()
	}
	for i := 0; i < 2; i++ {
		start := time.Now()
		img, err := Build(context.Background(), Options{CacheDir: os.Getenv("MANUAL_CACHE"), AgentBinary: agent, Progress: os.Stderr})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v in %s", *img, time.Since(start))
	}
}

func TestManualModules(t *testing.T) {
	root := os.Getenv("MANUAL_MODROOT")
	if root == "" {
		t.Skip()
	}
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files["/"+rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := RequestArchive(files)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(os.Getenv("MANUAL_OUT"), b, 0o644)
}
