// Package source turns a user's files into plain records of the personal
// vault's collections (screenshots, imessages, imessage_attachments,
// contacts, locations, whatsapp_messages), named as in the shipped
// collection schemas and ready for the ingest client to encrypt and
// upload. It does no cryptography beyond content hashes and knows nothing
// of the server.
//
// Every reader streams: it sends records to a Sink one at a time and keeps
// at most one item (a line, a message, a card, an array element) in
// memory. An item that cannot be read is reported to Sink.Reject as an
// *ItemError with the file name and line, and the reader goes on with the
// next one; the ingest client counts it as rejected (or skipped, for
// errors.Is(err, ErrSkipped)). Readers never panic, whatever the input.
//
// # Format
//
// The accepted inputs are described in examples/ingest/README.md:
//
//   - JSON (an array of objects) or NDJSON (one object per line) for any
//     collection: keys are exactly the schema's field names, plus "id" for
//     the item's id in its source system; times are RFC 3339 strings or
//     integer milliseconds since the Unix epoch; a blob field holds the
//     path of a file, relative to the JSON file's folder.
//   - WhatsApp chat exports (.txt, Android and iOS, in the apps' date
//     formats), to whatsapp_messages.
//   - vCard files (2.1, 3.0, 4.0), to contacts.
//   - A folder of PNG, JPEG and GIF screenshots, to screenshots.
//
// Values are plain Go values: string, []string for multi fields, bool,
// int64 for times (milliseconds, UTC) and integer numbers, float64 for
// other numbers.
//
// # Ids
//
// Record ids, blob ids and the ids the readers make up (WhatsApp chatId
// and messageId, contactId of a card without UID) are derived from the
// item: from its own id in its source system when it has one (vCard UID,
// JSON "id"), else from its content (the SHA-256 of a screenshot's bytes,
// so a renamed file keeps its id; the fields of a JSON item; a WhatsApp
// message's chat, time, sender and text), plus an occurrence counter that
// tells identical items of one file apart. Importing the same file again
// gives the same ids, which makes imports idempotent and resumable.
//
// # Security
//
// Ids are plaintext on the server. Without Options.IDKey an id is a plain
// SHA-256 of the item, and anyone who can guess an item (a short message,
// a well-known image) can confirm the guess from its id. The ingest
// client must therefore set IDKey to a key derived from the space secret:
// ids are then HMAC-SHA256 values, stable for the vault and meaningless
// to the server. Error messages name files and lines, never field values.
package source
