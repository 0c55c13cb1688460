// Package voicemail is the voice-mail message store: the messages callers
// leave and the greetings owners record, as files in the data directory
// under recordings/voicemail/. The exchange's call flows record into it
// (Create, Recording.Write, Commit), the phone menus (*97, *98) and the
// web UI list, play, mark and delete through it, and its OnChange callback
// drives the message-waiting lamps.
//
// # Files
//
// One directory per mailbox, named by its extension number (digits only,
// 1–16 of them, so no name can leave the directory):
//
//	recordings/voicemail/
//	  101/
//	    20261122T020304Z-3f9a.wav   the message: 8 kHz mono μ-law WAV
//	    20261122T020304Z-3f9a.json  its details: caller, received, duration, heard
//	    greeting-unavailable.wav    the owner's greetings (μ-law WAV)
//	    greeting-busy.wav
//	    .tmp-…                      a recording or rewrite in progress
//
// A message is two files rather than one WAV with a LIST/INFO chunk
// because the one thing that changes after recording, the heard flag, is
// then a rewrite of a hundred-byte file (written beside and renamed over)
// instead of a rewrite of up to a megabyte of audio, and because the WAV
// stays byte-for-byte what any tool (sox, a desktop player) expects.
//
// The sidecar is one JSON object; unknown fields are ignored, so a later
// firmware may add some (a newer "v" is refused and the message listed
// from its WAV alone):
//
//	{"v":1,"caller":{"number":"0301234567","name":"Ann"},
//	 "received":"2026-11-22T02:03:04.5Z","duration_ms":12340,"heard":true}
//
// The duration listed is the WAV's (the sidecar's is for other tools).
//
// A message ID is the UTC time its recording started (seconds) and four
// random hex digits; IDs sort in time order and are unique within a
// mailbox (a clash draws new digits).
//
// # Crash safety
//
// A recording streams into a .tmp- file; nothing lists it. Commit flushes
// and fsyncs it with the WAV header's sizes patched, writes the sidecar
// (beside, fsync, rename), then renames the WAV into place and fsyncs the
// directory: the WAV's rename is the commit point. Delete removes the WAV
// first. So after a crash a box may hold .tmp- files (removed by Open), a
// sidecar without its WAV (removed by Open: an interrupted commit or
// delete) or, after a lost sidecar, a WAV alone: that message is kept,
// with its time taken from its ID and its caller unknown. A sidecar or
// WAV that cannot be read is logged and skipped, never removed: the
// installer may still want the audio, and no other message suffers. A
// write error while recording (a full disk) removes the half-written file
// at once and is returned by Write and Commit.
//
// The store keeps an index of every mailbox's messages in memory (built by
// Open), so the counts the lamps need cost nothing; it assumes it is the
// only writer of its directory. One mutex guards the index; audio is read
// and written outside it.
//
// # Backups
//
// A backup (upgrade/backup) carries the mailbox files byte for byte under
// their own names; StoreFile and CheckFile are what a restore holds each
// entry to, so no other name and no foreign audio gets in. A restore into
// the running box writes beside the store, the one exception to "only
// writer", in the store's own order (details, then WAV), and then calls
// Reindex, which re-reads the directories without removing anything that
// may be work in progress. What a restore staged and left behind
// (.tmp-restore-…) goes at the next Open.
package voicemail
