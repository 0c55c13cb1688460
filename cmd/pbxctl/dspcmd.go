package main

import "errors"

const dspUsage = `Usage: pbxctl dsp SUBCOMMAND ...

Signal-processing tools on WAV files (DTMF and tone detection, tone zones).
`

// dspCommand will hand over to runDSP (cmd/pbxctl/dsp.go, the dsp
// tools' own file) once that file is part of the build.
func dspCommand(e *env, args []string) error {
	return errors.New("pbxctl dsp is not part of this build yet")
}
