package sip

// SetMaxCalls changes MaxCalls while the server runs (the box's
// system.max_calls setting applies at once): legs already up are kept
// even when more than n; only new ones are refused. n <= 0 is ignored.
func (s *Server) SetMaxCalls(n int) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.MaxCalls = n
}

// MaxCalls returns the limit of concurrent call legs in force.
func (s *Server) MaxCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.MaxCalls
}
