package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"minipbx/telephony/dialplan"
	"minipbx/telephony/store"
)

// The call-flow view (/dialplan/flow): where calls arriving on a line, a
// trunk or one of its numbers (DIDs) go, drawn from the plan in use as a
// diagram in server-side SVG — the inbound route and its schedule's
// branches, menus and their keys, time conditions, conditions, ring
// groups, queues and announcements with where each sends the call next,
// extensions with their forwarding. Every box is a link to its form. It
// is the readable half of a graphical dial-plan editor.

// flowNode is a box of the diagram.
type flowNode struct {
	ID         int
	Kind, Name string // "Voice menu", "main"
	URL        string // its form
	X, Y       int
	// Class colours the box by kind (app.css): entry, route, choice,
	// answer, ring, out, end.
	Class string
	depth int
}

// flowEdge is an arrow between boxes with what takes it ("key 1",
// "closed", "no answer").
type flowEdge struct {
	From, To *flowNode
	Label    string
	// Path is the SVG path of the arrow, LX and LY where its label sits.
	Path   string
	LX, LY int
}

// flowGraph is a diagram being built and then laid out.
type flowGraph struct {
	c     *store.Config
	Nodes []*flowNode
	Edges []*flowEdge
	byKey map[string]*flowNode
	// W and H are the drawing's size.
	W, H int
}

// Sizes of the drawing.
const (
	flowBoxW, flowBoxH = 168, 40
	flowGapX, flowGapY = 24, 56
	flowMaxNodes       = 60 // a diagram stops growing here, saying so
	flowPerRow         = 5
	flowNameLen        = 22 // characters of a name a box shows
)

func newFlowGraph(c *store.Config) *flowGraph {
	return &flowGraph{c: c, byKey: map[string]*flowNode{}}
}

// node returns the box of key, adding it at depth when new; added
// reports whether it is new (and is to be expanded).
func (g *flowGraph) node(key, title, name, link, class string, depth int) (n *flowNode, added bool) {
	if n := g.byKey[key]; n != nil {
		return n, false
	}
	if r := []rune(name); len(r) > flowNameLen {
		name = string(r[:flowNameLen-1]) + "…"
	}
	n = &flowNode{ID: len(g.Nodes), Kind: title, Name: name, URL: link, Class: class, depth: depth}
	g.Nodes = append(g.Nodes, n)
	g.byKey[key] = n
	return n, true
}

func (g *flowGraph) edge(from, to *flowNode, label string) {
	g.Edges = append(g.Edges, &flowEdge{From: from, To: to, Label: label})
}

// objectLink is the form of object name of section key, "" when missing.
func (g *flowGraph) objectLink(key, name string) string {
	if i := slices.Index(g.c.Names(key), name); i >= 0 {
		return objectURL(key, i, name, "edit")
	}
	return ""
}

// dest adds the box of a destination under from, and what follows it.
// members draws the arrows to a member list's destinations, labelled
// by their rows ("member 2", label a format of the row's number, so that
// the catalog translates it), leaving out those switched off: the
// exchange does not ring them.
func (g *flowGraph) members(from *flowNode, label string, ms []store.GroupMember) {
	for j, m := range ms {
		if !m.Off {
			g.dest(from, fmt.Sprintf(label, j+1), m.Destination)
		}
	}
}

func (g *flowGraph) dest(from *flowNode, label, s string) {
	if s == "" || len(g.Nodes) >= flowMaxNodes {
		return
	}
	d, err := dialplan.ParseDestination(s)
	if err != nil {
		return
	}
	depth := from.depth + 1
	add := func(title, name, link, class string) (*flowNode, bool) {
		n, added := g.node(d.String(), title, name, link, class, depth)
		g.edge(from, n, label)
		return n, added
	}
	c := g.c
	switch d.Kind {
	case dialplan.DestExtension:
		name := d.Value
		if p, ok := c.Profile(d.Value); ok && p.Extension.Name != "" {
			name += " " + p.Extension.Name
		}
		n, added := add("Extension", name, extensionPageURL(d.Value), "ring")
		if p, ok := c.Profile(d.Value); added && ok && p.Rule != nil {
			r := p.Rule
			g.dest(n, "always", r.ForwardAlways)
			g.dest(n, "busy", r.ForwardBusy)
			g.dest(n, "no answer", r.ForwardNoAnswer)
			g.dest(n, "unreachable", r.ForwardUnavailable)
			g.members(n, "follow-me %d", r.FollowMe)
		}
	case dialplan.DestVoicemail:
		add("Voicemail", d.Value, "/dialplan/voicemail", "answer")
	case dialplan.DestFXS:
		add("Analog port", "FXS "+d.Value, "/settings", "ring")
	case dialplan.DestNumber:
		add("Number", d.Value, "/dialplan/route-tester?number="+url.QueryEscape(d.Value), "out")
	case dialplan.DestHangup:
		add("Hang up", "busy tone", "", "end")
	case dialplan.DestGroup:
		i := slices.IndexFunc(c.RingGroups, func(x store.RingGroup) bool { return x.Name == d.Value })
		n, added := add("Ring group", d.Value, g.objectLink("ring_groups", d.Value), "ring")
		if added && i >= 0 {
			g.members(n, "member %d", c.RingGroups[i].Members)
			g.dest(n, "no answer", c.RingGroups[i].Timeout)
		}
	case dialplan.DestQueue:
		i := slices.IndexFunc(c.Queues, func(x store.Queue) bool { return x.Name == d.Value })
		n, added := add("Queue", d.Value, g.objectLink("queues", d.Value), "answer")
		if added && i >= 0 {
			g.members(n, "agent %d", c.Queues[i].Members)
			g.dest(n, "waited too long", c.Queues[i].Timeout)
		}
	case dialplan.DestMenu:
		i := slices.IndexFunc(c.Menus, func(x store.Menu) bool { return x.Name == d.Value })
		n, added := add("Voice menu", d.Value, g.objectLink("ivr_menus", d.Value), "choice")
		if added && i >= 0 {
			m := c.Menus[i]
			for _, k := range menuKeys {
				g.dest(n, "key "+k, m.Keys[k])
			}
			g.dest(n, "no key", m.DefaultDestination)
		}
	case dialplan.DestAnnounce:
		i := slices.IndexFunc(c.Announcements, func(x store.Announcement) bool { return x.Name == d.Value })
		n, added := add("Announcement", d.Value, g.objectLink("announcements", d.Value), "answer")
		if added && i >= 0 {
			g.dest(n, "then", c.Announcements[i].Then)
		}
	case dialplan.DestTime:
		i := slices.IndexFunc(c.TimeConditions, func(x store.TimeCondition) bool { return x.Name == d.Value })
		n, added := add("Time condition", d.Value, g.objectLink("time_conditions", d.Value), "choice")
		if added && i >= 0 {
			t := c.TimeConditions[i]
			g.dest(n, t.Schedule+" open", t.Open)
			g.dest(n, t.Schedule+" closed", t.Closed)
		}
	case dialplan.DestCond:
		i := slices.IndexFunc(c.Conditions, func(x store.Condition) bool { return x.Name == d.Value })
		n, added := add("Condition", d.Value, g.objectLink("conditions", d.Value), "choice")
		if added && i >= 0 {
			cd := c.Conditions[i]
			g.dest(n, "first", cd.Destination)
			g.dest(n, "no answer", cd.NoAnswer)
			g.dest(n, "busy", cd.Busy)
			g.dest(n, "unreachable", cd.NoRoute)
		}
	case dialplan.DestConf:
		add("Conference room", d.Value, g.objectLink("conference_rooms", d.Value), "answer")
	case dialplan.DestPage:
		add("Paging group", d.Value, g.objectLink("paging_groups", d.Value), "ring")
	case dialplan.DestFax:
		add("Fax receiver", d.Value, g.objectLink("fax_receivers", d.Value), "answer")
	}
}

// route adds an inbound route's box under from with its destinations
// (by its schedule when it has one).
func (g *flowGraph) route(from *flowNode, r store.InboundRoute) {
	n, added := g.node("route:"+r.Name, "Inbound route", r.Name, g.objectLink("inbound_routes", r.Name), "route", from.depth+1)
	g.edge(from, n, "")
	if !added {
		return
	}
	if r.FaxDetect != "" {
		g.dest(n, "fax heard", r.FaxDetect)
	}
	for _, cl := range r.Classifiers {
		if i := slices.IndexFunc(g.c.Classifiers, func(x store.Classifier) bool { return x.Name == cl }); i >= 0 && g.c.Classifiers[i].Action == "route" {
			g.dest(n, fmt.Sprintf("caller list %s", cl), g.c.Classifiers[i].Destination)
		}
	}
	if r.Schedule != "" && r.ClosedDestination != "" {
		s, _ := g.node("schedule:"+r.Schedule+":"+r.Name, "Schedule", r.Schedule, g.objectLink("schedules", r.Schedule), "choice", n.depth+1)
		g.edge(n, s, "")
		g.dest(s, "open", r.Destination)
		g.dest(s, "closed", r.ClosedDestination)
		return
	}
	g.dest(n, "", r.Destination)
}

// flowEntry is a place calls arrive: an FXO line, a trunk, a DID.
type flowEntry struct {
	Key, Label string
}

// flowEntries lists the places calls arrive, for the view's index.
func flowEntries(c *store.Config) []flowEntry {
	var out []flowEntry
	for _, l := range c.FXOLines {
		label := fmt.Sprintf("FXO line %d", l.Port)
		if l.Name != "" {
			label += " — " + l.Name
		}
		out = append(out, flowEntry{Key: fmt.Sprintf("fxo:%d", l.Port), Label: label})
	}
	for _, t := range c.Trunks {
		out = append(out, flowEntry{Key: "trunk:" + t.Name, Label: fmt.Sprintf("SIP trunk %s, any number", t.Name)})
		dids := map[string]bool{}
		for _, d := range t.DIDs {
			dids[d.Number] = true
		}
		for _, r := range c.InboundRoutes {
			if len(r.Trunks) == 0 || slices.Contains(r.Trunks, t.Name) {
				for _, d := range r.DIDs {
					dids[d] = true
				}
			}
		}
		for _, d := range slices.Sorted(func(yield func(string) bool) {
			for k := range dids {
				if !yield(k) {
					return
				}
			}
		}) {
			out = append(out, flowEntry{Key: "did:" + t.Name + ":" + d, Label: fmt.Sprintf("SIP trunk %s, number %s", t.Name, d)})
		}
	}
	return out
}

// buildFlow draws where calls arriving at entry go; false for an entry
// the configuration does not have.
func buildFlow(c *store.Config, entry string) (*flowGraph, bool) {
	g := newFlowGraph(c)
	kind, rest, _ := strings.Cut(entry, ":")
	switch kind {
	case "fxo":
		port, err := strconv.Atoi(rest)
		i := slices.IndexFunc(c.FXOLines, func(l store.FXOLine) bool { return l.Port == port })
		if err != nil || i < 0 {
			return nil, false
		}
		start, _ := g.node("entry", "Calls on", fmt.Sprintf("FXO line %d", port), "/settings", "entry", 0)
		for _, r := range c.InboundRoutes {
			if len(r.Trunks) == 0 && len(r.DIDs) == 0 && (len(r.Lines) == 0 || slices.Contains(r.Lines, port)) {
				g.route(start, r)
				return g.layout(), true
			}
		}
		if d := c.FXOLines[i].Destination; d != "" {
			g.dest(start, "the line's own", "ext:"+d)
		}
	case "trunk", "did":
		trunk, did, _ := strings.Cut(rest, ":")
		ti := slices.IndexFunc(c.Trunks, func(t store.Trunk) bool { return t.Name == trunk })
		if ti < 0 || (kind == "did" && did == "") {
			return nil, false
		}
		label := fmt.Sprintf("SIP trunk %s", trunk)
		if did != "" {
			label = fmt.Sprintf("SIP trunk %s %s", trunk, did)
		}
		start, _ := g.node("entry", "Calls on", label, g.objectLink("trunks", trunk), "entry", 0)
		for _, r := range c.InboundRoutes {
			if (len(r.Trunks) > 0 || len(r.DIDs) > 0) && (len(r.Trunks) == 0 || slices.Contains(r.Trunks, trunk)) &&
				(len(r.DIDs) == 0 || slices.ContainsFunc(r.DIDs, func(d string) bool { return strings.TrimPrefix(d, "+") == strings.TrimPrefix(did, "+") })) {
				g.route(start, r)
				return g.layout(), true
			}
		}
		for _, d := range c.Trunks[ti].DIDs {
			if did == "" || strings.TrimPrefix(d.Number, "+") == strings.TrimPrefix(did, "+") {
				g.dest(start, "number "+d.Number, d.Destination)
			}
		}
	default:
		return nil, false
	}
	return g.layout(), true
}

// layout places the boxes in rows by depth, top to bottom, at most
// flowPerRow to a row (a menu's twelve keys wrap), and draws the arrows:
// down to a lower row as a curve, back up or sideways round the right.
func (g *flowGraph) layout() *flowGraph {
	byDepth := map[int][]*flowNode{}
	maxDepth := 0
	for _, n := range g.Nodes {
		byDepth[n.depth] = append(byDepth[n.depth], n)
		maxDepth = max(maxDepth, n.depth)
	}
	var rows [][]*flowNode
	for d := 0; d <= maxDepth; d++ {
		for ns := byDepth[d]; len(ns) > 0; {
			k := min(len(ns), flowPerRow)
			rows = append(rows, ns[:k])
			ns = ns[k:]
		}
	}
	widest := 1
	for _, row := range rows {
		widest = max(widest, len(row))
	}
	g.W = widest*(flowBoxW+flowGapX) + flowGapX + 40
	placed := map[*flowNode]bool{}
	for y, row := range rows {
		// Each box under its parents, as far as the row allows: boxes
		// in the order of their parents' mean place (fewer crossings).
		at := map[*flowNode]float64{}
		for i, n := range row {
			sum, k := 0, 0
			for _, e := range g.Edges {
				if e.To == n && placed[e.From] {
					sum, k = sum+e.From.X, k+1
				}
			}
			at[n] = float64(i) * 1e-3 // ties keep the order found
			if k > 0 {
				at[n] += float64(sum) / float64(k)
			}
		}
		slices.SortStableFunc(row, func(a, b *flowNode) int {
			switch {
			case at[a] < at[b]:
				return -1
			case at[a] > at[b]:
				return 1
			}
			return 0
		})
		width := len(row)*(flowBoxW+flowGapX) - flowGapX
		x0 := (g.W - 40 - width) / 2
		for i, n := range row {
			n.X, n.Y = x0+i*(flowBoxW+flowGapX), 8+y*(flowBoxH+flowGapY)
			placed[n] = true
		}
	}
	g.H = 8 + len(rows)*(flowBoxH+flowGapY)
	lane := 0
	for _, e := range g.Edges {
		x1, y1 := e.From.X+flowBoxW/2, e.From.Y+flowBoxH
		x2, y2 := e.To.X+flowBoxW/2, e.To.Y
		if y2 == y1+flowGapY {
			// To the next row: a curve.
			mid := y1 + flowGapY/2
			e.Path = fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, x1, mid, x2, mid, x2, y2-2)
			// The label near the target's end, where arrows part.
			e.LX, e.LY = x1+(x2-x1)*3/4, mid+(y2-mid)/3
			continue
		}
		// Past other rows, or back up: along the gaps between rows and
		// down a lane of its own at the right, so it crosses no box.
		lane++
		lx := g.W - 12 - 7*(lane%4)
		ya := y1 + flowGapY/4 + 3*(lane%3)
		yb := y2 - flowGapY/4 - 3*(lane%3)
		e.Path = fmt.Sprintf("M%d %d L%d %d L%d %d L%d %d L%d %d L%d %d", x1, y1, x1, ya, lx, ya, lx, yb, x2, yb, x2, y2-2)
		// The label where it leaves its box, which says what takes it.
		e.LX, e.LY = x1+8+3*len([]rune(e.Label)), ya-3
	}
	g.spreadLabels()
	return g
}

// spreadLabels moves labels that would overlap apart, a line at a time.
func (g *flowGraph) spreadLabels() {
	type box struct{ x0, x1, y0, y1 int }
	var taken []box
	for _, e := range g.Edges {
		if e.Label == "" {
			continue
		}
		w := 6 * len([]rune(e.Label)) // about 6 px a character at 11 px
		for try := 0; try < 6; try++ {
			b := box{e.LX - w/2, e.LX + w/2, e.LY - 10, e.LY + 2}
			if !slices.ContainsFunc(taken, func(o box) bool { return b.x0 < o.x1 && o.x0 < b.x1 && b.y0 < o.y1 && o.y0 < b.y1 }) {
				taken = append(taken, b)
				break
			}
			e.LY += 12
		}
	}
}

// callFlowBody is the call-flow page's content.
type callFlowBody struct {
	Entries []flowEntry
	Entry   string
	Graph   *flowGraph
	Full    bool // the diagram reached flowMaxNodes
}

// callFlowPage is the call-flow view: the index of entries, and the
// diagram of the one asked for.
func (s *Server) callFlowPage(w http.ResponseWriter, r *http.Request) {
	c, err := s.svc.ExportConfig(r.Context())
	if err != nil {
		s.renderServiceError(w, r, "call flow", err)
		return
	}
	entries := flowEntries(&c)
	entry := r.URL.Query().Get("entry")
	if entry == "" && len(entries) > 0 {
		entry = entries[0].Key
	}
	b := callFlowBody{Entries: entries, Entry: entry}
	if entry != "" {
		g, ok := buildFlow(&c, entry)
		if !ok {
			s.renderError(w, r, http.StatusNotFound, "There is no such line, trunk or number; choose one from the call flow page.")
			return
		}
		b.Graph, b.Full = g, len(g.Nodes) >= flowMaxNodes
	}
	s.render(w, r, http.StatusOK, "call_flow", pageData{Title: "Call flow", Active: "dialplan", Body: b})
}
