package scenario

import "testing"

func TestKubeProxyConnReuse(t *testing.T) {
	tests := []struct {
		k8s, kernel string
		set         bool
		value       int
	}{
		{"v1.12.10", "4.19.0", false, 0},               // before kube-proxy wrote it
		{"v1.13.0", "4.19.0", true, 0},                 // first release that writes 0
		{"v1.13.0", "4.0.9", false, 0},                 // sysctl absent below 4.1
		{"v1.18.20", "5.10.0-30-cloud-amd64", true, 0}, // old policy: 0 on every kernel >= 4.1
		{"v1.20.14", "5.10.223", true, 0},              // last 1.20 without the cherry-pick
		{"v1.20.15", "5.10.223", false, 0},             // cherry-pick #107437
		{"v1.20.15", "5.8.18", true, 0},                // ... still 0 below 5.9
		{"v1.21.8", "6.1.0-28-cloud-amd64", true, 0},
		{"v1.21.9", "6.1.0-28-cloud-amd64", false, 0}, // cherry-pick #107438
		{"1.22.0", "5.9.0", false, 0},                 // 5.9 itself counts as fixed
		{"1.22.0", "5.8.99", true, 0},
		{"v1.23.17", "4.19.220", true, 0},
		{"v1.34.2", "6.12.43+deb13-cloud-amd64", false, 0},
		{"v1.34.2", "4.1", true, 0},
		{"v1.34.2", "4.0", false, 0},
		{"v1.34.2", "7.2.0-rc1", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.k8s+"/"+tt.kernel, func(t *testing.T) {
			d, err := KubeProxyConnReuse(tt.k8s, tt.kernel)
			if err != nil {
				t.Fatal(err)
			}
			if d.Set != tt.set || d.Value != tt.value {
				t.Errorf("got set=%v value=%d (%s), want set=%v value=%d", d.Set, d.Value, d.Reason, tt.set, tt.value)
			}
			if d.Reason == "" {
				t.Error("empty reason")
			}
		})
	}
}

func TestKubeProxyConnReuseErrors(t *testing.T) {
	for _, tt := range [][2]string{{"2.0.0", "5.10"}, {"vx", "5.10"}, {"1.22", "linux"}, {"1.22", ""}} {
		if _, err := KubeProxyConnReuse(tt[0], tt[1]); err == nil {
			t.Errorf("%q %q: want error", tt[0], tt[1])
		}
	}
}

func TestParseConnReuseMode(t *testing.T) {
	tests := []struct {
		in      string
		kind    ConnReuseKind
		value   int
		version string
		wantErr bool
	}{
		{"0", ReuseFixed, 0, "", false},
		{"1", ReuseFixed, 1, "", false},
		{"2", ReuseFixed, 2, "", false},
		{"", ReuseKernelDefault, 0, "", false},
		{"kernel-default", ReuseKernelDefault, 0, "", false},
		{"kube-proxy:v1.23.17", ReuseKubeProxy, 0, "v1.23.17", false},
		{"3", "", 0, "", true},
		{"kube-proxy:", "", 0, "", true},
		{"kube-proxy:banana", "", 0, "", true},
	}
	for _, tt := range tests {
		s, err := ParseConnReuseMode(tt.in)
		if (err != nil) != tt.wantErr {
			t.Fatalf("%q: err=%v wantErr=%v", tt.in, err, tt.wantErr)
		}
		if err == nil && (s.Kind != tt.kind || s.Value != tt.value || s.K8sVersion != tt.version) {
			t.Errorf("%q: got %+v", tt.in, s)
		}
	}
	d, err := ConnReuseSpec{Kind: ReuseKubeProxy, K8sVersion: "1.21.0"}.Decide("5.10.0")
	if err != nil || !d.Set || d.Value != 0 {
		t.Errorf("Decide kube-proxy 1.21.0 on 5.10: %+v %v", d, err)
	}
	d, _ = ConnReuseSpec{Kind: ReuseFixed, Value: 1}.Decide("5.10.0")
	if !d.Set || d.Value != 1 {
		t.Errorf("Decide fixed 1: %+v", d)
	}
}
