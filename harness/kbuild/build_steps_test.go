package kbuild

import (
	"reflect"
	"testing"
)

func TestBuildStepNames(t *testing.T) {
	var names []string
	for _, s := range (&buildRun{}).steps() {
		names = append(names, s.Name)
	}
	want := []string{"check prerequisites", "read inputs", "create workspace", "verify source", "unpack source",
		"apply patches", "detect fixes", "configure", "check config", "compile", "collect outputs", "publish", "remove work tree"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("steps %q, want %q", names, want)
	}
}
