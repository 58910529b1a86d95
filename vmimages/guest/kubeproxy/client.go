package kubeproxy

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Client talks to the API server with plain HTTP + JSON: the few objects
// the tier writes do not justify client-go in the agent binary.
type Client struct {
	Base  string // https://127.0.0.1:6443
	Token string
	http  *http.Client
}

// NewClient trusts only the tier's own CA.
func NewClient(base, token string, caPEM []byte) (*Client, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("API client: no CA certificate in PEM")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	return &Client{Base: base, Token: token, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}, nil
}

// Apply creates or replaces the fields we own (server-side apply), so the
// same call serves the first write and every later one.
func (c *Client) Apply(ctx context.Context, path string, body []byte) error {
	_, err := c.do(ctx, http.MethodPatch, path+"?fieldManager="+manager+"&force=true", "application/apply-patch+yaml", body)
	return err
}

// Get returns the body of a GET.
func (c *Client) Get(ctx context.Context, path string) ([]byte, error) {
	return c.do(ctx, http.MethodGet, path, "", nil)
}

func (c *Client) do(ctx context.Context, method, path, ctype string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Accept", "application/json")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return b, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	return b, nil
}

// API paths of the tier's objects.
func nodePath() string { return "/api/v1/nodes/" + NodeName }
func servicePath(s ServiceSpec) string {
	return "/api/v1/namespaces/" + s.Namespace + "/services/" + s.Name
}
func endpointsPath(s ServiceSpec) string {
	return "/api/v1/namespaces/" + s.Namespace + "/endpoints/" + s.Name
}
func slicePath(s ServiceSpec) string {
	return "/apis/discovery.k8s.io/v1/namespaces/" + s.Namespace + "/endpointslices/" + SliceName
}
