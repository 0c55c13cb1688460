package modem

// Voice-mode shielding (ITU-T V.253 / TIA IS-101): in the voice data
// stream a DLE byte (0x10) introduces a shielded code. <DLE><DLE> stands
// for one 0x10 data byte; <DLE><x> is an event from the modem (DTMF digit,
// tone, line condition) or a command from the host.
const (
	DLE = 0x10
	ETX = 0x03 // <DLE><ETX>: end of the voice data stream
)

// Host → modem commands.
var (
	cmdEndDuplex  = []byte{DLE, '^'} // leave +VTR full duplex
	cmdEndReceive = []byte{DLE, '!'} // abort +VRX
	cmdEndTx      = []byte{DLE, ETX} // end of +VTX data
)

// unshield splits a modem → host voice stream into data bytes and
// shielded events. It keeps the state of a DLE split across reads.
type unshield struct {
	dle bool
}

// feed processes in: data bytes are appended to data and events passed
// to event. It stops after <DLE><ETX> (the rest of in is command-mode
// text) and returns the extended data, the number of bytes of in it
// consumed, and whether the stream ended. It allocates nothing when data
// has capacity.
func (u *unshield) feed(in []byte, data []byte, event func(code byte)) ([]byte, int, bool) {
	for i, b := range in {
		if u.dle {
			u.dle = false
			switch b {
			case DLE:
				data = append(data, DLE)
			case ETX:
				return data, i + 1, true
			default:
				event(b)
			}
			continue
		}
		if b == DLE {
			u.dle = true
			continue
		}
		data = append(data, b)
	}
	return data, len(in), false
}

// shield appends data to dst with every DLE doubled.
func shield(dst, data []byte) []byte {
	for _, b := range data {
		if b == DLE {
			dst = append(dst, DLE, DLE)
		} else {
			dst = append(dst, b)
		}
	}
	return dst
}
