package telephony

import (
	"fmt"
	"os"
	"sync"
	"time"

	"minipbx/dsp/audiofile"
)

// maxCachedPromptFiles bounds how many decoded recordings stay in memory
// (a box's dial plan names a handful; the bound only matters when a
// dial plan names many large ones).
const maxCachedPromptFiles = 32

// promptFiles shares the decoded recordings that menus, announcements
// and queues play among all calls. A queue plays its music on hold to
// every waiting caller, loop after loop, and a ten-minute recording is
// 9.6 MB of samples: decoded once, a box with a full queue holds it once
// instead of once per caller per loop. A file is read again when its
// size or modification time changes (an installer uploaded a new
// version: the next call hears it). The zero value is ready to use; it
// is safe for concurrent use. The samples it returns are shared: never
// modify them.
type promptFiles struct {
	mu    sync.Mutex
	files map[string]*promptFile // by path
}

// promptFile is one decoded recording and the version of the file it came from.
type promptFile struct {
	size    int64
	mod     time.Time
	samples []int16
	used    time.Time // for eviction
}

// load returns the samples of the 8 kHz WAV file at path (name is how
// errors call it).
func (p *promptFiles) load(path, name string) ([]int16, error) {
	fi, err := os.Stat(path)
	if err != nil {
		p.forget(path)
		return nil, fmt.Errorf("prompt: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if e := p.files[path]; e != nil && e.size == fi.Size() && e.mod.Equal(fi.ModTime()) {
		e.used = time.Now()
		return e.samples, nil
	}
	// Decoding under the lock makes the callers of a just-changed file
	// wait for one decode instead of each doing it.
	s, err := readPromptFile(path, name)
	if err != nil {
		delete(p.files, path)
		return nil, err
	}
	if p.files == nil {
		p.files = map[string]*promptFile{}
	}
	if len(p.files) >= maxCachedPromptFiles {
		p.evictOldest()
	}
	p.files[path] = &promptFile{size: fi.Size(), mod: fi.ModTime(), samples: s, used: time.Now()}
	return s, nil
}

func (p *promptFiles) forget(path string) {
	p.mu.Lock()
	delete(p.files, path)
	p.mu.Unlock()
}

// evictOldest drops the least recently used entry; p.mu is held.
func (p *promptFiles) evictOldest() {
	var oldest string
	var at time.Time
	for k, e := range p.files {
		if oldest == "" || e.used.Before(at) {
			oldest, at = k, e.used
		}
	}
	delete(p.files, oldest)
}

// readPromptFile reads one recording: an 8 kHz mono WAV file (16-bit
// PCM, μ-law or A-law) of at most maxPromptBytes.
func readPromptFile(path, name string) ([]int16, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("prompt: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > maxPromptBytes {
		return nil, fmt.Errorf("prompt %s: larger than %d bytes", name, maxPromptBytes)
	}
	s, rate, err := audiofile.ReadWAV(f)
	if err != nil {
		return nil, fmt.Errorf("prompt %s: %w (upload it on the Recordings page or with pbxctl recording import, which convert it)", name, err)
	}
	if rate != 8000 {
		return nil, fmt.Errorf("prompt %s: %d Hz, want 8000 (upload it on the Recordings page or with pbxctl recording import, which convert it)", name, rate)
	}
	return s, nil
}
