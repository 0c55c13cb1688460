package media

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func sdpOf(lines ...string) []byte {
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

var head = []string{"v=0", "o=- 42 7 IN IP4 192.0.2.1", "s=-", "c=IN IP4 192.0.2.1", "t=0 0"}

func TestParseSDP(t *testing.T) {
	tests := []struct {
		name    string
		body    []byte
		codecs  []Codec
		evpt    int
		dir     Direction
		hold    bool
		addr    string
		wantErr bool
	}{
		{name: "static PCMA first", body: sdpOf(append(head, "m=audio 4000 RTP/AVP 8 0 101", "a=rtpmap:101 telephone-event/8000")...),
			codecs: []Codec{PCMA, PCMU}, evpt: 101, addr: "192.0.2.1:4000"},
		{name: "rtpmap names win over numbers", body: sdpOf(append(head, "m=audio 4000 RTP/AVP 96 0", "a=rtpmap:96 PCMA/8000", "a=rtpmap:0 PCMU/8000")...),
			codecs: []Codec{PCMA, PCMU}, evpt: -1, addr: "192.0.2.1:4000"},
		{name: "unknown codecs ignored", body: sdpOf(append(head, "m=audio 4000 RTP/AVP 18 9 0", "a=rtpmap:18 G729/8000", "a=rtpmap:9 G722/8000")...),
			codecs: []Codec{PCMU}, evpt: -1, addr: "192.0.2.1:4000"},
		{name: "sendonly is hold", body: sdpOf(append(head, "m=audio 4000 RTP/AVP 0", "a=sendonly")...),
			codecs: []Codec{PCMU}, evpt: -1, dir: SendOnly, hold: true, addr: "192.0.2.1:4000"},
		{name: "inactive is hold", body: sdpOf(append(head, "m=audio 4000 RTP/AVP 0", "a=inactive")...),
			codecs: []Codec{PCMU}, evpt: -1, dir: Inactive, hold: true, addr: "192.0.2.1:4000"},
		{name: "recvonly is not hold", body: sdpOf(append(head, "m=audio 4000 RTP/AVP 0", "a=recvonly")...),
			codecs: []Codec{PCMU}, evpt: -1, dir: RecvOnly, addr: "192.0.2.1:4000"},
		{name: "RFC 2543 hold: c=0.0.0.0", body: sdpOf("v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "c=IN IP4 0.0.0.0", "t=0 0", "m=audio 4000 RTP/AVP 0"),
			codecs: []Codec{PCMU}, evpt: -1, hold: true, addr: "0.0.0.0:4000"},
		{name: "session-level direction", body: sdpOf("v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "c=IN IP4 192.0.2.1", "t=0 0", "a=sendonly", "m=audio 4000 RTP/AVP 0"),
			codecs: []Codec{PCMU}, evpt: -1, dir: SendOnly, hold: true, addr: "192.0.2.1:4000"},
		{name: "media-level c= wins", body: sdpOf(append(head, "m=audio 4000 RTP/AVP 0", "c=IN IP4 198.51.100.9")...),
			codecs: []Codec{PCMU}, evpt: -1, addr: "198.51.100.9:4000"},
		{name: "ptime", body: sdpOf(append(head, "m=audio 4000 RTP/AVP 0", "a=ptime:30")...),
			codecs: []Codec{PCMU}, evpt: -1, addr: "192.0.2.1:4000"},
		{name: "empty", body: nil, wantErr: true},
		{name: "garbage", body: []byte("hello world"), wantErr: true},
		{name: "no audio", body: sdpOf(append(head, "m=video 5000 RTP/AVP 96")...), wantErr: true},
		{name: "rejected audio (port 0)", body: sdpOf(append(head, "m=audio 0 RTP/AVP 0")...), wantErr: true},
		{name: "hostname address", body: sdpOf("v=0", "o=- 1 1 IN IP4 x", "s=-", "c=IN IP4 pbx.example", "t=0 0", "m=audio 4000 RTP/AVP 0"), wantErr: true},
		{name: "no connection", body: sdpOf("v=0", "o=- 1 1 IN IP4 x", "s=-", "t=0 0", "m=audio 4000 RTP/AVP 0"), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseSDP(tc.body)
			if tc.wantErr {
				if err == nil || !errors.Is(err, ErrBadSDP) {
					t.Fatalf("err = %v, want ErrBadSDP", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.Codecs, tc.codecs) || d.EventPT != tc.evpt || d.Direction != tc.dir || d.OnHold() != tc.hold || d.Addr.String() != tc.addr {
				t.Errorf("got codecs %v ev %d dir %v hold %v addr %v", d.Codecs, d.EventPT, d.Direction, d.OnHold(), d.Addr)
			}
		})
	}
}

func TestNegotiate(t *testing.T) {
	// The offerer's order decides (RFC 3264 §6.1), among codecs we speak.
	if c, _ := Negotiate([]Codec{PCMA, PCMU}, []Codec{PCMU, PCMA}); c != PCMA {
		t.Errorf("got %v, want PCMA (offerer's first)", c)
	}
	if c, _ := Negotiate([]Codec{PCMA, PCMU}, []Codec{PCMU}); c != PCMU {
		t.Errorf("got %v, want PCMU (the only common)", c)
	}
	if _, err := Negotiate([]Codec{PCMA}, []Codec{PCMU}); !errors.Is(err, ErrNoCommonCodec) {
		t.Errorf("err %v, want ErrNoCommonCodec", err)
	}
	if _, err := Negotiate(nil, []Codec{PCMU}); !errors.Is(err, ErrNoCommonCodec) {
		t.Errorf("err %v, want ErrNoCommonCodec", err)
	}
}

func TestBuildSDPRoundTrip(t *testing.T) {
	b, err := BuildSDP(SDPParams{Addr: netip.MustParseAddrPort("192.0.2.5:30000"), Codecs: []Codec{PCMU, PCMA}, EventPT: 101, Direction: RecvOnly, SessionID: 9, Version: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"m=audio 30000 RTP/AVP 0 8 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
		"a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=ptime:20", "a=recvonly", "c=IN IP4 192.0.2.5"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("SDP lacks %q:\n%s", want, b)
		}
	}
	d, err := ParseSDP(b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Codecs, []Codec{PCMU, PCMA}) || d.EventPT != 101 || d.Direction != RecvOnly || d.Version != 3 {
		t.Errorf("round trip: %+v", d)
	}
}

func TestDirectionReverse(t *testing.T) {
	for in, want := range map[Direction]Direction{SendRecv: SendRecv, SendOnly: RecvOnly, RecvOnly: SendOnly, Inactive: Inactive} {
		if got := in.Reverse(); got != want {
			t.Errorf("%v.Reverse() = %v, want %v", in, got, want)
		}
	}
}

func FuzzParseSDP(f *testing.F) {
	f.Add(sdpOf(append(head, "m=audio 4000 RTP/AVP 8 0 101", "a=rtpmap:101 telephone-event/8000", "a=sendonly")...))
	f.Add(sdpOf("v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "c=IN IP4 0.0.0.0", "t=0 0", "m=audio 1 RTP/AVP 0"))
	f.Add([]byte("v=0\r\nm=audio 99999 RTP/AVP 0\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseSDP(b)
		if err != nil {
			return
		}
		// Whatever parses must be usable: a valid address and a port.
		if !d.Addr.IsValid() || d.Addr.Port() == 0 {
			t.Fatalf("accepted SDP with address %v", d.Addr)
		}
		for _, c := range d.Codecs {
			if c != PCMU && c != PCMA {
				t.Fatalf("codec %v", c)
			}
		}
	})
}
