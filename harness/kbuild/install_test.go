package kbuild

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// fakeApt records every argv and "installs" by adding the packages'
// commands to the host; failing, when set, picks the calls that fail.
type fakeApt struct {
	calls   [][]string
	failing func(call int, argv []string) bool
	present map[string]bool
}

func (f *fakeApt) run(_ context.Context, argv []string) ([]byte, error) {
	f.calls = append(f.calls, argv)
	if f.failing != nil && f.failing(len(f.calls)-1, argv) {
		return []byte("E: Could not get lock /var/lib/dpkg/lock-frontend\n"), errors.New("exit status 100")
	}
	if len(argv) > 1 && argv[1] == "install" {
		for _, p := range argv[4:] {
			f.present[p] = true
			if p == "libelf-dev" {
				f.present["/usr/include/libelf.h"], f.present["/usr/include/gelf.h"] = true, true
			}
		}
	}
	return nil, nil
}

func (f *fakeApt) host() hostProbe {
	has := func(n string) bool { return f.present[n] }
	return hostProbe{hasCommand: has, hasFile: has}
}

func newFakeApt(have ...string) *fakeApt {
	f := &fakeApt{present: map[string]bool{}}
	for _, h := range have {
		f.present[h] = true
	}
	return f
}

func testInstaller(apt *fakeApt, canInstall bool) (toolInstaller, *[]string) {
	var logged []string
	return toolInstaller{
		tools:      buildTools(),
		host:       apt.host(),
		canInstall: canInstall,
		run:        apt.run,
		logf:       func(f string, a ...any) { logged = append(logged, f) },
	}, &logged
}

var freshDebian = []string{"gcc", "make", "patch", "tar", "xz", "perl"}

var wantInstall = []string{"apt-get", "install", "-y", "--no-install-recommends", "bison", "flex", "bc", "libelf-dev"}

func TestInstallerInstallsMissingAsRoot(t *testing.T) {
	apt := newFakeApt(freshDebian...)
	ti, logged := testInstaller(apt, true)
	if err := ti.ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"apt-get", "update", "-qq"}, wantInstall}
	if !reflect.DeepEqual(apt.calls, want) {
		t.Errorf("apt calls %q, want %q", apt.calls, want)
	}
	if len(*logged) == 0 {
		t.Error("no progress printed")
	}
}

// As the Makefile's `update && install || { sleep 2; install; }`.
func TestInstallerRetriesInstallOnce(t *testing.T) {
	update := []string{"apt-get", "update", "-qq"}
	for _, tc := range []struct {
		name      string
		failing   func(call int, argv []string) bool
		wantCalls [][]string
		wantErr   bool
	}{
		{"update fails", func(call int, _ []string) bool { return call == 0 }, [][]string{update, wantInstall}, false},
		{"install fails once", func(call int, _ []string) bool { return call == 1 }, [][]string{update, wantInstall, wantInstall}, false},
		{"retry fails too", func(int, []string) bool { return true }, [][]string{update, wantInstall}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			apt := newFakeApt(freshDebian...)
			apt.failing = tc.failing
			ti, _ := testInstaller(apt, true)
			err := ti.ensure(context.Background())
			if !reflect.DeepEqual(apt.calls, tc.wantCalls) {
				t.Errorf("apt calls %q, want %q", apt.calls, tc.wantCalls)
			}
			if tc.wantErr && (err == nil || !strings.Contains(err.Error(), "Could not get lock") ||
				!strings.Contains(err.Error(), strings.Join(wantInstall, " "))) {
				t.Errorf("err = %v, want apt's output and the command", err)
			}
			if !tc.wantErr && err != nil {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestInstallerWithoutRootNamesCommand(t *testing.T) {
	apt := newFakeApt(freshDebian...)
	ti, _ := testInstaller(apt, false)
	err := ti.ensure(context.Background())
	var me *MissingToolsError
	if !errors.As(err, &me) || !strings.HasSuffix(err.Error(), strings.Join(wantInstall, " ")) {
		t.Errorf("err = %v", err)
	}
	if len(apt.calls) != 0 {
		t.Errorf("ran %q without permission to install", apt.calls)
	}
}

func TestInstallerNothingMissingRunsNothing(t *testing.T) {
	apt := newFakeApt(append(freshDebian, "bison", "flex", "bc", "/usr/include/libelf.h", "/usr/include/gelf.h")...)
	ti, _ := testInstaller(apt, true)
	if err := ti.ensure(context.Background()); err != nil || len(apt.calls) != 0 {
		t.Errorf("err %v, calls %q", err, apt.calls)
	}
}

func TestInstallerStillMissingAfterInstall(t *testing.T) {
	apt := newFakeApt(freshDebian...)
	ti, _ := testInstaller(apt, true)
	ti.host = fakeHost(freshDebian...) // apt-get "succeeds" but nothing appears
	err := ti.ensure(context.Background())
	var me *MissingToolsError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "still missing") {
		t.Errorf("err = %v", err)
	}
}
