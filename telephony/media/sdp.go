package media

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// Direction is an SDP media direction attribute (RFC 4566 §6, RFC 3264 §5.1).
type Direction uint8

const (
	SendRecv Direction = iota
	SendOnly
	RecvOnly
	Inactive
)

func (d Direction) String() string {
	switch d {
	case SendOnly:
		return "sendonly"
	case RecvOnly:
		return "recvonly"
	case Inactive:
		return "inactive"
	}
	return "sendrecv"
}

// Reverse is the direction an answerer uses for an offer with direction d
// (RFC 3264 §6.1): what the offerer only sends, we only receive.
func (d Direction) Reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	}
	return d
}

// Sends reports whether a party with this direction sends media.
func (d Direction) Sends() bool { return d == SendRecv || d == SendOnly }

// Receives reports whether a party with this direction receives media.
func (d Direction) Receives() bool { return d == SendRecv || d == RecvOnly }

// ErrNoCommonCodec is returned when an offer has no codec we speak; SIP
// answers it with 488 Not Acceptable Here.
var ErrNoCommonCodec = errors.New("sdp: no common codec")

// ErrBadSDP wraps every parse failure of a remote session description; SIP
// answers it with 400 (or 488 in a re-INVITE).
var ErrBadSDP = errors.New("sdp: malformed session description")

// Description is the part of a remote session description a G.711 leg
// needs: where to send RTP, in which codecs, and whether the peer is
// holding the call.
type Description struct {
	// Addr is where the peer wants RTP; its address is unspecified
	// (0.0.0.0) for an RFC 2543-style hold.
	Addr netip.AddrPort
	// Codecs lists the G.711 codecs of the m=audio line in the peer's order
	// of preference; other formats are ignored.
	Codecs []Codec
	// EventPT is the peer's payload type for telephone-event/8000, or -1.
	EventPT int
	// Direction is the peer's direction attribute (sendrecv by default).
	Direction Direction
	// PtimeMS is the peer's a=ptime, 0 when absent.
	PtimeMS int
	// SessionID and Version are the o= line's identity, so a re-offer that
	// changes nothing can be recognised.
	SessionID, Version uint64
	// SAVP: the stream's transport is RTP/SAVP (or SAVPF): SRTP or nothing.
	SAVP bool
	// Crypto are the stream's usable a=crypto lines (RFC 4568), in the
	// peer's order of preference; lines we cannot use are left out.
	Crypto []CryptoAttr
}

// OnHold reports whether the peer put the call on hold: it will not
// receive our media (sendonly or inactive) or gave the null address.
func (d *Description) OnHold() bool {
	return !d.Direction.Receives() || d.Addr.Addr().IsUnspecified()
}

// ParseSDP reads the first audio stream of a session description. It
// accepts only what it can use, and returns an error wrapping ErrBadSDP for
// anything it cannot read or that has no usable audio stream.
func ParseSDP(b []byte) (Description, error) {
	d := Description{EventPT: -1}
	if len(b) == 0 {
		return d, fmt.Errorf("%w: empty body", ErrBadSDP)
	}
	if len(b) > 16<<10 {
		return d, fmt.Errorf("%w: body of %d bytes is too large", ErrBadSDP, len(b))
	}
	var s sdp.SessionDescription
	if err := s.UnmarshalString(string(b)); err != nil {
		return d, fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	d.SessionID, d.Version = s.Origin.SessionID, s.Origin.SessionVersion
	var audio *sdp.MediaDescription
	for _, m := range s.MediaDescriptions {
		if m != nil && m.MediaName.Media == "audio" && m.MediaName.Port.Value != 0 {
			audio = m
			break
		}
	}
	if audio == nil {
		return d, fmt.Errorf("%w: no active audio stream", ErrBadSDP)
	}
	switch proto := strings.Join(audio.MediaName.Protos, "/"); proto {
	case "RTP/AVP", "RTP/AVPF":
	case "RTP/SAVP", "RTP/SAVPF":
		d.SAVP = true
	default:
		return d, fmt.Errorf("%w: unsupported transport %q", ErrBadSDP, proto)
	}
	conn := audio.ConnectionInformation
	if conn == nil {
		conn = s.ConnectionInformation
	}
	if conn == nil || conn.Address == nil {
		return d, fmt.Errorf("%w: no connection address", ErrBadSDP)
	}
	if conn.NetworkType != "IN" || (conn.AddressType != "IP4" && conn.AddressType != "IP6") {
		return d, fmt.Errorf("%w: unsupported connection %s %s", ErrBadSDP, conn.NetworkType, conn.AddressType)
	}
	ip, err := netip.ParseAddr(conn.Address.Address)
	if err != nil {
		return d, fmt.Errorf("%w: connection address %q is not an IP address", ErrBadSDP, conn.Address.Address)
	}
	port := audio.MediaName.Port.Value
	if port <= 0 || port > 65535 {
		return d, fmt.Errorf("%w: port %d out of range", ErrBadSDP, port)
	}
	d.Addr = netip.AddrPortFrom(ip.Unmap(), uint16(port))

	// rtpmap lines name dynamic payload types; static 0 and 8 need none.
	names := map[int]string{}
	for _, a := range audio.Attributes {
		switch a.Key {
		case "rtpmap":
			pt, enc, ok := strings.Cut(a.Value, " ")
			n, err := strconv.Atoi(pt)
			if !ok || err != nil || n < 0 || n > 127 {
				continue
			}
			names[n] = strings.ToLower(strings.TrimSpace(enc))
		case "sendrecv":
			d.Direction = SendRecv
		case "sendonly":
			d.Direction = SendOnly
		case "recvonly":
			d.Direction = RecvOnly
		case "inactive":
			d.Direction = Inactive
		case "ptime":
			if n, err := strconv.Atoi(strings.TrimSpace(a.Value)); err == nil && n > 0 && n <= 1000 {
				d.PtimeMS = n
			}
		case "crypto":
			if c, ok := parseCrypto(a.Value); ok && len(d.Crypto) < 16 {
				d.Crypto = append(d.Crypto, c)
			}
		}
	}
	// A session-level direction applies when the stream has none.
	if _, ok := directionOf(audio.Attributes); !ok {
		if dir, ok := directionOf(s.Attributes); ok {
			d.Direction = dir
		}
	}
	for _, f := range audio.MediaName.Formats {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || n > 127 {
			continue
		}
		name, named := names[n]
		switch {
		case (n == 0 && !named) || strings.HasPrefix(name, "pcmu/8000"):
			d.Codecs = appendCodec(d.Codecs, PCMU)
		case (n == 8 && !named) || strings.HasPrefix(name, "pcma/8000"):
			d.Codecs = appendCodec(d.Codecs, PCMA)
		case strings.HasPrefix(name, "telephone-event/8000") && d.EventPT < 0:
			d.EventPT = n
		}
	}
	return d, nil
}

func directionOf(attrs []sdp.Attribute) (Direction, bool) {
	for _, a := range attrs {
		switch a.Key {
		case "sendrecv":
			return SendRecv, true
		case "sendonly":
			return SendOnly, true
		case "recvonly":
			return RecvOnly, true
		case "inactive":
			return Inactive, true
		}
	}
	return SendRecv, false
}

func appendCodec(cs []Codec, c Codec) []Codec {
	for _, x := range cs {
		if x == c {
			return cs
		}
	}
	return append(cs, c)
}

// Negotiate picks the codec of an answer: the first of the offerer's codecs
// that we also speak (RFC 3264 §6.1 lets the answerer follow the offerer's
// preference, which keeps a same-codec relay possible end to end).
func Negotiate(offered, ours []Codec) (Codec, error) {
	for _, c := range offered {
		for _, o := range ours {
			if c == o {
				return c, nil
			}
		}
	}
	return Linear, ErrNoCommonCodec
}

// DefaultEventPT is the payload type we offer for telephone-event.
const DefaultEventPT = 101

// SDPParams describes the local side of an offer or answer.
type SDPParams struct {
	Addr      netip.AddrPort // our RTP address as the peer must reach it
	Codecs    []Codec        // in preference order; an answer lists one
	EventPT   int            // telephone-event payload type; <0 for none
	Direction Direction
	SessionID uint64
	Version   uint64
	// SAVP makes the transport RTP/SAVP; Crypto are our a=crypto lines
	// (RFC 4568), in an offer or an answer, with either transport.
	SAVP   bool
	Crypto []CryptoAttr
}

// BuildSDP writes a session description with one audio stream.
func BuildSDP(p SDPParams) ([]byte, error) {
	if !p.Addr.IsValid() {
		return nil, errors.New("sdp: build: no local address")
	}
	if len(p.Codecs) == 0 {
		return nil, errors.New("sdp: build: no codecs")
	}
	ip := p.Addr.Addr().Unmap()
	addrType := "IP4"
	if ip.Is6() {
		addrType = "IP6"
	}
	md := &sdp.MediaDescription{
		MediaName: sdp.MediaName{
			Media:  "audio",
			Port:   sdp.RangedPort{Value: int(p.Addr.Port())},
			Protos: []string{"RTP", "AVP"},
		},
	}
	if p.SAVP {
		md.MediaName.Protos = []string{"RTP", "SAVP"}
	}
	for _, c := range p.Codecs {
		pt := c.PayloadType()
		if pt < 0 {
			return nil, fmt.Errorf("sdp: build: codec %s has no RTP payload type", c)
		}
		md.MediaName.Formats = append(md.MediaName.Formats, strconv.Itoa(pt))
		md.Attributes = append(md.Attributes, sdp.NewAttribute("rtpmap", fmt.Sprintf("%d %s/8000", pt, c)))
	}
	if p.EventPT >= 0 {
		md.MediaName.Formats = append(md.MediaName.Formats, strconv.Itoa(p.EventPT))
		md.Attributes = append(md.Attributes,
			sdp.NewAttribute("rtpmap", fmt.Sprintf("%d telephone-event/8000", p.EventPT)),
			sdp.NewAttribute("fmtp", fmt.Sprintf("%d 0-16", p.EventPT)))
	}
	for _, c := range p.Crypto {
		md.Attributes = append(md.Attributes, sdp.NewAttribute("crypto", c.String()))
	}
	md.Attributes = append(md.Attributes,
		sdp.NewAttribute("ptime", "20"),
		sdp.NewPropertyAttribute(p.Direction.String()))
	s := sdp.SessionDescription{
		Origin: sdp.Origin{
			Username:       "minipbx",
			SessionID:      p.SessionID,
			SessionVersion: p.Version,
			NetworkType:    "IN",
			AddressType:    addrType,
			UnicastAddress: ip.String(),
		},
		SessionName: "minipbx",
		ConnectionInformation: &sdp.ConnectionInformation{
			NetworkType: "IN",
			AddressType: addrType,
			Address:     &sdp.Address{Address: ip.String()},
		},
		TimeDescriptions:  []sdp.TimeDescription{{}},
		MediaDescriptions: []*sdp.MediaDescription{md},
	}
	return s.Marshal()
}
