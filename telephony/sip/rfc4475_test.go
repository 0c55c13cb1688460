package sip

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The messages of RFC 4475, "SIP Torture Test Messages", written from the
// RFC: its section 3 prints each message, with every line ending in CRLF
// (wire turns this file's LF into CRLF), long repeated strings as
// <repeat count=N> (strings.Repeat here) and non-printable octets by
// their hex value (Go escapes here). Each is sent to the box as one UDP
// datagram from a phone's address; the box acts as the RFC says an
// endpoint (a registrar, a UA that challenges) must.
func wire(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

var sdp150 = `v=0
o=mhandley 29739 7272939 IN IP4 192.0.2.%s
s=-
c=IN IP4 192.0.2.%s
t=0 0
m=audio 49217 RTP/AVP 0 12
m=video 3227 RTP/AVP 31
a=rtpmap:31 LPC
`

// sdpFrom is the SDP body most of the RFC's INVITEs carry, for host
// 192.0.2.<h>.
func sdpFrom(h string) string { return fmt.Sprintf(sdp150, h, h) }

type tortureCase struct {
	sect, name string
	msg        string
	valid      bool   // the RFC's verdict: a well-formed message
	status     int    // our answer; 0: none (a response we did not ask for)
	reason     string // its reason phrase (prefix)
	header     string // a header the answer must carry, "Name: value"
	// register: after the 401, authenticate as user and expect 200 with a
	// binding whose contact is contact.
	user, contact string
	// port is the sent-by port of the message's Via (default 5060): the
	// answer goes there, at the address the datagram came from (RFC 3261
	// §18.2.2).
	port int
	// tcp: sent over TCP, as its Vias say, because the answer is longer
	// than sipgo sends in one datagram (1,300 octets, RFC 3261 §18.1.1).
	tcp bool
}

var torture = []tortureCase{
	// 3.1.1 Valid messages: parsed and processed. INVITE and REGISTER are
	// challenged (407, 401), unknown methods get 501, OPTIONS 200.
	// Its To has a tag: a request within a dialog we do not have (RFC 3261
	// §12.2.2).
	{sect: "3.1.1.1", name: "wsinv", valid: true, status: 481, reason: "Call/Transaction Does Not Exist", msg: wire(`INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0
TO :
 sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n
from   : "J Rosenberg \\\""       <sip:jdrosen@example.com>
  ;
  tag = 98asjd8
MaX-fOrWaRdS: 0068
Call-ID: wsinv.ndaksdj@192.0.2.1
Content-Length   : 150
cseq: 0009
  INVITE
Via  : SIP  /   2.0
 /UDP
    192.0.2.2;branch=390skdjuw
s :
NewFangledHeader:   newfangled value
 continued newfangled value
UnknownHeaderWithUnusualValue: ;;,,;;,;
Content-Type: application/sdp
Route:
 <sip:services.example.com;lr;unknownwith=value;unknown-no-value>
v:  SIP  / 2.0  / TCP     spindle.example.com   ;
  branch  =   z9hG4bK9ikj8  ,
 SIP  /    2.0   / UDP  192.168.255.111   ; branch=
 z9hG4bK30239
m:"Quoted string \"\"" <sip:jdrosen@example.com> ; newparam =
      newvalue ;
  secondparam ; q = 0.33

v=0
o=mhandley 29739 7272939 IN IP4 192.0.2.3
s=-
c=IN IP4 192.0.2.4
t=0 0
m=audio 49217 RTP/AVP 0 12
m=video 3227 RTP/AVP 31
a=rtpmap:31 LPC
`)},
	{sect: "3.1.1.2", name: "intmeth", valid: true, status: 501, reason: "Not Implemented", header: "Allow: INVITE",
		msg: "!interesting-Method0123456789_*+`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0\r\n" +
			"Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~\r\n" +
			"To: \"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f\" <sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>\r\n" +
			"From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\xd1\x8e\xd1\x89\xd0\xb8\xd0\xb9\";tag=_token~1'+`*%!-.\r\n" +
			"Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{\r\n" +
			"CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~\r\n" +
			"Max-Forwards: 255\r\n" +
			"extensionHeader-!.%*+_`'~:\xef\xbb\xbf\xe5\xa4\xa7\xe5\x81\x9c\xe9\x9b\xbb\r\n" +
			"Content-Length: 0\r\n\r\n"},
	{sect: "3.1.1.3", name: "esc01", valid: true, status: 407, reason: "Proxy Authentication Required", msg: wire(`INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0
To: sip:%75se%72@example.com
From: <sip:I%20have%20spaces@example.net>;tag=938
Max-Forwards: 87
i: esc01.239409asdfakjkn23onasd0-3234
CSeq: 234234 INVITE
Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw
C: application/sdp
Contact:
  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>
Content-Length: 150

` + sdpFrom("1"))},
	{sect: "3.1.1.4", name: "escnull", valid: true, status: 401, reason: "Unauthorized", msg: wire(`REGISTER sip:example.com SIP/2.0
To: sip:null-%00-null@example.com
From: sip:null-%00-null@example.com;tag=839923423
Max-Forwards: 70
Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd
CSeq: 14398234 REGISTER
Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw
Contact: <sip:%00@host5.example.com>
Contact: <sip:%00%00@host5.example.com>
L:0

`)},
	{sect: "3.1.1.5", name: "esc02", valid: true, status: 501, reason: "Not Implemented", msg: wire(`RE%47IST%45R sip:registrar.example.com SIP/2.0
To: "%Z%45" <sip:resource@example.com>
From: "%Z%45" <sip:resource@example.com>;tag=f232jadfj23
Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf
Via: SIP/2.0/TCP host.example.com;branch=z9hG4bK209%fzsnel234
CSeq: 29344 RE%47IST%45R
Max-Forwards: 70
Contact: <sip:alias1@host1.example.com>
C%6Fntact: <sip:alias2@host2.example.com>
Contact: <sip:alias3@host3.example.com>
l: 0

`)},
	{sect: "3.1.1.6", name: "lwsdisp", valid: true, status: 200, reason: "OK", msg: wire(`OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: caller<sip:caller@example.com>;tag=323
Max-Forwards: 70
Call-ID: lwsdisp.1234abcd@funky.example.com
CSeq: 60 OPTIONS
Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw
l: 0

`)},
	{sect: "3.1.1.7", name: "longreq", valid: true, tcp: true, status: 407, reason: "Proxy Authentication Required", msg: longreq()},
	{sect: "3.1.1.8", name: "dblreq", valid: true, status: 401, reason: "Unauthorized", header: "Call-ID: dblreq.0ha0isndaksdj99sdfafnl3lk233412", msg: wire(`REGISTER sip:example.com SIP/2.0
To: sip:j.user@example.com
From: sip:j.user@example.com;tag=43251j3j324
Max-Forwards: 8
I: dblreq.0ha0isndaksdj99sdfafnl3lk233412
Contact: sip:j.user@host.example.com
CSeq: 8 REGISTER
Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492
Content-Length: 0


INVITE sip:joe@example.com SIP/2.0
t: sip:joe@example.com
From: sip:caller@example.net;tag=141334
Max-Forwards: 8
Call-ID: dblreq.0ha0isnda977644900765@192.0.2.15
CSeq: 8 INVITE
Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234
Content-Type: application/sdp
Content-Length: 150

v=0
o=mhandley 29739 7272939 IN IP4 192.0.2.15
s=-
c=IN IP4 192.0.2.15
t=0 0
m=audio 49217 RTP/AVP 0 12
m =video 3227 RTP/AVP 31
a=rtpmap:31 LPC

`)},
	{sect: "3.1.1.9", name: "semiuri", valid: true, status: 200, reason: "OK", msg: wire(`OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0
To: sip:j_user@example.com
From: sip:caller@example.org;tag=33242
Max-Forwards: 3
Call-ID: semiuri.0ha0isndaksdj
CSeq: 8 OPTIONS
Accept: application/sdp, application/pkcs7-mime,
        multipart/mixed, multipart/signed,
        message/sip, message/sipfrag
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw
l: 0

`)},
	{sect: "3.1.1.10", name: "transports", valid: true, status: 200, reason: "OK", msg: wire(`OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: <sip:caller@example.com>;tag=323
Max-Forwards: 70
Call-ID:  transports.kijh4akdnaqjkwendsasfdj
Accept: application/sdp
CSeq: 60 OPTIONS
Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw
Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf
Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj
Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en
Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee
l: 0

`)},
	// The RFC's second body part is an S/MIME signature; what it tests is
	// framing a binary part, NULs and bare CR and LF included, by
	// Content-Length. Every octet value stands in for it here.
	{sect: "3.1.1.11", name: "mpart01", valid: true, status: 501, reason: "Not Implemented", msg: mpart01()},
	{sect: "3.1.1.12", name: "unreason", valid: true, msg: wire("SIP/2.0 200 = 2**3 * 5**2 \u043d\u043e \u0441\u0442\u043e \u0434\u0435\u0432\u044f\u043d\u043e\u0441\u0442\u043e \u0434\u0435\u0432\u044f\u0442\u044c - \u043f\u0440\u043e\u0441\u0442\u043e\u0435" + `
Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923
Call-ID: unreason.1234ksdfak3j2erwedfsASdf
CSeq: 35 INVITE
From: sip:user@example.com;tag=11141343
To: sip:user@example.edu;tag=2229
Content-Length: 154
Content-Type: application/sdp
Contact: <sip:user@host198.example.com>

` + sdpFrom("198"))},
	{sect: "3.1.1.13", name: "noreason", valid: true, msg: wire(`SIP/2.0 100 
Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe
Call-ID: noreason.asndj203insdf99223ndf
CSeq: 35 INVITE
From: <sip:user@example.com>;tag=39ansfi3
To: <sip:user@example.edu>;tag=902jndnke3
Content-Length: 0
Contact: <sip:user@host105.example.com>

`)},

	// 3.1.2 Invalid messages: refused.
	{sect: "3.1.2.1", name: "badinv01", status: 400, reason: "Bad Request", msg: wire(`INVITE sip:user@example.com SIP/2.0
To: sip:j.user@example.com
From: sip:caller@example.net;tag=134161461246
Max-Forwards: 7
Call-ID: badinv01.0ha0isndaksdjasdf3234nas
CSeq: 8 INVITE
Via: SIP/2.0/UDP 192.0.2.15;;,;,,
Contact: "Joe" <sip:joe@example.org>;;;;
Content-Length: 152
Content-Type: application/sdp

` + sdpFrom("15"))},
	{sect: "3.1.2.2", name: "clerr", status: 400, reason: "Bad Request", msg: wire(`INVITE sip:user@example.com SIP/2.0
Max-Forwards: 80
To: sip:j.user@example.com
From: sip:caller@example.net;tag=93942939o2
Contact: <sip:caller@hungry.example.net>
Call-ID: clerr.0ha0isndaksdjweiafasdk3
CSeq: 8 INVITE
Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523
Content-Type: application/sdp
Content-Length: 9999

` + sdpFrom("155"))},
	{sect: "3.1.2.3", name: "ncl", status: 400, reason: "Bad Request", msg: wire(`INVITE sip:user@example.com SIP/2.0
Max-Forwards: 254
To: sip:j.user@example.com
From: sip:caller@example.net;tag=32394234
Call-ID: ncl.0ha0isndaksdj2193423r542w35
CSeq: 0 INVITE
Via: SIP/2.0/UDP 192.0.2.53;branch=z9hG4bKkdjuw
Contact: <sip:caller@example53.example.net>
Content-Type: application/sdp
Content-Length: -999

` + sdpFrom("53"))},
	{sect: "3.1.2.4", name: "scalar02", status: 400, reason: "Bad Request", msg: wire(`REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bK342sdfoi3
To: <sip:user@example.com>
From: <sip:user@example.com>;tag=239232jh3
CSeq: 36893488147419103232 REGISTER
Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32
Max-Forwards: 300
Expires: 1` + strings.Repeat("0", 100) + `
Contact: <sip:user@host129.example.com>
  ;expires=280297596632815
Content-Length: 0

`)},
	{sect: "3.1.2.5", name: "scalarlg", msg: wire(`SIP/2.0 503 Service Unavailable
Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bKzzxdiwo34sw;received=192.0.2.129
To: <sip:user@example.com>
From: <sip:other@example.net>;tag=2easdjfejw
CSeq: 9292394834772304023312 OPTIONS
Call-ID: scalarlg.noase0of0234hn2qofoaf0232aewf2394r
Retry-After: 949302838503028349304023988
Warning: 1812 overture "In Progress"
Content-Length: 0

`)},
	{sect: "3.1.2.6", name: "quotbal", port: 5050, status: 400, reason: "Bad Request", msg: wire(`INVITE sip:user@example.com SIP/2.0
To: "Mr. J. User <sip:j.user@example.com>
From: sip:caller@example.net;tag=93334
Max-Forwards: 10
Call-ID: quotbal.aksdj
Contact: <sip:caller@host59.example.net>
CSeq: 8 INVITE
Via: SIP/2.0/UDP 192.0.2.59:5050;branch=z9hG4bKkdjuw39234
Content-Type: application/sdp
Content-Length: 152

` + sdpFrom("15"))},
	{sect: "3.1.2.7", name: "ltgtruri", status: 400, reason: "Bad Request", msg: wire(`INVITE <sip:user@example.com> SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=39291
Max-Forwards: 23
Call-ID: ltgtruri.1@192.0.2.5
CSeq: 1 INVITE
Via: SIP/2.0/UDP 192.0.2.5
Contact: <sip:caller@host5.example.net>
Content-Type: application/sdp
Content-Length: 159

` + sdpLate("5"))},
	{sect: "3.1.2.8", name: "lwsruri", status: 400, reason: "Bad Request", msg: wire(`INVITE sip:user@example.com; lr SIP/2.0
To: sip:user@example.com;tag=3xfe-9921883-z9f
From: sip:caller@example.net;tag=231413434
Max-Forwards: 5
Call-ID: lwsruri.asdfasdoeoi2323-asdfwrn23-asd834rk423
CSeq: 2130706432 INVITE
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKkdjuw2395
Contact: <sip:caller@host1.example.net>
Content-Type: application/sdp
Content-Length: 159

` + sdpLate("1"))},
	{sect: "3.1.2.9", name: "lwsstart", status: 400, reason: "Bad Request", msg: wire(`INVITE  sip:user@example.com  SIP/2.0
Max-Forwards: 8
To: sip:user@example.com
From: sip:caller@example.net;tag=8814
Call-ID: lwsstart.dfknq234oi243099adsdfnawe3@example.com
CSeq: 1893884 INVITE
Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw3923
Contact: <sip:caller@host1.example.net>
Content-Type: application/sdp
Content-Length: 150

` + sdpFrom("1"))},
	{sect: "3.1.2.10", name: "trws", status: 400, reason: "Bad Request", msg: wire(`OPTIONS sip:remote-target@example.com SIP/2.0  
Via: SIP/2.0/TCP host1.examle.com;branch=z9hG4bK299342093
To: <sip:remote-target@example.com>
From: <sip:local-resource@example.com>;tag=329429089
Call-ID: trws.oicu34958239neffasdhr2345r
Accept: application/sdp
CSeq: 238923 OPTIONS
Max-Forwards: 70
Content-Length: 0

`)},
	{sect: "3.1.2.11", name: "escruri", status: 400, reason: "Bad Request", msg: wire(`INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=341518
Max-Forwards: 7
Contact: <sip:caller@host39923.example.net>
Call-ID: escruri.23940-asdfhj-aje3br-234q098w-fawerh2q-h4n5
CSeq: 149209342 INVITE
Via: SIP/2.0/UDP host-of-the-hour.example.com;branch=z9hG4bKkdjuw
Content-Type: application/sdp
Content-Length: 150

` + sdpFrom("1"))},
	{sect: "3.1.2.12", name: "baddate", status: 400, reason: "Bad Request", msg: wire(`INVITE sip:user@example.com SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=2234923
Max-Forwards: 70
Call-ID: baddate.239423mnsadf3j23lj42--sedfnm234
CSeq: 1392934 INVITE
Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw
Date: Fri, 01 Jan 2010 16:00:00 EST
Contact: <sip:caller@host5.example.net>
Content-Type: application/sdp
Content-Length: 150

` + sdpFrom("5"))},
	{sect: "3.1.2.13", name: "regbadct", status: 400, reason: "Bad Request", msg: wire(`REGISTER sip:example.com SIP/2.0
To: sip:user@example.com
From: sip:user@example.com;tag=998332
Max-Forwards: 70
Call-ID: regbadct.k345asrl3fdbv@10.0.0.1
CSeq: 1 REGISTER
Via: SIP/2.0/UDP 135.180.130.133:5060;branch=z9hG4bKkdjuw
Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E
l: 0

`)},
	{sect: "3.1.2.14", name: "badaspec", status: 400, reason: "Bad Request", msg: wire(`OPTIONS sip:user@example.org SIP/2.0
Via: SIP/2.0/UDP host4.example.com:5060;branch=z9hG4bKkdju43234
Max-Forwards: 70
From: "Bell, Alexander" <sip:a.g.bell@example.com>;tag=433423
To: "Watson, Thomas" < sip:t.watson@example.org >
Call-ID: badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3
Accept: application/sdp
CSeq: 3923239 OPTIONS
l: 0

`)},
	{sect: "3.1.2.15", name: "baddn", status: 400, reason: "Bad Request", msg: wire(`OPTIONS sip:t.watson@example.org SIP/2.0
Via:     SIP/2.0/UDP c.example.com:5060;branch=z9hG4bKkdjuw
Max-Forwards:      70
From:    Bell, Alexander <sip:a.g.bell@example.com>;tag=43
To:      Watson, Thomas <sip:t.watson@example.org>
Call-ID: baddn.31415@c.example.com
Accept: application/sdp
CSeq:    3923239 OPTIONS
l: 0

`)},
	{sect: "3.1.2.16", name: "badvers", status: 505, reason: "Version Not Supported", msg: wire(`OPTIONS sip:t.watson@example.org SIP/7.0
Via:     SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw
Max-Forwards:     70
From:    A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe
To:      T. Watson <sip:t.watson@example.org>
Call-ID: badvers.31417@c.example.com
CSeq:    1 OPTIONS
l: 0

`)},
	{sect: "3.1.2.17", name: "mismatch01", status: 400, reason: "Bad Request", msg: wire(`OPTIONS sip:user@example.com SIP/2.0
To: sip:j.user@example.com
From: sip:caller@example.net;tag=34525
Max-Forwards: 6
Call-ID: mismatch01.dj0234sxdfl3
CSeq: 8 INVITE
Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw
l: 0

`)},
	// "A 400 Bad Request is also acceptable, but choosing a 501 ... has
	// better future-proof characteristics."
	{sect: "3.1.2.18", name: "mismatch02", status: 501, reason: "Not Implemented", msg: wire(`NEWMETHOD sip:user@example.com SIP/2.0
To: sip:j.user@example.com
From: sip:caller@example.net;tag=34525
Max-Forwards: 6
Call-ID: mismatch02.dj0234sxdfl3
CSeq: 8 INVITE
Contact: <sip:caller@host.example.net>
Via: SIP/2.0/UDP host.example.net;branch=z9hG4bKkdjuw
Content-Type: application/sdp
l: 138

v=0
o=mhandley 29739 7272939 IN IP4 192.0.2.1
c=IN IP4 192.0.2.1
m=audio 49217 RTP/AVP 0 12
m=video 3227 RTP/AVP 31
a=rtpmap:31 LPC
`)},
	{sect: "3.1.2.19", name: "bigcode", msg: wire(`SIP/2.0 4294967301 better not break the receiver
Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe
Call-ID: bigcode.asdof3uj203asdnf3429uasdhfas3ehjasdfas9i
CSeq: 353494 INVITE
From: <sip:user@example.com>;tag=39ansfi3
To: <sip:user@example.edu>;tag=902jndnke3
Content-Length: 0
Contact: <sip:user@host105.example.com>

`)},

	// 3.2.1 A branch that is only the magic cookie: "reject ... with a
	// 400 ..., or ... fall back to the RFC 2543-style transaction
	// identifier". We refuse it.
	{sect: "3.2.1", name: "badbranch", status: 400, reason: "Bad Request", msg: wire(`OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: sip:caller@example.org;tag=33242
Max-Forwards: 3
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK
Accept: application/sdp
Call-ID: badbranch.sadonfo23i420jv0as0derf3j3n
CSeq: 8 OPTIONS
l: 0

`)},

	// 3.3 Application-layer semantics.
	{sect: "3.3.1", name: "insuf", status: 400, reason: "Bad Request", msg: wire(`INVITE sip:user@example.com SIP/2.0
CSeq: 193942 INVITE
Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf
Content-Type: application/sdp
l: 152

` + sdpFrom("95"))},
	{sect: "3.3.2", name: "unkscm", valid: true, status: 416, reason: "Unsupported URI Scheme", msg: wire(`OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=384
Max-Forwards: 3
Call-ID: unkscm.nasdfasser0q239nwsdfasdkl34
CSeq: 3923423 OPTIONS
Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234
Content-Length: 0

`)},
	{sect: "3.3.3", name: "novelsc", valid: true, status: 416, reason: "Unsupported URI Scheme", msg: wire(`OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=384
Max-Forwards: 3
Call-ID: novelsc.asdfasser0q239nwsdfasdkl34
CSeq: 3923423 OPTIONS
Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234
Content-Length: 0

`)},
	// "A registrar would reject this request with a 400 Bad Request
	// response, since the To: header field is required to contain a SIP
	// or SIPS URI as an AOR."
	{sect: "3.3.4", name: "unksm2", valid: true, status: 400, reason: "Bad Request", msg: wire(`REGISTER sip:example.com SIP/2.0
To: isbn:2983792873
From: <http://www.example.com>;tag=3234233
Call-ID: unksm2.daksdj@hyphenated-host.example.com
CSeq: 234902 REGISTER
Max-Forwards: 70
Via: SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bKkdjuw
Contact: <name:John_Smith>
l: 0

`)},
	{sect: "3.3.5", name: "bext01", valid: true, status: 420, reason: "Bad Extension", header: "Unsupported: nothingSupportsThis, nothingSupportsThisEither", msg: wire(`OPTIONS sip:user@example.com SIP/2.0
To: sip:j_user@example.com
From: sip:caller@example.net;tag=242etr
Max-Forwards: 6
Call-ID: bext01.0ha0isndaksdj
Require: nothingSupportsThis, nothingSupportsThisEither
Proxy-Require: noProxiesSupportThis, norDoAnyProxiesSupportThis
CSeq: 8 OPTIONS
Via: SIP/2.0/TLS fold-and-staple.example.com;branch=z9hG4bKkdjuw
Content-Length: 0

`)},
	{sect: "3.3.6", name: "invut", valid: true, status: 415, reason: "Unsupported Media Type", header: "Accept: application/sdp", msg: wire(`INVITE sip:user@example.com SIP/2.0
Contact: <sip:caller@host5.example.net>
To: sip:j.user@example.com
From: sip:caller@example.net;tag=8392034
Max-Forwards: 70
Call-ID: invut.0ha0isndaksdjadsfij34n23d
CSeq: 235448 INVITE
Via: SIP/2.0/UDP somehost.example.com;branch=z9hG4bKkdjuw
Content-Type: application/unknownformat
Content-Length: 40

<audio>
 <pcmu port="443"/>
</audio>
`)},
	{sect: "3.3.7", name: "regaut01", valid: true, status: 401, reason: "Unauthorized", msg: wire(`REGISTER sip:example.com SIP/2.0
To: sip:j.user@example.com
From: sip:j.user@example.com;tag=87321hj23128
Max-Forwards: 8
Call-ID: regaut01.0ha0isndaksdj
CSeq: 9338 REGISTER
Via: SIP/2.0/TCP 192.0.2.253;branch=z9hG4bKkdjuw
Authorization: NoOneKnowsThisScheme opaque-data=here
Content-Length:0

`)},
	{sect: "3.3.8", name: "multi01", status: 400, reason: "Bad Request", msg: wire(`INVITE sip:user@company.com SIP/2.0
Contact: <sip:caller@host25.example.net>
Via: SIP/2.0/UDP 192.0.2.25;branch=z9hG4bKkdjuw
Max-Forwards: 70
CSeq: 5 INVITE
Call-ID: multi01.98asdh@192.0.2.1
CSeq: 59 INVITE
Call-ID: multi01.98asdh@192.0.2.2
From: sip:caller@example.com;tag=3413415
To: sip:user@example.com
To: sip:other@example.net
From: sip:caller@example.net;tag=2923420123
Content-Type: application/sdp
l: 154
Contact: <sip:caller@host36.example.net>
Max-Forwards: 5

` + sdpFrom("25") + "\n")},
	{sect: "3.3.9", name: "mcl01", status: 400, reason: "Bad Request", msg: wire(`OPTIONS sip:user@example.com SIP/2.0
Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bK293423
To: sip:user@example.com
From: sip:other@example.net;tag=3923942
Call-ID: mcl01.fhn2323orihawfdoa3o4r52o3irsdf
CSeq: 15932 OPTIONS
Content-Length: 13
Max-Forwards: 60
Content-Length: 5
Content-Type: text/plain

There's no way to know how many octets are supposed to be here.

`)},
	{sect: "3.3.10", name: "bcast", valid: true, msg: wire(`SIP/2.0 200 OK
Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923
Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber23
Call-ID: bcast.0384840201234ksdfak3j2erwedfsASdf
CSeq: 35 INVITE
From: sip:user@example.com;tag=11141343
To: sip:user@example.edu;tag=2229
Content-Length: 154
Content-Type: application/sdp
Contact: <sip:user@host28.example.com>

` + sdpFrom("198"))},
	// "An endpoint should process the request as if the Max-Forwards
	// field value were still positive."
	{sect: "3.3.11", name: "zeromf", valid: true, status: 200, reason: "OK", msg: wire(`OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=3ghsd41
Call-ID: zeromf.jfasdlfnm2o2l43r5u0asdfas
CSeq: 39234321 OPTIONS
Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw2349i
Max-Forwards: 0
Content-Length: 0

`)},
	// "This REGISTER should succeed. The response must not include
	// 'unknownparam' as a url-parameter for this binding."
	{sect: "3.3.12", name: "cparam01", valid: true, status: 401, reason: "Unauthorized", user: "watson", contact: "sip:+19725552222@gw1.example.net", msg: wire(`REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw
Max-Forwards: 70
From: sip:watson@example.com;tag=DkfVgjkrtMwaerKKpe
To: sip:watson@example.com
Call-ID: cparam01.70710@saturn.example.com
CSeq: 2 REGISTER
Contact: sip:+19725552222@gw1.example.net;unknownparam
l: 0

`)},
	// "... a subsequent retrieval of the registration must include
	// 'unknownparam' as a url-parameter."
	{sect: "3.3.13", name: "cparam02", valid: true, status: 401, reason: "Unauthorized", user: "watson", contact: "sip:+19725552222@gw1.example.net;unknownparam", msg: wire(`REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw
Max-Forwards: 70
From: sip:watson@example.com;tag=838293
To: sip:watson@example.com
Call-ID: cparam02.70710@saturn.example.com
CSeq: 3 REGISTER
Contact: <sip:+19725552222@gw1.example.net;unknownparam>
l: 0

`)},
	// "... must include the escaped Route header in the contact URI".
	{sect: "3.3.14", name: "regescrt", valid: true, status: 401, reason: "Unauthorized", user: "user", contact: "sip:user@example.com?Route=%3Csip:sip.example.com%3E", msg: wire(`REGISTER sip:example.com SIP/2.0
To: sip:user@example.com
From: sip:user@example.com;tag=8
Max-Forwards: 70
Call-ID: regescrt.k345asrl3fdbv@192.0.2.1
CSeq: 14398234 REGISTER
Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw
M: <sip:user@example.com?Route=%3Csip:sip.example.com%3E>
L:0

`)},
	{sect: "3.3.15", name: "sdp01", valid: true, status: 406, reason: "Not Acceptable", header: "Accept: application/sdp", msg: wire(`INVITE sip:user@example.com SIP/2.0
To: sip:j_user@example.com
Contact: <sip:caller@host15.example.net>
From: sip:caller@example.net;tag=234
Max-Forwards: 5
Call-ID: sdp01.ndaksdj9342dasdd
Accept: text/nobodyKnowsThis
CSeq: 8 INVITE
Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw
Content-Length: 150
Content-Type: application/sdp

` + sdpFrom("5"))},

	// 3.4.1 RFC 2543 syntax: no branch, no From tag, no Content-Length
	// (the body is the rest of the datagram), no Max-Forwards. "should
	// be accepted by RFC 3261 elements that want to maintain backwards
	// compatibility": it is challenged like any INVITE.
	{sect: "3.4.1", name: "inv2543", valid: true, status: 407, reason: "Proxy Authentication Required", msg: wire(`INVITE sip:UserB@example.com SIP/2.0
Via: SIP/2.0/UDP iftgw.example.com
From: <sip:+13035551111@ift.client.example.net;user=phone>
Record-Route: <sip:UserB@example.com;maddr=ss1.example.com>
To: sip:+16505552222@ss1.example.net;user=phone
Call-ID: inv2543.1717@ift.client.example.com
CSeq: 56 INVITE
Content-Type: application/sdp

v=0
o=mhandley 29739 7272939 IN IP4 192.0.2.5
s=-
c=IN IP4 192.0.2.5
t=0 0
m=audio 49217 RTP/AVP 0
`)},
}

// sdpLate is the SDP of ltgtruri and lwsruri (a start time instead of 0).
func sdpLate(h string) string {
	return strings.Replace(sdpFrom(h), "t=0 0", "t=3149328700 0", 1)
}

func longreq() string {
	r := strings.Repeat
	return wire(`INVITE sip:user@example.com SIP/2.0
To: "I have a user name of ` + r("extreme", 10) + ` proportion"<sip:user@example.com:6000;unknownparam1=very` + r("long", 20) + `value;longparam` + r("name", 25) + `=shortvalue;very` + r("long", 25) + `ParameterNameWithNoValue>
F: sip:` + r("amazinglylongcallername", 5) + `@example.net;tag=1` + r("298", 50) + `2424;unknownheaderparam` + r("name", 20) + `=unknowheaderparam` + r("value", 15) + `;unknownValueless` + r("paramname", 10) + `
Call-ID: longreq.one` + r("really", 20) + `longcallid
CSeq: 3882340 INVITE
Unknown-` + r("Long", 20) + `-Name: unknown-` + r("long", 20) + `-value; unknown-` + r("long", 20) + `-parameter-name = unknown-` + r("long", 20) + `-parameter-value
` + longreqVias() + `Via: SIP/2.0/TCP host.example.com;received=192.0.2.5;branch=very` + r("long", 50) + `branchvalue
Max-Forwards: 70
Contact: <sip:` + r("amazinglylongcallername", 5) + `@host5.example.net>
Content-Type: application/sdp
l: 150

` + sdpFrom("1"))
}

// longreqVias are longreq's 33 Via lines (sip33 down to sip1), with
// every spelling of the header name the RFC uses.
func longreqVias() string {
	names := []string{"Via: ", "v: ", "V: ", "Via: ", "ViA: ", "VIa: ", "VIA: ", "via: ", "viA: ", "vIa: ", "vIA: ",
		"V :  ", "v :  ", "V  : ", "v  : ", "Via : ", "Via  : "}
	var b strings.Builder
	for n := 33; n >= 1; n-- {
		name := "Via: "
		if i := 33 - n; i < len(names) {
			name = names[i]
		}
		fmt.Fprintf(&b, "%sSIP/2.0/TCP sip%d.example.com\n", name, n)
	}
	return b.String()
}

func mpart01() string {
	bin := make([]byte, 256)
	for i := range bin {
		bin[i] = byte(i)
	}
	body := wire(`--7a9cbec02ceef655
Content-Type: text/plain
Content-Transfer-Encoding: binary

Hello
--7a9cbec02ceef655
Content-Type: application/octet-stream
Content-Transfer-Encoding: binary

`) + string(bin) + "\r\n--7a9cbec02ceef655--\r\n"
	return wire(`MESSAGE sip:kumiko@example.org SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-;rport
Max-Forwards: 70
Route: <sip:127.0.0.1:5080>
Identity: r5mwreLuyDRYBi/0TiPwEsY3rEVsk/G2WxhgTV1PF7hHuLIK0YWVKZhKv9Mj8UeXqkMVbnVq37CD+813gvYjcBUaZngQmXc9WNZSDNGCzA+fWl9MEUHWIZo1CeJebdY/XlgKeTa0Olvq0rt70Q5jiSfbqMJmQFteeivUhkMWYUA=
Contact: <sip:fluffy@127.0.0.1:5070>
To: <sip:kumiko@example.org>
From: <sip:fluffy@example.com>;tag=2fb0dcc9
Call-ID: 3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..
CSeq: 1 MESSAGE
Content-Transfer-Encoding: binary
Content-Type: multipart/mixed;boundary=7a9cbec02ceef655
Date: Sat, 15 Oct 2005 04:44:56 GMT
User-Agent: SIPimp.org/0.2.5 (curses)
`) + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body)) + body
}

// tortureIP is the loopback address the torture messages come from. The
// RFC's messages have no rport, so the box answers at the Via's sent-by
// port (5060 unless it names one) of the address they came from.
const tortureIP = "127.0.0.45"

// TestRFC4475 sends every torture message to a fresh box (several share
// a transaction's branch and sent-by) and checks the answer; after each
// the box still answers OPTIONS.
func TestRFC4475(t *testing.T) {
	creds := staticCreds{"201": "secret201", "watson": "secretwatson", "user": "secretuser"}
	for _, tc := range torture {
		t.Run(tc.sect+"-"+tc.name, func(t *testing.T) {
			s := startServer(t, Config{Credentials: creds})
			port := tc.port
			if port == 0 {
				port = 5060
			}
			la := &net.UDPAddr{IP: net.ParseIP(tortureIP), Port: port}
			c, err := net.DialUDP("udp", la, net.UDPAddrFromAddrPort(s.Addr()))
			if err != nil {
				t.Fatalf("the torture messages need UDP port %s free (is a pbxd running here?): %v", la, err)
			}
			t.Cleanup(func() { c.Close() })
			r := &rawUA{t: t, conn: c, pbx: s.Addr()}
			wait := time.Second
			if tc.status == 0 {
				wait = 300 * time.Millisecond
			}
			var res *rawMessage
			if tc.tcp {
				res = tcpAnswer(t, s, tc.msg)
			} else {
				if _, err := c.Write([]byte(tc.msg)); err != nil {
					t.Fatal(err)
				}
				res = readAnswer(c, wait)
			}
			switch {
			case tc.status == 0 && res != nil:
				t.Fatalf("answered %q, want no answer", res.start)
			case tc.status != 0 && res == nil:
				t.Fatalf("no answer, want %d", tc.status)
			case res != nil && !strings.HasPrefix(res.start, fmt.Sprintf("SIP/2.0 %d %s", tc.status, tc.reason)):
				t.Fatalf("answered %q, want %d %q", res.start, tc.status, tc.reason)
			}
			if res != nil && tc.header != "" {
				name, value, _ := strings.Cut(tc.header, ": ")
				if h := res.first(strings.ToLower(name)); h == nil || !strings.Contains(h.value, value) {
					t.Errorf("%s: %v, want %q", name, h, value)
				}
			}
			if res != nil {
				if more := readAnswer(c, 200*time.Millisecond); more != nil {
					t.Errorf("a second answer: %q (Call-ID %v)", more.start, more.first("call-id"))
				}
			}
			if tc.user != "" {
				registerTorture(t, s, r, tc, res)
			}
			if ok := r.send(optionsTo(r), time.Second); ok == nil || ok.StatusCode != 200 {
				t.Fatalf("the box stopped answering: %v", ok)
			}
		})
	}
}

// tcpAnswer sends msg over a new TCP connection and reads the first
// answer but a 100 Trying.
func tcpAnswer(t *testing.T, s *Server, msg string) *rawMessage {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	var got []byte
	buf := make([]byte, 65535)
	for {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		for {
			m, ok, _ := splitMessage(got)
			if !ok {
				break
			}
			head := bytes.Index(got, []byte("\r\n\r\n")) + 4
			cl := 0
			if h := m.first("content-length"); h != nil {
				cl, _ = strconv.Atoi(h.value)
			}
			if len(got) < head+cl {
				break
			}
			got = got[head+cl:]
			if !strings.HasPrefix(m.start, "SIP/2.0 100 ") {
				return &m
			}
		}
		if err != nil {
			return nil
		}
	}
}

// readAnswer reads the next answer but a 100 Trying, split into its
// parts without sipgo: an answer to a malformed request echoes its
// malformed headers, as it must.
func readAnswer(c *net.UDPConn, wait time.Duration) *rawMessage {
	buf := make([]byte, 65535)
	deadline := time.Now().Add(wait)
	for {
		_ = c.SetReadDeadline(deadline)
		n, err := c.Read(buf)
		if err != nil {
			return nil
		}
		m, ok, _ := splitMessage(buf[:n])
		if ok && !strings.HasPrefix(m.start, "SIP/2.0 100 ") {
			return &m
		}
	}
}

// registerTorture answers the 401 to a torture REGISTER with the user's
// credentials and checks the binding the registrar kept.
func registerTorture(t *testing.T, s *Server, r *rawUA, tc tortureCase, chal *rawMessage) {
	t.Helper()
	secret := map[string]string{"watson": "secretwatson", "user": "secretuser"}[tc.user]
	auth := digestFor(chal.first("www-authenticate").value, "REGISTER", "sip:example.com", tc.user, secret, 1)
	msg := strings.Replace(tc.msg, "\r\nMax-Forwards: 70\r\n", "\r\nMax-Forwards: 70\r\nAuthorization: "+auth+"\r\n", 1)
	// A new transaction: the next CSeq and another branch.
	msg = strings.Replace(msg, "branch=z9hG4bKkdjuw", "branch=z9hG4bKkdjuw-2", 1)
	cseq := strings.Index(msg, "CSeq: ")
	var n int
	fmt.Sscanf(msg[cseq+6:], "%d", &n)
	msg = msg[:cseq] + fmt.Sprintf("CSeq: %d", n+1) + msg[cseq+6+len(fmt.Sprint(n)):]
	res := r.send(msg, time.Second)
	if res == nil || res.StatusCode != 200 {
		t.Fatalf("authenticated REGISTER: %v", res)
	}
	regs := s.Registrations()
	if len(regs) != 1 || regs[0].Contact != tc.contact {
		t.Fatalf("bindings %+v, want one with contact %q", regs, tc.contact)
	}
}

func optionsTo(r *rawUA) string {
	return "OPTIONS sip:" + r.pbx.String() + " SIP/2.0\r\nVia: SIP/2.0/UDP " + r.local() + ";branch=z9hG4bK-alive" +
		fmt.Sprint(time.Now().UnixNano()) + "\r\nFrom: <sip:p@x>;tag=p\r\nTo: <sip:x>\r\nCall-ID: alive\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
}

// TestRFC4475Transcription checks the table against the RFC's own
// numbers: every message's Content-Length (where it has one that is not
// deliberately wrong) matches its body, and the table has all 49.
func TestRFC4475Transcription(t *testing.T) {
	if len(torture) != 49 {
		t.Fatalf("%d messages, RFC 4475 has 49", len(torture))
	}
	wrongOnPurpose := map[string]bool{"clerr": true, "ncl": true, "mcl01": true, "dblreq": true}
	for _, tc := range torture {
		head, body, ok := strings.Cut(tc.msg, "\r\n\r\n")
		if !ok {
			t.Errorf("%s: no blank line", tc.name)
			continue
		}
		if wrongOnPurpose[tc.name] || tc.name == "inv2543" {
			continue
		}
		var cl = -1
		for _, l := range strings.Split(head, "\r\n") {
			name, v, _ := strings.Cut(l, ":")
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "content-length" || name == "l" {
				fmt.Sscanf(strings.TrimSpace(v), "%d", &cl)
			}
		}
		if cl != len(body) {
			t.Errorf("%s: Content-Length %d, body %d octets", tc.name, cl, len(body))
		}
	}
}

// FuzzCheckDatagram: the pre-parse layer never panics; what it passes on
// after a rewrite passes it again unchanged (the canonical form is
// stable), and a refusal of a request with a Via has an answer to send.
func FuzzCheckDatagram(f *testing.F) {
	for _, tc := range torture {
		f.Add([]byte(tc.msg))
	}
	src := netip.MustParseAddrPort("192.0.2.1:5060")
	f.Fuzz(func(t *testing.T, data []byte) {
		out, m, bad := checkDatagram(data)
		if bad != nil {
			if out != nil {
				t.Fatal("refused and passed on")
			}
			if res, _ := statelessResponse(m, bad, src); res != nil {
				if _, ok, _ := splitMessage(res); !ok {
					t.Fatalf("answer is no message: %q", res)
				}
			}
			return
		}
		if out == nil || bytes.Equal(out, data) {
			return
		}
		again, _, bad := checkDatagram(out)
		if bad != nil || !bytes.Equal(again, out) {
			t.Fatalf("rewritten %q\nto %q\nthen %q (%v)", data, out, again, bad)
		}
	})
}

// BenchmarkCheckDatagram is the pre-parse layer's cost for a phone's
// ordinary REGISTER (passed on untouched) and for RFC 4475's wsinv
// (rewritten in canonical form).
func BenchmarkCheckDatagram(b *testing.B) {
	register := []byte("REGISTER sip:192.0.2.10 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 192.0.2.55:5060;branch=z9hG4bK-524287-1---8bd5a8c4d8e2f0b1;rport\r\n" +
		"Max-Forwards: 70\r\nContact: <sip:201@192.0.2.55:5060;rinstance=2c1e7e1b3c3f1f0a>\r\n" +
		"To: <sip:201@192.0.2.10>\r\nFrom: <sip:201@192.0.2.10>;tag=3f1a9c2e\r\n" +
		"Call-ID: ZmI2ZDk5YjBlYzQ1ODk0N2Q3YjI3NDY2ZjU0NTE0ZjM\r\nCSeq: 2 REGISTER\r\nExpires: 600\r\n" +
		"Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE\r\n" +
		"User-Agent: Zoiper rv2.10.20.4\r\n" +
		`Authorization: Digest username="201",realm="minipbx",nonce="abc",uri="sip:192.0.2.10",response="0123456789abcdef0123456789abcdef",cnonce="def",nc=00000001,qop=auth,algorithm=MD5` +
		"\r\nContent-Length: 0\r\n\r\n")
	for _, tc := range []struct {
		name string
		msg  []byte
	}{{"register", register}, {"wsinv", []byte(torture[0].msg)}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, bad := checkDatagram(tc.msg); bad != nil {
					b.Fatal(bad.reason)
				}
			}
		})
	}
}

// What real phones send passes the pre-parse layer untouched: instance
// IDs in quotes with <> inside, IPv6 sent-by, rport, received, '_' in a
// host name, a quoted display name with UTF-8, tokens as a display name.
func TestPreparseLeavesPhonesAlone(t *testing.T) {
	for _, msg := range []string{
		"REGISTER sip:pbx.example SIP/2.0\r\n" +
			"Via: SIP/2.0/UDP [2001:db8::7]:5062;branch=z9hG4bK.aKn2;rport\r\n" +
			"Via: SIP/2.0/UDP docker_host.lan:5060;branch=z9hG4bK.x;received=192.0.2.9;rport=5060\r\n" +
			"From: \"Réception\" <sip:201@pbx.example>;tag=a1\r\nTo: <sip:201@pbx.example>\r\nCall-ID: 8f2@host\r\n" +
			"CSeq: 20 REGISTER\r\nMax-Forwards: 70\r\nExpires: 3600\r\n" +
			"Contact: <sip:201@[2001:db8::7]:5062;transport=udp>;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000b82a1b2c3>\";reg-id=1;expires=3600\r\n" +
			"Supported: replaces, outbound, gruu\r\nUser-Agent: Linphone Desktop/5.2\r\nContent-Length: 0\r\n\r\n",
		"INVITE sip:202@192.0.2.10 SIP/2.0\r\n" +
			"Via: SIP/2.0/UDP 192.0.2.55:5060;branch=z9hG4bK1234;rport\r\n" +
			"From: Front Desk <sip:201@192.0.2.10>;tag=77\r\nTo: <sip:202@192.0.2.10>\r\nCall-ID: c@d\r\nCSeq: 1 INVITE\r\n" +
			"Max-Forwards: 70\r\nContact: <sip:201@192.0.2.55:5060>\r\nRoute: <sip:192.0.2.10;lr>\r\n" +
			"Date: Sat, 13 Nov 2010 23:29:00 GMT\r\nContent-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n",
	} {
		out, _, bad := checkDatagram([]byte(msg))
		if bad != nil || string(out) != msg {
			t.Errorf("refused or rewritten (%v):\n%s\n->\n%s", bad, msg, out)
		}
	}
}
