package webui

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"minipbx/telephony/store"
)

// What uses what, in the installer's words and with links: deleting an
// extension or a dial-plan object that something still names is refused
// by naming each user of it (store.Config.UsersOf), each a link to the
// form where it can be changed.

// userLink is one user of an object: what it is, and its form.
type userLink struct {
	Text, URL string
}

// inUseView is what a page says of an object still in use.
type inUseView struct {
	What, Name string // "ring group", "sales"
	Users      []userLink
}

// usersOf turns references into links: "ring group sales, member 2" to
// the ring group's form.
func usersOf(c *store.Config, refs []store.Ref) []userLink {
	out := make([]userLink, 0, len(refs))
	for _, r := range refs {
		out = append(out, userOf(c, r.Path))
	}
	return out
}

// userOf describes the object at a document path and links its form.
func userOf(c *store.Config, path string) userLink {
	key, i, field := store.ObjectOf(path)
	words := fieldWords(field)
	switch {
	case key == "fxo_lines" && i >= 0 && i < len(c.FXOLines):
		return userLink{Text: fmt.Sprintf("FXO line %d, %s", c.FXOLines[i].Port, words), URL: "/settings#fxo" + strconv.Itoa(c.FXOLines[i].Port) + "-form"}
	case key == "extension_rules" && i >= 0 && i < len(c.ExtensionRules):
		n := c.ExtensionRules[i].Extension
		return userLink{Text: "extension " + n + ", " + words, URL: extensionPageURL(n)}
	case key == "voicemail":
		return userLink{Text: "voicemail, " + words, URL: "/dialplan/voicemail"}
	case key == "accounts":
		login := strings.TrimSuffix(field, ".extension")
		return userLink{Text: "web account " + login, URL: "/users/" + url.PathEscape(login)}
	case key == "provisioning":
		if _, j, _ := store.ObjectOf(field); j >= 0 && j < len(c.Provisioning.Phones) {
			mac := c.Provisioning.Phones[j].MAC
			return userLink{Text: "provisioned phone " + mac, URL: "/phones#phone-" + mac}
		}
	}
	sec, ok := findDialPlanSection(key)
	if !ok {
		return userLink{Text: path}
	}
	if sec.list == nil {
		return userLink{Text: sec.Title + ", " + words, URL: "/dialplan/" + key}
	}
	names := c.Names(key)
	var what string
	for _, s := range store.Sections() {
		if s.Key == key {
			what = s.What
		}
	}
	if i < 0 || i >= c.Count(key) {
		return userLink{Text: path, URL: "/dialplan/" + key}
	}
	name := strconv.Itoa(i + 1)
	if i < len(names) {
		name = names[i]
	}
	text := what + " " + name
	if words != "" {
		text += ", " + words
	}
	return userLink{Text: text, URL: objectURL(key, i, name, "edit")}
}

var indexed = regexp.MustCompile(`([a-z_]+)\[(\d+)\]`)

// fieldWords says a path inside an object in words: "members[1].destination"
// is "member 2", "keys.1" "key 1", "forward_busy" "forward busy".
func fieldWords(field string) string {
	field = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(field, ".destination"), ".extension"), ".file")
	field = indexed.ReplaceAllStringFunc(field, func(m string) string {
		sub := indexed.FindStringSubmatch(m)
		n, _ := strconv.Atoi(sub[2])
		name := sub[1]
		switch name {
		case "via":
			name = "carrier"
		case "dids":
			name = "incoming number"
		case "follow_me":
			name = "follow-me number"
		default:
			name = strings.TrimSuffix(name, "s")
		}
		return fmt.Sprintf("%s %d", name, n+1)
	})
	if k, ok := strings.CutPrefix(field, "keys."); ok {
		field = "key " + k
	}
	field = strings.ReplaceAll(strings.ReplaceAll(field, "_", " "), ".", ", ")
	return strings.ReplaceAll(field, "moh class", "music on hold")
}

// extensionPageURL is the page of everything about an extension.
func extensionPageURL(number string) string {
	return "/extensions/" + number
}

// objectUsers are the users of object name of section key in the
// configuration as it is now (none when it cannot be read: the store
// still refuses what would break the plan).
func (s *Server) objectUsers(ctx context.Context, key, name string) (*store.Config, []store.Ref) {
	c, err := s.svc.ExportConfig(ctx)
	if err != nil {
		return nil, nil
	}
	if key == store.SectionExtensions {
		return &c, s.extensionUsers(ctx, &c, name)
	}
	return &c, c.UsersOf(key, name)
}

// extensionUsers are what uses extension number: c's references and the
// web accounts bound to it (those only when the role may see accounts).
func (s *Server) extensionUsers(ctx context.Context, c *store.Config, number string) []store.Ref {
	users := c.ExtensionUsers(number)
	if accs, err := s.svc.Accounts(ctx); err == nil {
		users = append(users, store.AccountUsers(accs, number)...)
	}
	return users
}
