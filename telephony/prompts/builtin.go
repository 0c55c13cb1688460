package prompts

import (
	"bufio"
	"slices"
	"strings"
)

// Builtin returns the samples (8 kHz, linear) of the built-in recording of
// name, whatever override the prompts directory holds: the Recordings
// page plays it so an installer hears what a replacement must say, and
// "restore built-in" shows what comes back. A fresh slice on every call;
// an unknown name is an error naming it.
func Builtin(name string) ([]int16, error) {
	return loadBuiltin(name)
}

// Text returns the words the built-in prompt name speaks (en/texts.txt),
// which a replacement recording must say too; "" for an unknown name.
func Text(name string) string {
	if !slices.Contains(Names(), name) {
		return ""
	}
	return texts()[name]
}

// texts reads the script: NAME<TAB>TEXT lines, # comments.
func texts() map[string]string {
	f, err := builtin.Open("en/texts.txt")
	if err != nil {
		panic("prompts: the built-in script is missing: " + err.Error()) // a broken build
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		if name, text, ok := strings.Cut(line, "\t"); ok {
			out[name] = strings.TrimSpace(text)
		}
	}
	return out
}
