package media

import (
	"encoding/binary"
	"errors"
	"time"
)

// RTCP (RFC 3550 §6) is small enough to write by hand: a compound packet of
// one SR or RR with at most one report block, and an SDES with our CNAME.

const (
	rtcpSR   = 200
	rtcpRR   = 201
	rtcpSDES = 202
	rtcpBYE  = 203
)

// ntpEpochOffset is the number of seconds from 1900 (NTP) to 1970 (Unix).
const ntpEpochOffset = 2208988800

func ntpTime(t time.Time) uint64 {
	s := uint64(t.Unix()) + ntpEpochOffset
	f := (uint64(t.Nanosecond()) << 32) / 1e9
	return s<<32 | f
}

// reportBlock is one RFC 3550 §6.4.1 reception report.
type reportBlock struct {
	SSRC         uint32
	FractionLost uint8
	TotalLost    int32 // 24-bit signed
	HighestSeq   uint32
	Jitter       uint32
	LSR, DLSR    uint32
}

func (b *reportBlock) put(p []byte) {
	binary.BigEndian.PutUint32(p[0:], b.SSRC)
	lost := uint32(b.TotalLost) & 0xffffff
	binary.BigEndian.PutUint32(p[4:], uint32(b.FractionLost)<<24|lost)
	binary.BigEndian.PutUint32(p[8:], b.HighestSeq)
	binary.BigEndian.PutUint32(p[12:], b.Jitter)
	binary.BigEndian.PutUint32(p[16:], b.LSR)
	binary.BigEndian.PutUint32(p[20:], b.DLSR)
}

func parseReportBlock(p []byte) reportBlock {
	lost := binary.BigEndian.Uint32(p[4:])
	total := int32(lost&0xffffff) << 8 >> 8 // sign-extend 24 bits
	return reportBlock{
		SSRC:         binary.BigEndian.Uint32(p[0:]),
		FractionLost: uint8(lost >> 24),
		TotalLost:    total,
		HighestSeq:   binary.BigEndian.Uint32(p[8:]),
		Jitter:       binary.BigEndian.Uint32(p[12:]),
		LSR:          binary.BigEndian.Uint32(p[16:]),
		DLSR:         binary.BigEndian.Uint32(p[20:]),
	}
}

// senderInfo is what an SR carries besides report blocks.
type senderInfo struct {
	NTP       uint64
	RTPTime   uint32
	Packets   uint32
	Octets    uint32
	HasSender bool
}

// buildRTCP writes a compound SR (when si.HasSender) or RR packet with an
// optional report block and an SDES CNAME into buf, returning its length.
// buf must hold at least 128 bytes plus the CNAME.
func buildRTCP(buf []byte, ssrc uint32, si *senderInfo, rb *reportBlock, cname string) int {
	rc := 0
	if rb != nil {
		rc = 1
	}
	n := 0
	hdr := func(pt byte, count int, words int) {
		buf[n] = 0x80 | byte(count)
		buf[n+1] = pt
		binary.BigEndian.PutUint16(buf[n+2:], uint16(words))
	}
	if si.HasSender {
		words := 6 + 6*rc // length in 32-bit words minus one
		hdr(rtcpSR, rc, words)
		binary.BigEndian.PutUint32(buf[n+4:], ssrc)
		binary.BigEndian.PutUint64(buf[n+8:], si.NTP)
		binary.BigEndian.PutUint32(buf[n+16:], si.RTPTime)
		binary.BigEndian.PutUint32(buf[n+20:], si.Packets)
		binary.BigEndian.PutUint32(buf[n+24:], si.Octets)
		n += 28
	} else {
		hdr(rtcpRR, rc, 1+6*rc)
		binary.BigEndian.PutUint32(buf[n+4:], ssrc)
		n += 8
	}
	if rb != nil {
		rb.put(buf[n:])
		n += 24
	}
	// SDES: one chunk, CNAME item, end item, padded to 32 bits.
	if len(cname) > 255 {
		cname = cname[:255]
	}
	start := n
	chunk := 4 + 2 + len(cname) + 1
	pad := (4 - chunk%4) % 4
	total := 4 + chunk + pad
	hdr(rtcpSDES, 1, total/4-1)
	binary.BigEndian.PutUint32(buf[n+4:], ssrc)
	buf[n+8] = 1 // CNAME
	buf[n+9] = byte(len(cname))
	copy(buf[n+10:], cname)
	n += 10 + len(cname)
	for n < start+total {
		buf[n] = 0
		n++
	}
	return n
}

var errBadRTCP = errors.New("media: malformed RTCP packet")

// rtcpReport is what we learn from one incoming compound packet.
type rtcpReport struct {
	SenderSSRC uint32
	HasSR      bool
	SRNTPMid   uint32 // middle 32 bits of the SR's NTP time, for LSR
	Block      reportBlock
	HasBlock   bool // a report block about ssrc was present
	Bye        bool
}

// parseRTCP reads a compound RTCP packet, keeping the report block about
// our SSRC. It never reads outside b.
func parseRTCP(b []byte, ssrc uint32) (rtcpReport, error) {
	var r rtcpReport
	if len(b) < 8 {
		return r, errBadRTCP
	}
	for len(b) > 0 {
		if len(b) < 4 || b[0]>>6 != 2 {
			return r, errBadRTCP
		}
		count := int(b[0] & 0x1f)
		pt := b[1]
		length := (int(binary.BigEndian.Uint16(b[2:])) + 1) * 4
		if length > len(b) {
			return r, errBadRTCP
		}
		p := b[:length]
		b = b[length:]
		var blocks []byte
		switch pt {
		case rtcpSR:
			if len(p) < 28 {
				return r, errBadRTCP
			}
			r.SenderSSRC = binary.BigEndian.Uint32(p[4:])
			r.HasSR = true
			r.SRNTPMid = uint32(binary.BigEndian.Uint64(p[8:]) >> 16)
			blocks = p[28:]
		case rtcpRR:
			if len(p) < 8 {
				return r, errBadRTCP
			}
			r.SenderSSRC = binary.BigEndian.Uint32(p[4:])
			blocks = p[8:]
		case rtcpBYE:
			r.Bye = true
			continue
		default:
			continue
		}
		for i := 0; i < count && len(blocks) >= 24; i++ {
			rb := parseReportBlock(blocks)
			blocks = blocks[24:]
			if rb.SSRC == ssrc {
				r.Block, r.HasBlock = rb, true
			}
		}
	}
	return r, nil
}
