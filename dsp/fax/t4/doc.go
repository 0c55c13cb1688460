// Package t4 codes bilevel fax pages: ITU-T T.4 one-dimensional
// (Modified Huffman, "MH") and two-dimensional (Modified READ, "MR")
// coding, and ITU-T T.6 ("MMR", "G4"), both ways.
//
// The Decoder works bit by bit, as a modem delivers, so that a receiver
// without error correction knows a page's bad rows when its last bit
// arrives. It is as tolerant as T.4 asks: a row that does not decode (a
// bad code, a wrong length) is replaced by the row above and counted,
// decoding resumes at the next EOL, and in MR the two-dimensional rows
// that follow a bad row count as bad until the next one-dimensional row.
// RTC (MH, MR) and EOFB (T.6) end a page. T.6 has no EOLs, so an error
// ends the page: T.6 only travels with error correction.
//
// Image rows are packed most significant bit first, 1 for black.
package t4
