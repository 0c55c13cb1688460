package sip

import (
	"strings"
	"testing"
)

// A request may Require what the box says it supports (an INVITE with
// Replaces from a BLF pickup carries Require: replaces), and nothing else.
func TestRequireMatchesSupported(t *testing.T) {
	for _, tag := range strings.Split(supportedHeader, ",") {
		if tag = strings.TrimSpace(tag); !supportedExtensions[tag] {
			t.Errorf("Supported names %q but a request requiring it is refused", tag)
		}
	}
	if len(supportedExtensions) != len(strings.Split(supportedHeader, ",")) {
		t.Errorf("requests may require %v, Supported says %q", supportedExtensions, supportedHeader)
	}
}
