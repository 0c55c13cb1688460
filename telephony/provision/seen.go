package provision

import (
	"net/netip"
	"sort"
	"sync"
	"time"
)

// Seen is a phone the box has heard from since it started: by its
// plug-and-play SUBSCRIBE or a provisioning request.
type Seen struct {
	Device
	IP        netip.Addr
	UserAgent string
	First     time.Time
	Last      time.Time
	// How is how it was last heard: HowPlugAndPlay or HowRequest.
	How string
	// Result is what the box did last: served its file, refused it, …
	Result string
}

// How a phone was heard.
const (
	HowPlugAndPlay = "plug-and-play SUBSCRIBE"
	HowRequest     = "provisioning request"
)

// maxSeen bounds the phones remembered: anyone on the network can claim
// to be a phone.
const maxSeen = 512

// sightings remembers the phones seen, by MAC.
type sightings struct {
	mu     sync.Mutex
	phones map[string]*Seen
}

func newSightings() *sightings { return &sightings{phones: map[string]*Seen{}} }

// note records that the phone d was heard from ip at now; fields d leaves
// empty keep what was known.
func (s *sightings) note(d Device, ip netip.Addr, ua, how, result string, now time.Time) {
	if d.MAC == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.phones[d.MAC]
	if p == nil {
		if len(s.phones) >= maxSeen {
			s.evictLocked()
		}
		p = &Seen{First: now}
		s.phones[d.MAC] = p
	}
	p.Device = d.merge(p.Device)
	p.IP, p.Last, p.How, p.Result = ip, now, how, result
	if ua != "" {
		p.UserAgent = printable(ua, 200)
	}
}

// evictLocked forgets the phone heard from longest ago.
func (s *sightings) evictLocked() {
	var oldest string
	var at time.Time
	for mac, p := range s.phones {
		if oldest == "" || p.Last.Before(at) {
			oldest, at = mac, p.Last
		}
	}
	delete(s.phones, oldest)
}

// get returns what is known of phone mac.
func (s *sightings) get(mac string) (Seen, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.phones[mac]
	if p == nil {
		return Seen{}, false
	}
	return *p, true
}

// list returns every phone seen, the most recent first.
func (s *sightings) list() []Seen {
	s.mu.Lock()
	out := make([]Seen, 0, len(s.phones))
	for _, p := range s.phones {
		out = append(out, *p)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Last.Equal(out[j].Last) {
			return out[i].Last.After(out[j].Last)
		}
		return out[i].MAC < out[j].MAC
	})
	return out
}
