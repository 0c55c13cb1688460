// Package audiofile reads and writes the audio files of minipbx: the
// strict 8 kHz mono WAV of the box's own prompts and recordings
// (ReadWAV, WriteWAV), and the import of installer-supplied prompts in
// any common WAV or MP3 form, converted to 8 kHz mono and normalised
// (Import). Every input is treated as hostile: sizes are bounded and
// malformed files get an error naming what is wrong.
package audiofile
