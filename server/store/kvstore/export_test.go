package kvstore

import "slices"

// EntryKeys returns the live keys of bucket (rindex, rfilter or rtime) as a
// reader sees them: the bucket merged with the pending runs.
func EntryKeys(s *Store, bucket string) ([]string, error) {
	kind := map[string]byte{"rindex": kindIndex, "rfilter": kindFilter, "rtime": kindTime}[bucket]
	var out []string
	err := s.db.View(func(tx Tx) error {
		it, err := newEntryIter(tx, kind)
		if err != nil {
			return err
		}
		for it.seek(nil); it.key != nil; it.next() {
			out = append(out, string(it.key))
		}
		return it.err
	})
	return out, err
}

// MainKeys returns the keys the main bucket (rindex, rfilter or rtime)
// holds, without the pending runs.
func MainKeys(s *Store, bucket string) ([]string, error) {
	kind := map[string]byte{"rindex": kindIndex, "rfilter": kindFilter, "rtime": kindTime}[bucket]
	var out []string
	err := s.db.View(func(tx Tx) error {
		it := mainIter(tx.Bucket(kindBuckets[kind]), kind)
		for it.seek(nil); it.ok; it.next() {
			if !it.cur.put {
				return errCorruptRun
			}
			out = append(out, string(it.cur.key))
		}
		return it.err
	})
	return out, err
}

// SetMergeMax sets the number of entries after which a merge stops taking
// runs (it takes one at least).
func SetMergeMax(s *Store, n int) { s.mergeMax = n }

// MergeOnce runs one merge transaction and returns the runs it merged.
func MergeOnce(s *Store) (int, error) { return s.mergeOnce() }

// Downgrade rewrites the main index, filter and time buckets in the layout
// before blocks: one key per entry, empty values.
func Downgrade(db DB) error {
	return db.Update(func(tx Tx) error {
		for kind, name := range kindBuckets {
			b := tx.Bucket(name)
			var blocks, keys [][]byte
			c := b.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				ents, err := decodeBlock(v, nil)
				if err != nil {
					return err
				}
				for _, e := range ents {
					if e.kind != byte(kind) || !e.put {
						return errCorruptRun
					}
					keys = append(keys, e.key)
				}
				blocks = append(blocks, slices.Clone(k))
			}
			for _, k := range blocks {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			for _, k := range keys {
				if err := b.Put(k, []byte{}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// BeforeGroup sets a function that a group commit's leader calls with the
// number of batches it is about to write.
func BeforeGroup(s *Store, f func(n int)) {
	s.group.mu.Lock()
	s.group.before = f
	s.group.mu.Unlock()
}

// Queued returns the number of batches waiting for a group commit.
func Queued(s *Store) int {
	s.group.mu.Lock()
	defer s.group.mu.Unlock()
	return len(s.group.queue)
}
