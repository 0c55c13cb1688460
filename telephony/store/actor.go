package store

import "context"

// Actor is who makes a change: an account of the web UI or API, or the
// box itself (the zero Actor: a user's feature code on a phone, pbxctl on
// a stopped box, the box's own upkeep). The audit log names the actor of
// every change (audit.go), and the account rules (accounts.go) check what
// an account may do to others against its own role.
type Actor struct {
	// Login is the account ("admin", "anna", "201"); "" is the box.
	Login string `json:"login,omitempty"`
	// Role is the account's role when it acted.
	Role string `json:"role,omitempty"`
	// Via is how: "web" (a page), "api" (a session or HTTP Basic),
	// "token" (an API token), "phone" (a feature code), "pbxctl".
	Via string `json:"via,omitempty"`
	// Remote is the client's address, when it came over the network.
	Remote string `json:"remote,omitempty"`
}

// IsBox reports whether the actor is the box itself rather than an
// account: such changes are not bound by the account rules.
func (a Actor) IsBox() bool { return a.Login == "" }

type actorKey struct{}

// WithActor returns ctx carrying a, for the layers between a request and
// the database (telephony's services pass it on with As).
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor ctx carries; the zero Actor (the box) when
// none.
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}

// As returns a handle on the same database whose changes are made by a:
// the audit log records them as a's, and the account rules hold a to its
// role. The handle shares everything with db and costs one small
// allocation; it must not be closed (close db).
func (db *DB) As(a Actor) *DB {
	v := *db
	v.actor = a
	return &v
}
