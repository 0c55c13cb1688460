package sip

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"

	"minipbx/telephony/channel"
)

// outgoingInvite builds the INVITE a trunk call sends, as startFork
// does, and returns its From and identity headers as text.
func outgoingInvite(cfg TrunkConfig, c channel.CallerID, divs []channel.Diversion) (string, map[string][]string) {
	pr := trunkPresentation(cfg, "sip.example.net", c, divs)
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "5551234", Host: "sip.example.net"})
	from := &sip.FromHeader{DisplayName: pr.fromName, Address: pr.from, Params: sip.NewParams()}
	req.AppendHeader(from)
	pr.addTo(req, divs)
	hdrs := map[string][]string{}
	for _, name := range []string{"P-Asserted-Identity", "Remote-Party-ID", "Privacy", "Diversion", "History-Info"} {
		for _, h := range req.GetHeaders(name) {
			hdrs[name] = append(hdrs[name], h.Value())
		}
	}
	return from.Value(), hdrs
}

func TestTrunkPresentation(t *testing.T) {
	base := TrunkConfig{Name: "carrier", CallerID: "4951110000", CallerName: "Office"}
	with := func(idh, divh string) TrunkConfig {
		c := base
		c.CallerIDHeader, c.DiversionHeader = idh, divh
		return c
	}
	ext := channel.CallerID{Number: "4951110201", Name: "Anna"}
	hidden := channel.CallerID{Number: "4951110201", Name: "Anna", Withheld: "P"}
	customer := channel.CallerID{Number: "79161234567", Name: "Customer"}
	fwd := []channel.Diversion{{Number: "4951110201", Reason: channel.DivertNoAnswer}}
	chain := []channel.Diversion{{Number: "4951110202", Reason: channel.DivertBusy}, {Number: "", Reason: channel.DivertUnconditional}}
	for _, tc := range []struct {
		name   string
		cfg    TrunkConfig
		caller channel.CallerID
		divs   []channel.Diversion
		from   string // substring of From
		want   map[string]string
		absent []string
	}{
		{name: "from shows the extension's number", cfg: with("", ""), caller: ext,
			from: `"Anna" <sip:4951110201@sip.example.net>`, absent: []string{"P-Asserted-Identity", "Privacy", "Diversion"}},
		{name: "no number of its own: the trunk's", cfg: with("from", ""), caller: channel.CallerID{},
			from: `"Office" <sip:4951110000@sip.example.net>`},
		{name: "pai keeps From the account", cfg: with("pai", ""), caller: ext,
			from: `<sip:4951110000@sip.example.net>`,
			want: map[string]string{"P-Asserted-Identity": `"Anna" <sip:4951110201@sip.example.net>`}, absent: []string{"Privacy"}},
		{name: "rpid", cfg: with("rpid", ""), caller: ext, from: `<sip:4951110000@sip.example.net>`,
			want: map[string]string{"Remote-Party-ID": `"Anna" <sip:4951110201@sip.example.net>;party=calling;screen=yes;privacy=off`}},
		{name: "trunk shows only the trunk", cfg: with("trunk", ""), caller: ext, from: `<sip:4951110000@sip.example.net>`,
			absent: []string{"P-Asserted-Identity", "Remote-Party-ID", "Privacy"}},
		{name: "withheld in from", cfg: with("from", ""), caller: hidden,
			from: `"Anonymous" <sip:anonymous@anonymous.invalid>`, want: map[string]string{"Privacy": "id"}},
		{name: "withheld with pai still asserts", cfg: with("pai", ""), caller: hidden,
			from: `"Anonymous" <sip:anonymous@anonymous.invalid>`,
			want: map[string]string{"Privacy": "id", "P-Asserted-Identity": `"Anna" <sip:4951110201@sip.example.net>`}},
		{name: "withheld rpid", cfg: with("rpid", ""), caller: hidden, from: "anonymous.invalid",
			want: map[string]string{"Remote-Party-ID": "privacy=full"}},
		{name: "withheld trunk", cfg: with("trunk", ""), caller: hidden, from: "4951110000",
			want: map[string]string{"Privacy": "id"}},
		{name: "forwarded customer with diversion", cfg: with("from", ""), caller: customer, divs: fwd,
			from: `"Customer" <sip:79161234567@sip.example.net>`,
			want: map[string]string{"Diversion": "<sip:4951110201@sip.example.net>;reason=no-answer;counter=1"}},
		{name: "forwarded, no diversion header", cfg: with("from", "none"), caller: customer, divs: fwd,
			from: "79161234567", absent: []string{"Diversion", "History-Info"}},
		{name: "history-info", cfg: with("pai", "history-info"), caller: customer, divs: fwd,
			from: "4951110000",
			want: map[string]string{"History-Info": "<sip:4951110201@sip.example.net>;index=1, <sip:5551234@sip.example.net;cause=408>;index=1.1;mp=1",
				"P-Asserted-Identity": `"Customer" <sip:79161234567@sip.example.net>`}},
		{name: "history-info of a chain", cfg: with("from", "history-info"), caller: customer, divs: chain,
			from: "79161234567",
			want: map[string]string{"History-Info": "<sip:4951110000@sip.example.net>;index=1, <sip:4951110202@sip.example.net;cause=302>;index=1.1;mp=1, <sip:5551234@sip.example.net;cause=486>;index=1.1.1;mp=1.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from, hdrs := outgoingInvite(tc.cfg, tc.caller, tc.divs)
			if !strings.Contains(from, tc.from) {
				t.Errorf("From %q, want it to hold %q", from, tc.from)
			}
			for name, want := range tc.want {
				got := strings.Join(hdrs[name], " | ")
				if !strings.Contains(got, want) {
					t.Errorf("%s %q, want %q", name, got, want)
				}
			}
			for _, name := range tc.absent {
				if v := hdrs[name]; len(v) > 0 {
					t.Errorf("%s %q sent, want none", name, v)
				}
			}
		})
	}
	// Diversion lists every redirection, the most recent first.
	_, hdrs := outgoingInvite(with("", ""), customer, chain)
	if d := hdrs["Diversion"]; len(d) != 2 || !strings.Contains(d[0], "4951110202") || !strings.Contains(d[0], "user-busy") ||
		!strings.Contains(d[1], "4951110000") || !strings.Contains(d[1], "unconditional") {
		t.Errorf("Diversion %q", d)
	}
}

// parseInvite reads a raw INVITE from a trunk.
func parseInvite(t testing.TB, hdrs string) *sip.Request {
	t.Helper()
	raw := "INVITE sip:4951110000@box SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n" +
		"To: <sip:4951110000@box>\r\nCall-ID: 1@x\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n" +
		hdrs + "Content-Length: 0\r\n\r\n"
	m, err := sip.NewParser().ParseSIP([]byte(raw))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return m.(*sip.Request)
}

func TestTrunkCaller(t *testing.T) {
	for _, tc := range []struct {
		name string
		hdrs string
		want channel.CallerID
	}{
		{"from", "From: \"Ivan\" <sip:+79161234567@prov>;tag=1\r\n", channel.CallerID{Number: "+79161234567", Name: "Ivan"}},
		{"anonymous from", "From: \"Anonymous\" <sip:anonymous@anonymous.invalid>;tag=1\r\n", channel.CallerID{Withheld: "P"}},
		{"pai over from", "From: <sip:4950000000@prov>;tag=1\r\nP-Asserted-Identity: \"Olga\" <sip:79160000001@prov>\r\n",
			channel.CallerID{Number: "79160000001", Name: "Olga"}},
		{"pai tel", "From: <sip:anonymous@anonymous.invalid>;tag=1\r\nP-Asserted-Identity: <tel:+7-916-000-0002>\r\nPrivacy: id\r\n",
			channel.CallerID{Number: "+79160000002", Withheld: "P"}},
		{"pai list", "From: <sip:x@prov>;tag=1\r\nP-Asserted-Identity: <sip:79160000003@prov>, <tel:+79160000003>\r\n",
			channel.CallerID{Number: "79160000003"}},
		{"rpid", "From: <sip:4950000000@prov>;tag=1\r\nRemote-Party-ID: \"Petr\" <sip:79160000004@prov>;party=calling;privacy=off\r\n",
			channel.CallerID{Number: "79160000004", Name: "Petr"}},
		{"rpid private", "From: <sip:4950000000@prov>;tag=1\r\nRemote-Party-ID: <sip:79160000005@prov>;party=calling;privacy=full\r\n",
			channel.CallerID{Number: "79160000005", Withheld: "P"}},
		{"rpid of the called party ignored", "From: <sip:79160000006@prov>;tag=1\r\nRemote-Party-ID: <sip:111@prov>;party=called\r\n",
			channel.CallerID{Number: "79160000006"}},
		{"privacy header", "From: \"Ivan\" <sip:79160000007@prov>;tag=1\r\nPrivacy: header;id\r\n",
			channel.CallerID{Number: "79160000007", Name: "Ivan", Withheld: "P"}},
		{"privacy none", "From: <sip:79160000008@prov>;tag=1\r\nPrivacy: none\r\n", channel.CallerID{Number: "79160000008"}},
		{"garbage pai ignored", "From: <sip:79160000009@prov>;tag=1\r\nP-Asserted-Identity: <<<\r\n", channel.CallerID{Number: "79160000009"}},
		{"escaped user", "From: <sip:%2B7916%2D000%2D0010@prov>;tag=1\r\n", channel.CallerID{Number: "+79160000010"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := trunkCaller(parseInvite(t, tc.hdrs)); got != tc.want {
				t.Errorf("caller %+v, want %+v", got, tc.want)
			}
		})
	}
}

func FuzzTrunkCaller(f *testing.F) {
	for _, s := range []string{
		"From: <sip:1@p>;tag=1\r\nP-Asserted-Identity: \"a\" <tel:+1>\r\n",
		"From: <sip:anonymous@anonymous.invalid>;tag=1\r\nRemote-Party-ID: <sip:2@p>;privacy=full\r\nPrivacy: id\r\n",
		"From: \"x,y\" <sip:3@p>;tag=1\r\nP-Asserted-Identity: \"q\\\"\" <sip:4@p>, <tel:5>\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, hdrs string) {
		if strings.Contains(hdrs, "\r\n\r\n") {
			return
		}
		raw := "INVITE sip:1@box SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nTo: <sip:1@box>\r\nCall-ID: 1@x\r\nCSeq: 1 INVITE\r\n" +
			hdrs + "\r\nContent-Length: 0\r\n\r\n"
		m, err := sip.NewParser().ParseSIP([]byte(raw))
		if err != nil {
			return
		}
		req, ok := m.(*sip.Request)
		if !ok || req.From() == nil {
			return
		}
		c := trunkCaller(req)
		if len(c.Number) > len(raw) || len(c.Name) > len(raw) {
			t.Fatalf("caller %+v longer than the request", c)
		}
		if c.Withheld != "" && c.Withheld != "P" {
			t.Fatalf("withheld %q", c.Withheld)
		}
	})
}
