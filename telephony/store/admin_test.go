package store

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

func TestGeneratedAdminPassword(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$`)
	seen := map[string]bool{}
	for range 200 {
		pw := GenerateAdminPassword()
		if !re.MatchString(pw) {
			t.Fatalf("%q: not 4 groups of 4 unambiguous characters", pw)
		}
		if strings.ContainsAny(pw, "ilou") {
			t.Fatalf("%q contains an ambiguous letter", pw)
		}
		if seen[pw] {
			t.Fatalf("%q generated twice", pw)
		}
		seen[pw] = true
		if adminPasswordProblem(pw) != "" {
			t.Fatalf("%q fails the policy", pw)
		}
	}
	// 16 symbols of 5 bits each.
	if len(passwordAlphabet) != 32 || passwordGroups*passwordGroupLen*5 < 80 {
		t.Fatal("fewer than 80 bits")
	}
}

func TestAdminPassword(t *testing.T) {
	db, _ := openTemp(t)
	if ok, _, err := db.CheckAdminPassword("anything"); ok || !errors.Is(err, ErrNoAdminPassword) {
		t.Fatalf("before creation: %v %v", ok, err)
	}
	pw, created, err := db.EnsureAdminPassword()
	if err != nil || !created || pw == "" {
		t.Fatalf("%q %v %v", pw, created, err)
	}
	if pw2, created, _ := db.EnsureAdminPassword(); created || pw2 != "" {
		t.Fatal("EnsureAdminPassword replaced an existing password")
	}
	// Only a salted hash is stored: the password appears nowhere.
	db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				if strings.Contains(string(v), pw) {
					t.Errorf("password stored in clear in %s/%s", name, k)
				}
				return nil
			})
		})
	})
	ok, must, err := db.CheckAdminPassword(pw)
	if !ok || !must || err != nil {
		t.Fatalf("first login: ok=%v must=%v %v", ok, must, err)
	}
	for _, wrong := range []string{"", strings.ToUpper(pw), pw + " ", pw[:len(pw)-1], strings.Repeat("x", 10000)} {
		if ok, _, err := db.CheckAdminPassword(wrong); ok || err != nil {
			t.Errorf("%q accepted (%v)", wrong, err)
		}
	}
	// Policy.
	for _, bad := range []string{"short", pw, "tab\tinside password", "bad\xffutf8 password", strings.Repeat("x", MaxAdminPasswordLen+1)} {
		err := db.SetAdminPassword(bad)
		if f := fieldsOf(t, err); len(f) != 1 || f[0] != "password" {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if err := db.SetAdminPassword("a new password ☎"); err != nil {
		t.Fatal(err)
	}
	if ok, must, _ := db.CheckAdminPassword("a new password ☎"); !ok || must {
		t.Errorf("after change: ok=%v must=%v", ok, must)
	}
	if ok, _, _ := db.CheckAdminPassword(pw); ok {
		t.Error("old password still works")
	}
	// Reset: new random password, must change again.
	reset, err := db.ResetAdminPassword()
	if err != nil || reset == pw {
		t.Fatal(err)
	}
	if ok, must, _ := db.CheckAdminPassword(reset); !ok || !must {
		t.Errorf("after reset: ok=%v must=%v", ok, must)
	}
}

// A hash made with fewer iterations is upgraded at the next right login.
func TestAdminHashUpgrade(t *testing.T) {
	db, path := openTemp(t)
	if err := db.SetAdminPassword("first password"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	o := testOptions()
	o.kdfIterations = 2000
	db, err := Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if ok, _, _ := db.CheckAdminPassword("wrong password"); ok {
		t.Fatal()
	}
	if rec, _ := db.readAdmin(); rec.Iterations != 1000 {
		t.Fatalf("a wrong password rehashed: %d", rec.Iterations)
	}
	if ok, _, _ := db.CheckAdminPassword("first password"); !ok {
		t.Fatal("right password refused")
	}
	if rec, _ := db.readAdmin(); rec.Iterations != 2000 {
		t.Errorf("iterations %d after login", rec.Iterations)
	}
	if ok, _, _ := db.CheckAdminPassword("first password"); !ok {
		t.Fatal("right password refused after upgrade")
	}
}

func BenchmarkCheckAdminPassword(b *testing.B) {
	db, _ := openTemp(b)
	db.kdfIter = DefaultKDFIterations
	if err := db.SetAdminPassword("benchmark password"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		db.CheckAdminPassword("benchmark password")
	}
}
