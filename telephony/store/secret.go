package store

import (
	"crypto/rand"
	"strings"
)

const (
	// secretAlphabet is used for generated SIP secrets: letters and digits
	// only, because installers type them into phone keypads and web forms
	// where punctuation is error-prone. 20 characters give ~119 bits.
	secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	secretLength   = 20
	// passwordAlphabet is Crockford's base32 in lower case: no i, l, o, u,
	// so nothing on the console print-out can be misread. 32 symbols give
	// exactly 5 bits each; 16 of them give 80 bits.
	passwordAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	passwordGroups   = 4
	passwordGroupLen = 4
)

// GenerateSecret returns a strong random SIP secret (20 letters and
// digits from crypto/rand, with at least one lower case letter, one upper
// case letter and one digit so that it passes the secret policy).
func GenerateSecret() string {
	for {
		s := randomString(secretAlphabet, secretLength)
		if secretProblem(s) == "" {
			return s
		}
	}
}

// GenerateAdminPassword returns a random password for the admin account:
// 4 groups of 4 characters from an unambiguous alphabet (80 bits), e.g.
// "7k3m-q9xr-2hfd-w8cz". Unique to the box; never a universal default.
func GenerateAdminPassword() string {
	s := randomString(passwordAlphabet, passwordGroups*passwordGroupLen)
	var b strings.Builder
	for i := 0; i < passwordGroups; i++ {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s[i*passwordGroupLen : (i+1)*passwordGroupLen])
	}
	return b.String()
}

// randomString draws n symbols uniformly from alphabet (at most 256
// symbols) by rejection sampling, so no symbol is more likely than another.
func randomString(alphabet string, n int) string {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		_, _ = rand.Read(buf) // crypto/rand.Read never fails (Go ≥ 1.24)
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}
