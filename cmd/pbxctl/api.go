package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"minipbx/telephony/store"
)

// The REST API endpoints pbxctl uses (served by the web UI).
const (
	pathConfig   = "/api/v1/config"
	pathPassword = "/api/v1/admin/password"
	pathVersion  = "/api/v1/version"
)

// maxResponse bounds what pbxctl reads from the box.
const maxResponse = store.MaxDocumentSize + 1<<20

// apiClient reaches a running box as admin with HTTP Basic auth.
type apiClient struct {
	base     *url.URL
	password string
	http     *http.Client
}

// apiError is an error response of the API: {"error": ..., "fields": [...]}.
type apiError struct {
	Status  int                `json:"-"`
	Message string             `json:"error"`
	Fields  []store.FieldError `json:"fields"`
}

func (e *apiError) Error() string {
	var hint string
	switch e.Status {
	case http.StatusUnauthorized:
		hint = " (is the admin password right? pbxctl logs in as admin)"
	case http.StatusForbidden:
		hint = " (if the admin password must be changed first: pbxctl passwd -set)"
	case http.StatusTooManyRequests:
		hint = " (too many failed logins: wait before trying again)"
	}
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("the box refused (HTTP %d): %s%s", e.Status, msg, hint)
}

// do sends one request and returns the body of a 2xx response.
func (a *apiClient) do(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	u := *a.base
	u.Path = path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth("admin", a.password)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reaching the box at %s: %w", a.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("reading the box's answer: %w", err)
	}
	if len(data) > maxResponse {
		return nil, fmt.Errorf("the box's answer to %s %s is larger than %d bytes", method, path, maxResponse)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return data, nil
	}
	ae := &apiError{Status: resp.StatusCode}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		ae.Message = "redirected to " + resp.Header.Get("Location") + "; use the https:// address"
	} else if json.Unmarshal(data, ae) != nil || ae.Message == "" {
		ae.Message = strings.TrimSpace(string(firstLine(data)))
	}
	return nil, ae
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	if len(b) > 200 {
		b = b[:200]
	}
	return b
}

func (a *apiClient) ExportConfig(ctx context.Context) ([]byte, error) {
	data, err := a.do(ctx, http.MethodGet, pathConfig, nil)
	if err != nil {
		return nil, err
	}
	// Written exactly as the box sends it (even a newer schema than
	// this pbxctl knows), only indented.
	var out bytes.Buffer
	if err := json.Indent(&out, data, "", "  "); err != nil {
		return nil, fmt.Errorf("the box sent a configuration that is not JSON: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

func (a *apiClient) ImportConfig(ctx context.Context, c store.Config) error {
	body, err := encodeConfig(c)
	if err != nil {
		return err
	}
	_, err = a.do(ctx, http.MethodPut, pathConfig, body)
	return err
}

func (a *apiClient) SetPassword(ctx context.Context, pw string) error {
	body, err := json.Marshal(map[string]string{"password": pw})
	if err != nil {
		return err
	}
	_, err = a.do(ctx, http.MethodPost, pathPassword, body)
	return err
}

// ResetPassword online: pbxctl draws the new password (the same kind the
// box makes at first start) and sets it through the API.
func (a *apiClient) ResetPassword(ctx context.Context) (string, error) {
	pw := store.GenerateAdminPassword()
	if err := a.SetPassword(ctx, pw); err != nil {
		return "", err
	}
	return pw, nil
}

func (a *apiClient) Version(ctx context.Context) (string, error) {
	data, err := a.do(ctx, http.MethodGet, pathVersion, nil)
	if err != nil {
		return "", err
	}
	var v struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(data, &v); err != nil || v.Version == "" {
		return "", errors.New("the box's version answer is not {\"version\": ...}")
	}
	return v.Version, nil
}

func (a *apiClient) Close() error {
	a.http.CloseIdleConnections()
	return nil
}

// fieldsOf returns the field errors of a refusal, local or from the API.
func fieldsOf(err error) []store.FieldError {
	if v, ok := store.AsValidationError(err); ok {
		return v.Fields
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Fields
	}
	return nil
}
