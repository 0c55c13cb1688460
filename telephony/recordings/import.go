package recordings

import (
	"io"

	"minipbx/dsp/audiofile"
)

// ImportAudio converts an upload (WAV in any rate and format, or MP3; at
// most MaxUploadBytes) to 8 kHz samples, as Save does, for audio the box
// keeps elsewhere (a mailbox's greeting): at most maxSeconds long.
// Problems the uploader can fix are a *store.ValidationError on "file".
func ImportAudio(r io.Reader, maxSeconds int) ([]int16, error) {
	samples, err := audiofile.Import(r, MaxUploadBytes)
	if err != nil {
		return nil, importProblem(err)
	}
	if len(samples) > maxSeconds*rate {
		return nil, invalid("file", "The recording is %s long; it may last at most %s. Shorten it and upload it again.",
			minSec(len(samples)/rate), minSec(maxSeconds))
	}
	return samples, nil
}

// PCMWAV is samples as a 16-bit PCM WAV file in memory (what every
// browser plays), seekable for Range requests.
func PCMWAV(samples []int16) (io.ReadCloser, int64, error) { return pcmWAV(samples) }
