package store

import "errors"

// CheckPromptFile checks the name of a file in the prompts directory the
// way the dial plan's prompts are checked (a plain lower-case name ending
// in .wav, at most 64 characters), so that the Recordings page and pbxctl
// refuse a name the dial plan could never use. The error says what to
// change, in the installer's words.
func CheckPromptFile(name string) error {
	if msg := checkPromptFile(name); msg != "" {
		return errors.New(msg)
	}
	return nil
}
