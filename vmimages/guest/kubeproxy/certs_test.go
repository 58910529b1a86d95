package kubeproxy

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"testing"
	"time"
)

func TestNewPKIServesTheAPIServerNames(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p, err := NewPKI(now, []net.IP{net.IPv4(127, 0, 0, 1), net.IPv4(192, 168, 0, 2)}, []string{"kubernetes.default.svc"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tls.X509KeyPair(p.ServerCert, p.ServerKey); err != nil {
		t.Fatalf("server cert and key do not match: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(p.CACert) {
		t.Fatal("CA PEM not parsable")
	}
	block, _ := pem.Decode(p.ServerCert)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"127.0.0.1", "192.168.0.2", "kubernetes.default.svc"} {
		if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: host, CurrentTime: now}); err != nil {
			t.Errorf("verify for %s: %v", host, err)
		}
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: "10.0.0.1", CurrentTime: now}); err == nil {
		t.Error("certificate valid for an address it was not made for")
	}
	if b, _ := pem.Decode(p.ServiceAccountKey); b == nil || b.Type != "RSA PRIVATE KEY" {
		t.Errorf("service account key: %v", b)
	} else if _, err := x509.ParsePKCS1PrivateKey(b.Bytes); err != nil {
		t.Errorf("service account key: %v", err)
	}
}
