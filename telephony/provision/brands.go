package provision

import (
	"regexp"
	"strings"
)

// Brand is one template: the phones it configures, the file they ask
// for, and how plug-and-play hands them their URL.
type Brand struct {
	// Key is the template's name (store.Phone.Template).
	Key string
	// Name is the maker, for the page.
	Name string
	// Models lists the models the template is written for.
	Models string
	// File is the template's file name, built in and in the data
	// directory's provisioning/templates/ for an override.
	File string
	// ContentType is the served file's media type.
	ContentType string
	// Format names the file's format rules (format.go).
	Format string
	// Request describes the file name the phone asks for ("{mac}.cfg").
	Request string
	// request matches the file name the phone asks for; its one group
	// is the MAC.
	request *regexp.Regexp
	// Directory: the phone appends the file name itself to the URL it
	// is given (plug-and-play, DHCP option 66, its web page); otherwise
	// it is given the file's whole URL. NoSlash: that directory is given
	// without a trailing slash (Grandstream adds its own "/").
	Directory, NoSlash bool
	// languages are the phone's names of the box's languages (store
	// System.Language codes); a language the phone lacks falls back to
	// the entry for "".
	languages map[string]string
	// MaxKeys is how many busy-lamp keys the template writes.
	MaxKeys int
}

// brands are the built-in templates, in the order the page lists them.
// The phones have no Armenian or Kyrgyz menus: they get Russian, the
// language their users most often read besides their own.
var brands = []Brand{
	{
		Key: "yealink", Name: "Yealink",
		Models: "SIP-T2x (T21P E2, T23G, T27G, T29G), T3x (T30, T31G, T33G), T4x (T40, T41S/U, T42S/U, T43U, T46S/U, T48S/U), " +
			"T5x (T53W, T54W, T57W, T58) and CP920, firmware 81 and later",
		File: "yealink.cfg", ContentType: "text/plain; charset=utf-8", Format: "yealink",
		Request: "{mac}.cfg", request: regexp.MustCompile(`^([0-9a-fA-F]{12})\.cfg$`), Directory: true,
		languages: map[string]string{"": "English", "en": "English", "ru": "Russian", "hy": "Russian", "ky": "Russian", "it": "Italian"},
		MaxKeys:   MaxKeys,
	},
	{
		Key: "grandstream", Name: "Grandstream",
		Models: "GXP16xx (GXP1610–1630), GXP21xx (GXP2130, 2135, 2140, 2160, 2170), GRP2612–2616; busy lamps on multi-purpose keys 1–7",
		File:   "grandstream.xml", ContentType: "application/xml; charset=utf-8", Format: "grandstream",
		Request: "cfg{mac}.xml", request: regexp.MustCompile(`^cfg([0-9a-fA-F]{12})\.xml$`), Directory: true, NoSlash: true,
		languages: map[string]string{"": "en", "en": "en", "ru": "ru", "hy": "ru", "ky": "ru", "it": "it"},
		MaxKeys:   7,
	},
	{
		Key: "snom", Name: "snom",
		Models: "D3xx (D305, D315, D345, D375), D7xx (D712, D715, D725, D735, D745, D765, D785), 7xx (710, 715, 720, 760), " +
			"3xx (300, 320, 360, 370), firmware 8.7 and later",
		File: "snom.xml", ContentType: "application/xml; charset=utf-8", Format: "snom",
		Request: "{mac}.xml", request: regexp.MustCompile(`^([0-9a-fA-F]{12})\.xml$`),
		languages: map[string]string{"": "English", "en": "English", "ru": "Russian", "hy": "Russian", "ky": "Russian", "it": "Italiano"},
		MaxKeys:   MaxKeys,
	},
	{
		Key: "fanvil", Name: "Fanvil",
		Models: "X series (X1S, X3S/SG/U, X4/U, X5S/U, X6/U, X7, X210) and V series (V62, V64, V65, V67)",
		File:   "fanvil.cfg", ContentType: "text/plain; charset=utf-8", Format: "fanvil",
		Request: "{mac}.cfg", request: regexp.MustCompile(`^([0-9a-fA-F]{12})\.cfg$`), Directory: true,
		languages: map[string]string{"": "en", "en": "en", "ru": "ru", "hy": "ru", "ky": "ru", "it": "it"},
		MaxKeys:   MaxKeys,
	},
	{
		Key: "spa", Name: "Cisco/Linksys SPA",
		Models: "Cisco SPA301, SPA303, SPA501G, SPA502G, SPA504G, SPA508G, SPA509G, SPA512G, SPA514G, SPA525G2; " +
			"Linksys SPA921, SPA922, SPA941, SPA942, SPA962; firmware 7.x (English menus: other languages need a dictionary server)",
		File: "spa.xml", ContentType: "application/xml; charset=utf-8", Format: "spa",
		Request: "spa{mac}.xml", request: regexp.MustCompile(`^spa([0-9a-fA-F]{12})\.xml$`),
		languages: map[string]string{"": "English"},
		MaxKeys:   11, // line keys 2–12 of an SPA509G; a smaller phone ignores the rest
	},
}

// MaxKeys bounds the busy-lamp keys a template gets.
const MaxKeys = 60

// Brands lists the built-in templates.
func Brands() []Brand { return append([]Brand(nil), brands...) }

// brandByKey returns the brand named key.
func brandByKey(key string) (Brand, bool) {
	for _, b := range brands {
		if b.Key == key {
			return b, true
		}
	}
	return Brand{}, false
}

// fileMAC is the MAC the file name a phone of brand b asks for names.
func (b Brand) fileMAC(name string) (string, bool) {
	m := b.request.FindStringSubmatch(name)
	if m == nil {
		return "", false
	}
	return strings.ToLower(m[1]), true
}

// requestedMAC is the MAC any brand's file name names ("" for a file
// that names none, such as Yealink's common y000000000028.cfg).
func requestedMAC(name string) string {
	for _, b := range brands {
		if mac, ok := b.fileMAC(name); ok {
			return mac
		}
	}
	return ""
}

// language is the phone's name for the box's language code.
func (b Brand) language(code string) string {
	if v, ok := b.languages[code]; ok {
		return v
	}
	return b.languages[""]
}

// given is the URL a phone of brand b is given, from its file's URL and
// its directory's (no trailing slash).
func (b Brand) given(file, dir string) string {
	switch {
	case !b.Directory:
		return file
	case b.NoSlash:
		return dir
	}
	return dir + "/"
}

// fileName is the name phone mac asks for.
func (b Brand) fileName(mac string) string { return strings.Replace(b.Request, "{mac}", mac, 1) }
