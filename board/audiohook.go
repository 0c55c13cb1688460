package board

import "sync/atomic"

// AudioHook holds a port's AudioFunc for a driver whose audio does not pass
// through the driver itself: the line chips' samples travel on the PCM
// highway (board/pcmlink), so the chip driver only keeps the callback and
// the board assembly fetches it on every frame. Set and Get are safe from
// any goroutine; Get allocates nothing.
type AudioHook struct {
	p atomic.Pointer[AudioFunc]
}

// Set installs fn; nil removes the callback.
func (h *AudioHook) Set(fn AudioFunc) {
	if fn == nil {
		h.p.Store(nil)
		return
	}
	h.p.Store(&fn)
}

// Get returns the installed callback, or nil.
func (h *AudioHook) Get() AudioFunc {
	if p := h.p.Load(); p != nil {
		return *p
	}
	return nil
}
